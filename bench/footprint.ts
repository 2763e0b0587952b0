// otel-sysmon beside what a user would run instead, in one run so the machine's noise hits both sides:
// Debian's prometheus-node-exporter restricted to the same sources (installed with apt-get when missing),
// each process's CPU from /proc/<pid>/stat and its RSS from /proc/<pid>/status.
// 1. `otel-sysmon run` at the default 10 s interval, everything on (API, builds, scheduler, history):
//    one agent exporting Prometheus (/metrics scraped every 10 s, as node_exporter is) and one exporting
//    OTLP/gRPC (the default) to a local receiver; CPU over several windows, RSS steady and peak.
// 2. The same at a 100 ms cadence, scraped every 100 ms.
// 3. One-shot commands: wall time and peak RSS (/usr/bin/time) of whole processes, median of several,
//    interleaved with `node -e 0`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createOtlpServer } from '../src/otlp/server.js';
import { fmt, median, procCpuSeconds, procThreadTimes, threadCpuBetween } from './stats.js';
import type { Benchmark } from './types.js';

/**
 * node_exporter restricted to what otel-sysmon reads: CPU, frequency, memory, load, pressure, paging and
 * /proc/stat (issue 16), plus the host collectors the agent runs by default (issue 17): disks,
 * filesystems, network interfaces, hwmon sensors and thermal zones.
 */
const NODE_EXPORTER_FLAGS = [
  '--collector.disable-defaults',
  '--collector.cpu',
  '--collector.cpufreq',
  '--collector.meminfo',
  '--collector.loadavg',
  '--collector.pressure',
  '--collector.vmstat',
  '--collector.stat',
  '--collector.diskstats',
  '--collector.filesystem',
  '--collector.netdev',
  '--collector.hwmon',
  '--collector.thermal_zone',
];
// At a 10 s interval V8 still compiles the agent's code a minute after start: measured from 60 s on.
const SLOW = { intervalMs: 10_000, warmUpS: 60, windowS: 40, windows: 3 };
const FAST = { intervalMs: 100, warmUpS: 15, windowS: 10, windows: 3 };
const ONE_SHOT_RUNS = 7;

interface Subject {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Its Prometheus endpoint, scraped by the benchmark at the cadence. */
  readonly metricsUrl?: string;
}

function rssKb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Resident KiB per mapping kind from /proc/<pid>/smaps: the executable, shared libraries and native addons, anonymous memory. */
function residentByMapping(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let kind = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'latin1').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1];
      kind = path === '' || path === '[heap]' || path.startsWith('[anon') ? 'anonymous (V8 heaps, malloc, stacks)'
        : path.startsWith('[') ? 'kernel ([stack], [vvar], [vdso])'
        : path.endsWith('.node') ? `native addon ${path.replace(/.*node_modules\//, '').replace(/\/build\/.*/, '')}`
        : /\.so(\.|$)/.test(path) ? 'shared libraries (libc, libstdc++, ...)'
        : `executable ${path}`;
      continue;
    }
    const rss = /^Rss:\s+(\d+)/.exec(line);
    if (rss) out.set(kind, (out.get(kind) ?? 0) + Number(rss[1]));
  }
  return out;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function which(command: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Installs a Debian package when its command is missing (as .ci installs promtool); undefined when impossible. */
function ensureCommand(command: string, pkg: string): string | undefined {
  const found = which(command);
  if (found) return found;
  if (process.getuid?.() !== 0 || !which('apt-get')) return undefined;
  process.stdout.write(`installing ${pkg} with apt-get\n`);
  const install = () => spawnSync('apt-get', ['install', '-y', pkg], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (install().status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    install();
  }
  return which(command);
}

async function waitForUrl(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Fetches each endpoint every `everyMs` until stopped; counts the scrapes. */
function scrapeLoop(urls: readonly string[], everyMs: number): { stop: () => Promise<void>; count: () => number } {
  let stopped = false;
  let scrapes = 0;
  const done = (async () => {
    let next = Date.now();
    while (!stopped) {
      await Promise.all(
        urls.map(async (u) => {
          try {
            const res = await fetch(u);
            await res.arrayBuffer();
            scrapes++;
          } catch {
            // a scrape lost under load; the next one comes on time
          }
        }),
      );
      next += everyMs;
      while (next <= Date.now()) next += everyMs;
      await sleep(next - Date.now());
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
    },
    count: () => scrapes,
  };
}

interface Phase {
  readonly intervalMs: number;
  readonly warmUpS: number;
  readonly windowS: number;
  readonly windows: number;
}

interface AgentEnv {
  readonly root: string;
  readonly nodeExporter: string;
  readonly otlpPort: number;
}

async function startSubjects(env: AgentEnv, phase: Phase, dirs: string[]): Promise<{ subjects: Subject[]; apiUrl: string; dataDir: string }> {
  const nePort = await freePort();
  const subjects: Subject[] = [
    {
      name: 'node_exporter',
      proc: spawn(env.nodeExporter, [...NODE_EXPORTER_FLAGS, `--web.listen-address=127.0.0.1:${nePort}`, '--log.level=warn'], { stdio: 'ignore' }),
      metricsUrl: `http://127.0.0.1:${nePort}/metrics`,
    },
  ];
  let apiUrl = '';
  let dataDir = '';
  for (const kind of ['prometheus', 'otlp'] as const) {
    const dir = mkdtempSync(join(tmpdir(), `sysmon-footprint-${kind}-`));
    dirs.push(dir);
    const apiPort = await freePort();
    const args = [
      join(env.root, 'bin/otel-sysmon.js'),
      'run',
      '--interval',
      `${phase.intervalMs}ms`,
      '--data-dir',
      dir,
      '--api-listen',
      `127.0.0.1:${apiPort}`,
      '--log-level',
      'warn',
    ];
    let metricsUrl: string | undefined;
    if (kind === 'prometheus') {
      const port = await freePort();
      args.push('--exporter', 'prometheus', '--prometheus-listen', `127.0.0.1:${port}`);
      metricsUrl = `http://127.0.0.1:${port}/metrics`;
      apiUrl = `http://127.0.0.1:${apiPort}`;
      dataDir = dir;
    } else {
      args.push('--otlp-endpoint', `http://127.0.0.1:${env.otlpPort}`);
    }
    subjects.push({ name: `otel-sysmon run (${kind === 'otlp' ? 'OTLP/gRPC' : 'Prometheus'})`, proc: spawn(process.execPath, args, { stdio: 'ignore' }), metricsUrl });
  }
  for (const s of subjects) if (s.metricsUrl) await waitForUrl(s.metricsUrl);
  await waitForUrl(`${apiUrl}/api/stats`);
  return { subjects, apiUrl, dataDir };
}

/** Runs the subjects at `phase`'s cadence, scraped at the same cadence; prints CPU per window and ratios. */
async function measurePhase(env: AgentEnv, phase: Phase, label: string, oneShots?: (apiUrl: string, dataDir: string) => Promise<void>): Promise<void> {
  const dirs: string[] = [];
  const { subjects, apiUrl, dataDir } = await startSubjects(env, phase, dirs);
  const scraper = scrapeLoop(
    subjects.flatMap((s) => (s.metricsUrl ? [s.metricsUrl] : [])),
    phase.intervalMs,
  );
  try {
    await sleep(phase.warmUpS * 1000);
    const cpu: number[][] = subjects.map(() => []);
    const statCpu: number[] = subjects.map(() => 0);
    const split = subjects.map(() => ({ main: 0, others: 0 }));
    for (let w = 0; w < phase.windows; w++) {
      const start = subjects.map((s) => procThreadTimes(s.proc.pid!));
      const startStat = subjects.map((s) => procCpuSeconds(s.proc.pid!));
      await sleep(phase.windowS * 1000);
      subjects.forEach((s, i) => {
        const used = threadCpuBetween(s.proc.pid!, start[i], procThreadTimes(s.proc.pid!));
        cpu[i].push(used.main + used.others);
        split[i].main += used.main;
        split[i].others += used.others;
        statCpu[i] += procCpuSeconds(s.proc.pid!) - startStat[i];
      });
    }
    const minutes = (phase.windowS * phase.windows) / 60;
    process.stdout.write(`\n${label}: ${phase.windows} windows of ${phase.windowS} s after ${phase.warmUpS} s, /metrics scraped every ${phase.intervalMs} ms\n`);
    subjects.forEach((s, i) => {
      const { rss, peak } = rssKb(s.proc.pid!);
      process.stdout.write(
        `  ${s.name.padEnd(34)} CPU per window ${cpu[i].map((c) => fmt(c, 3)).join(' / ')} s (median ${fmt(median(cpu[i]), 3)}); ` +
          `RSS ${fmt(rss / 1024, 1)} MB, peak ${fmt(peak / 1024, 1)} MB\n` +
          `  ${''.padEnd(34)} CPU-s per minute: main thread ${fmt(split[i].main / minutes, 3)}, other threads ${fmt(split[i].others / minutes, 3)} ` +
          `(/proc/<pid>/stat, with threads that ended: ${fmt(statCpu[i] / minutes, 2)})\n`,
      );
    });
    for (let i = 1; i < subjects.length; i++) {
      const ratios = cpu[i].map((c, w) => c / cpu[0][w]);
      process.stdout.write(
        `  CPU ratio ${subjects[i].name} / node_exporter: per window ${ratios.map((r) => fmt(r, 2)).join(' / ')}, median ${fmt(median(ratios), 2)}\n`,
      );
    }
    process.stdout.write(`  scrapes answered: ${scraper.count()}\n`);
    for (const s of subjects) {
      const parts = [...residentByMapping(s.proc.pid!)].filter(([, kb]) => kb >= 256).sort((a, b) => b[1] - a[1]);
      process.stdout.write(`  resident memory of ${s.name}: ${parts.map(([k, kb]) => `${k} ${fmt(kb / 1024, 1)} MB`).join('; ')}\n`);
    }
    if (apiUrl) {
      try {
        const res = await fetch(`${apiUrl}/api/system-stats/current`);
        const p = ((await res.json()) as { process?: { rss_mb?: number; heap_used_mb?: number } }).process;
        process.stdout.write(`  otel-sysmon run (Prometheus) reports rss ${p?.rss_mb} MB, V8 heap used ${p?.heap_used_mb} MB (/api/system-stats/current)\n`);
      } catch (err) {
        process.stdout.write(`  /api/system-stats/current: ${(err as Error).message}\n`);
      }
    }
    if (oneShots) await oneShots(apiUrl, dataDir);
  } finally {
    await scraper.stop();
    for (const s of subjects) s.proc.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Wall time (ms) and peak RSS (MB, from /usr/bin/time) of one whole process. */
function timeOnce(time: string, argv: readonly string[]): { wallMs: number; peakMb: number; status: number | null } {
  const t0 = performance.now();
  const r = spawnSync(time, ['-f', 'peak-kb=%M', ...argv], { encoding: 'utf8', timeout: 60_000 });
  const wallMs = performance.now() - t0;
  const kb = Number(/peak-kb=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return { wallMs, peakMb: kb / 1024, status: r.status };
}

async function oneShotTimings(root: string, time: string, apiUrl: string, dataDir: string): Promise<void> {
  const bin = join(root, 'bin/otel-sysmon.js');
  const node = process.execPath;
  const api = ['--api-url', apiUrl];
  const commands: { name: string; argv: string[]; target: string }[] = [
    { name: 'node -e 0', argv: [node, '-e', '0'], target: 'the floor' },
    { name: '--version', argv: [node, bin, '--version'], target: '<= 0.15 s, <= 50 MB' },
    { name: 'snapshot --format json', argv: [node, bin, 'snapshot', '--format', 'json'], target: '<= 0.45 s (250 ms of it the sample window)' },
    { name: 'wrap -- true', argv: [node, bin, 'wrap', '--data-dir', dataDir, ...api, '--', 'true'], target: '<= 0.25 s over `true`' },
    { name: 'status --format json', argv: [node, bin, 'status', '--format', 'json', ...api], target: '<= 0.25 s' },
    { name: 'lease status', argv: [node, bin, 'lease', 'status', ...api], target: '<= 0.25 s' },
  ];
  const wall = commands.map(() => [] as number[]);
  const peak = commands.map(() => [] as number[]);
  for (let run = 0; run < ONE_SHOT_RUNS; run++) {
    commands.forEach((c, i) => {
      const r = timeOnce(time, c.argv);
      if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}`);
      wall[i].push(r.wallMs);
      peak[i].push(r.peakMb);
    });
  }
  process.stdout.write(`\none-shot commands (median of ${ONE_SHOT_RUNS} whole processes each, interleaved; the agent above answers):\n`);
  const floor = median(wall[0]);
  commands.forEach((c, i) => {
    const w = median(wall[i]);
    process.stdout.write(
      `  ${c.name.padEnd(24)} wall ${fmt(w / 1000, 3)} s (min ${fmt(Math.min(...wall[i]) / 1000, 3)}, ${i === 0 ? 'floor' : `+${fmt((w - floor) / 1000, 3)} s over node -e 0`}), ` +
        `peak RSS ${fmt(median(peak[i]), 1)} MB; target ${c.target}\n`,
    );
  });
}

const benchmark: Benchmark = {
  name: 'footprint',
  description: 'otel-sysmon run and one-shot commands beside prometheus-node-exporter (same sources), CPU and RSS',
  async run() {
    if (process.platform !== 'linux') {
      process.stdout.write('needs /proc and Debian packages: skipped on this platform\n');
      return;
    }
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const nodeExporter = ensureCommand('prometheus-node-exporter', 'prometheus-node-exporter');
    const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : (ensureCommand('/usr/bin/time', 'time') && '/usr/bin/time');
    if (!nodeExporter || !time) {
      process.stdout.write('prometheus-node-exporter or /usr/bin/time missing and not installable (needs root and apt-get): skipped\n');
      return;
    }
    // The local OTLP receiver: accepts and discards (decoding is the receiver's cost, not the agent's).
    let received = 0;
    const receiver = createOtlpServer({
      grpc: { host: '127.0.0.1', port: 0 },
      handle: () => {
        received++;
        return { kind: 'ok' };
      },
    });
    await receiver.start();
    try {
      const env = { root, nodeExporter, otlpPort: receiver.grpcPort! };
      await measurePhase(env, SLOW, 'default 10 s interval', (apiUrl, dataDir) => oneShotTimings(root, time, apiUrl, dataDir));
      await measurePhase(env, FAST, '100 ms cadence');
      process.stdout.write(`OTLP requests received: ${received}\n`);
    } finally {
      await receiver.stop();
    }
  },
};

export default benchmark;
