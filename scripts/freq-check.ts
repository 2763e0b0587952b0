// `npm run freq-check`: loads every core, then compares the clock each frequency source reports
// per core with an independent reading over the same window: sysfs scaling_cur_freq (sampled),
// or `perf stat -e cycles` (cycles over wall time of a fully loaded core). Target: within ±5 %.
// Exit 1 when the source the chain picks misses the target; 0 when it meets it, or when the
// machine has no independent reading (it then says which sources exist).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { frequencyReports, hostCollectionFor } from '../src/collectors/index.js';
import type { CpuFrequencyReport } from '../src/collectors/frequency/types.js';
import { parsePerfStatCycles } from '../src/collectors/perf/perf-stat.js';
import { loadConfig } from '../src/config/load.js';
import type { FrequencySourceName } from '../src/config/options.js';
import { cpuRanges, formatHz } from '../src/ui/format.js';
import { compareFrequencies } from '../src/ui/frequency-comparison.js';
import { renderTable } from '../src/util/table.js';

const WARMUP_MS = 1000;
const WINDOW_MS = 2000;
const TARGET = 0.05;
const CPUFREQ = (cpu: number): string => `/sys/devices/system/cpu/cpu${cpu}/cpufreq/scaling_cur_freq`;

type Reference = { readonly name: string; measure(cpus: readonly number[]): Promise<Map<number, number>> };

function works(cmd: string, args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Spins every core for `ms`: stress-ng when installed, else one busy worker thread per CPU. */
function loadCores(count: number, ms: number): Promise<void> {
  if (works('stress-ng', ['--version']).ok) {
    const child = spawn('stress-ng', ['--cpu', String(count), '--timeout', `${Math.ceil(ms / 1000)}s`, '--quiet'], { stdio: 'ignore' });
    return new Promise((resolve) => child.once('exit', () => resolve()));
  }
  const code = 'const end = Date.now() + require("node:worker_threads").workerData; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1);';
  const workers = Array.from({ length: count }, () => new Worker(code, { eval: true, workerData: ms }));
  return Promise.all(workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())))).then(() => undefined);
}

/** scaling_cur_freq sampled every 100 ms over the window, averaged. */
const sysfsReference: Reference = {
  name: 'sysfs scaling_cur_freq (sampled)',
  async measure(cpus) {
    const sums = new Map<number, { total: number; n: number }>();
    const end = Date.now() + WINDOW_MS;
    while (Date.now() < end) {
      for (const cpu of cpus) {
        const khz = Number(readFileSync(CPUFREQ(cpu), 'latin1').trim());
        const s = sums.get(cpu) ?? { total: 0, n: 0 };
        sums.set(cpu, { total: s.total + khz * 1000, n: s.n + 1 });
      }
      await sleep(100);
    }
    return new Map([...sums].map(([cpu, s]) => [cpu, s.total / s.n]));
  },
};

/** Cycles over wall time of each fully loaded core, from perf stat. */
const perfStatReference: Reference = {
  name: 'perf stat -e cycles (cores fully loaded)',
  async measure() {
    const child = spawn('perf', ['stat', '-e', 'cycles', '-a', '-A', '-x,', '--', 'sleep', String(WINDOW_MS / 1000)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    await new Promise((resolve) => child.once('exit', resolve));
    const out = new Map<number, number>();
    for (const [cpu, v] of parsePerfStatCycles(text)) if (typeof v === 'number') out.set(cpu, v / (WINDOW_MS / 1000));
    return out;
  },
};

/** Which independent readings exist here, and why the others do not. */
function references(): { found: Reference[]; missing: string[] } {
  const found: Reference[] = [];
  const missing: string[] = [];
  if (existsSync(CPUFREQ(0))) found.push(sysfsReference);
  else missing.push('sysfs: no cpufreq (cpu0/cpufreq/scaling_cur_freq absent: VM or no cpufreq driver)');
  const perf = works('perf', ['stat', '-e', 'cycles', '-a', '-A', '-x,', '--', 'sleep', '0.1']);
  const cycles = perf.ok ? [...parsePerfStatCycles(perf.output).values()] : [];
  if (cycles.some((v) => typeof v === 'number')) found.push(perfStatReference);
  else if (!works('perf', ['--version']).ok) missing.push('perf stat: the perf tool is not installed (linux-perf / perf package)');
  else missing.push(`perf stat: cycles not countable (${cycles.find((v) => typeof v !== 'number')?.reason ?? perf.output.trim().split('\n')[0]})`);
  return { found, missing };
}

async function main(): Promise<number> {
  const config = loadConfig({ env: process.env });
  const sources = config.frequencySources;
  // One chain per source, each listed explicitly, so every source is measured on its own.
  const chains = sources.map((source) => ({
    source,
    host: hostCollectionFor({ ...config, frequencySources: [source], origins: { ...config.origins, frequencySources: 'flag' } }),
  }));
  const collectAll = () => Promise.all(chains.map((c) => c.host.collect()));
  const reportsOf = () => new Map(chains.map((c) => [c.source, frequencyReports(c.host.collectors) ?? []]));
  const { found, missing } = references();
  const cpus = availableParallelism();
  try {
    const load = loadCores(cpus, WARMUP_MS + WINDOW_MS + 1000);
    await sleep(WARMUP_MS);
    await collectAll();
    const reference = found[0] ? await found[0].measure([...Array(cpus).keys()]) : (await sleep(WINDOW_MS), undefined);
    await collectAll();
    await load;
    const reports = reportsOf();
    if (!reference) {
      process.stdout.write(`No independent frequency reading on this machine, so accuracy cannot be checked:\n`);
      for (const m of missing) process.stdout.write(`  ${m}\n`);
      process.stdout.write(`Frequency sources here (cores loaded):\n`);
      for (const [source, list] of reports) process.stdout.write(describeSource(source, list));
      return 0;
    }
    return printComparison(found[0].name, reference, sources, reports);
  } finally {
    for (const c of chains) c.host.close();
  }
}

function describeSource(source: FrequencySourceName, reports: readonly CpuFrequencyReport[]): string {
  const groups = new Map<string, number[]>();
  for (const r of reports) {
    const text = r.hz !== null ? `${formatHz(r.hz)} as ${r.series} (${r.tried[0].reason})` : `no value: ${r.tried[0]?.reason ?? 'no reading'}`;
    groups.set(text, [...(groups.get(text) ?? []), r.cpu]);
  }
  return [...groups].map(([text, list]) => `  ${source.padEnd(8)} cpu${cpuRanges(list)}: ${text}\n`).join('');
}

function printComparison(
  referenceName: string,
  reference: ReadonlyMap<number, number>,
  sources: readonly FrequencySourceName[],
  reports: ReadonlyMap<FrequencySourceName, readonly CpuFrequencyReport[]>,
): number {
  const { header, rows, worst } = compareFrequencies(reference, sources, reports, TARGET);
  process.stdout.write(`Reference: ${referenceName}, ${WINDOW_MS / 1000} s window with every core loaded.\n`);
  process.stdout.write(renderTable(header, rows));
  process.stdout.write(`Worst error of the chosen source: ${(worst * 100).toFixed(1)} % (target ±${TARGET * 100} %)\n`);
  return worst <= TARGET ? 0 : 1;
}

process.exitCode = await main();
