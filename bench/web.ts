// The web page's cost to the agent: two agents side by side, the same configuration, one with two
// pages open in Debian's chromium (two tabs of one browser: a live event stream, shared by the tabs
// through the page's shared worker, plus the page's follow-up reads), the other with none. The pages
// swap agents every round, so a difference between the two processes cancels out. CPU is the agent's
// own process.cpu.time (getrusage: every thread, also those that ended, in microseconds) between two
// of its collections, read through /api/ui/state from both agents alike; each thread's schedstat is
// printed beside it. Two configurations run at once, each with its own pair: the agent with no
// exporter (the least work per collection, so the page's share is the largest) and the agent as
// `npm start` runs it, exporting OTLP/gRPC (here to a local receiver that discards). Skipped with the
// reason when chromium cannot start.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { createOtlpServer } from '../src/otlp/server.js';
import { launchBrowser } from '../test/support/browser.js';
import { fmt, median, procThreadTimes, threadCpuBetween } from './stats.js';
import type { Benchmark } from './types.js';

// The page.waitForFunction callback runs in the browser; the benchmarks compile without the DOM library.
declare const document: any;

/** The default interval, as users run it; rounds long enough for several collections each. */
const INTERVAL = process.env.BENCH_WEB_INTERVAL ?? '10s';
const WARM_UP_MS = 20_000;
/**
 * From opening the pages to measuring: the minute after a page load carries that load's own work (about
 * twenty requests, then the compiler and the garbage collector catching up), not what an open page costs.
 */
const SETTLE_MS = Number(process.env.BENCH_WEB_SETTLE_MS ?? 60_000);
const ROUND_MS = Number(process.env.BENCH_WEB_ROUND_MS ?? 60_000);
const ROUNDS = Number(process.env.BENCH_WEB_ROUNDS ?? 6);

interface Agent {
  readonly pid: number;
  readonly url: string;
  /** Event streams open now, as the agent logs them. */
  streams(): number;
  stop(): void;
}

interface Scenario {
  readonly name: string;
  readonly args: readonly string[];
  readonly agents: Agent[];
  readonly pages: Page[];
  readonly withPages: number[];
  readonly without: number[];
  readonly ratios: number[];
  readonly streams: number[];
}

function startAgent(root: string, dataDir: string, args: readonly string[]): Promise<Agent> {
  const child = spawn(
    process.execPath,
    [join(root, 'bin/otel-sysmon.js'), 'run', ...args, '--interval', INTERVAL, '--api-listen', '127.0.0.1:0', '--data-dir', dataDir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    let streams = 0;
    const timer = setTimeout(() => reject(new Error(`agent did not start:\n${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      for (const m of d.toString().matchAll(/page event stream \w+.*?open=(\d+)/g)) streams = Number(m[1]);
      const m = /local API listening url=(\S+)/.exec(err);
      if (m && err.length < 1e6) {
        clearTimeout(timer);
        err = '';
        resolve({ pid: child.pid!, url: m[1], streams: () => streams, stop: () => child.kill('SIGKILL') });
      }
    });
    child.once('exit', (code) => reject(new Error(`agent exited ${code}:\n${err}`)));
  });
}

async function openOn(pages: readonly Page[], url: string): Promise<void> {
  await Promise.all(pages.map((p) => p.goto(`${url}/`)));
  // A function, not a string: the page's CSP forbids eval, which string predicates need.
  await Promise.all(pages.map((p) => p.waitForFunction(() => Number(document.body.dataset.updates ?? 0) >= 1, null, { timeout: 20_000 })));
}

const cpuOf = (a: Agent, before: ReadonlyMap<number, number>): number => {
  const { main, others } = threadCpuBetween(a.pid, before, procThreadTimes(a.pid));
  return main + others;
};

/** The agent's own CPU seconds (process.cpu.time, user + system) as of its latest collection, and when that was. */
async function selfCpu(a: Agent): Promise<{ seconds: number; atMs: number }> {
  const state = (await (await fetch(`${a.url}/api/ui/state`)).json()) as { collected_at: string; metrics: { name: string; points: { value: number }[] }[] };
  const cpu = state.metrics.find((m) => m.name === 'process.cpu.time');
  if (!cpu) throw new Error('the agent reports no process.cpu.time');
  return { seconds: cpu.points.reduce((n, p) => n + p.value, 0), atMs: Date.parse(state.collected_at) };
}

/** CPU seconds per ROUND_MS between two readings of selfCpu. */
const perRound = (a: { seconds: number; atMs: number }, b: { seconds: number; atMs: number }): number =>
  ((b.seconds - a.seconds) / (b.atMs - a.atMs)) * ROUND_MS;

/** Geometric means of consecutive rounds (the pages on agent 1, then on agent 2). */
function pairs(ratios: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < ratios.length; i += 2) out.push(Math.sqrt(ratios[i] * ratios[i + 1]));
  return out;
}

const benchmark: Benchmark = {
  name: 'web',
  description: 'agent CPU with two web pages open against none (side by side, pages swapping agents each round)',
  async run() {
    if (process.platform !== 'linux') {
      process.stdout.write('needs /proc: skipped on this platform\n');
      return;
    }
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const browser = await launchBrowser();
    if ('error' in browser) {
      process.stdout.write(`skipped: ${browser.error}\n`);
      return;
    }
    const receiver = createOtlpServer({ grpc: { host: '127.0.0.1', port: 0 }, handle: () => ({ kind: 'ok' }) });
    await receiver.start();
    const dirs: string[] = [];
    const scenarios: Scenario[] = [
      { name: 'no exporter (--exporter none)', args: ['--exporter', 'none'] },
      { name: 'OTLP/gRPC export (the default) to a local receiver', args: ['--otlp-endpoint', `http://127.0.0.1:${receiver.grpcPort}`] },
    ].map((s) => ({ ...s, agents: [], pages: [], withPages: [], without: [], ratios: [], streams: [] }));
    try {
      for (const s of scenarios) {
        for (let i = 0; i < 2; i++) {
          const dir = mkdtempSync(join(tmpdir(), 'sysmon-bench-web-'));
          dirs.push(dir);
          s.agents.push(await startAgent(root, dir, s.args));
        }
        s.pages.push(await browser.context.newPage(), await browser.context.newPage());
        await openOn(s.pages, s.agents[0].url);
      }
      await sleep(WARM_UP_MS);
      for (let round = 0; round < ROUNDS; round++) {
        const watched = round % 2;
        await Promise.all(scenarios.map((s) => openOn(s.pages, s.agents[watched].url)));
        await sleep(SETTLE_MS);
        const start = scenarios.map((s) => s.agents.map((a) => procThreadTimes(a.pid)));
        const startSelf = await Promise.all(scenarios.map((s) => Promise.all(s.agents.map(selfCpu))));
        await sleep(ROUND_MS);
        const endSelf = await Promise.all(scenarios.map((s) => Promise.all(s.agents.map(selfCpu))));
        scenarios.forEach((s, k) => {
          const threads = s.agents.map((a, i) => cpuOf(a, start[k][i]));
          const used = s.agents.map((_, i) => perRound(startSelf[k][i], endSelf[k][i]));
          s.withPages.push(used[watched]);
          s.without.push(used[1 - watched]);
          s.ratios.push(used[watched] / used[1 - watched]);
          s.streams.push(s.agents[watched].streams());
          process.stdout.write(
            `round ${round + 1}, ${s.name}: pages on agent ${watched + 1} (${s.agents[watched].streams()} event stream): ` +
              `${fmt(used[watched], 4)} s CPU with two pages, ${fmt(used[1 - watched], 4)} s with none per ${ROUND_MS / 1000} s (ratio ${fmt(used[watched] / used[1 - watched])}; ` +
              `schedstat of live threads: ${fmt(threads[watched], 4)} / ${fmt(threads[1 - watched], 4)} s)\n`,
          );
        });
      }
      const pct = (s: number): string => `${fmt((s / (ROUND_MS / 1000)) * 100, 3)}% of a core`;
      for (const s of scenarios) {
        process.stdout.write(
          `${s.name}, at a ${INTERVAL} interval: two pages open ${pct(median(s.withPages))}, none ${pct(median(s.without))} (medians of ${ROUNDS} rounds); ` +
            `ratio with/without: median ${fmt(median(s.ratios))}, range ${fmt(Math.min(...s.ratios))}-${fmt(Math.max(...s.ratios))}; ` +
            `per pair of rounds (pages on each agent once: what one agent costs more than the other cancels) median ${fmt(median(pairs(s.ratios)))} (target <= 1.10); ` +
            `event streams for the two pages: ${[...new Set(s.streams)].join(', ')}\n`,
        );
      }
    } finally {
      await browser.close();
      await receiver.stop();
      for (const s of scenarios) for (const a of s.agents) a.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  },
};

export default benchmark;
