// otel-sysmon vs @opentelemetry/host-metrics, side by side in one run:
// 1. in-process: CPU and wall time per full collection, same MeterProvider + manual reader set-up, each
//    side in its own process (bench/collection-subject.ts) so neither pays for the other's garbage;
// 2. whole processes over the same 10 s at a 20 ms cadence, CPU from /proc/<pid>/stat: the figure is
//    taken after a warm-up (start-up and JIT tier-up are a one-off cost of a long-running process), and
//    the first 10 s after start are printed too.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { fmt, median, procCpuSeconds } from './stats.js';
import type { Benchmark } from './types.js';

const ROUNDS = 7;
const PER_ROUND = 200;
/** Each side runs this many times, alternating which goes first. */
const REPEATS = 3;
/** Whole processes are measured from this long after their start, when start-up and JIT tier-up are over. */
const WARM_UP_S = 20;

const SUBJECTS = ['otel-sysmon', 'host-metrics'] as const;
type SubjectName = (typeof SUBJECTS)[number];

interface SubjectRun {
  readonly cpuMs: number[];
  readonly wallMs: number[];
  readonly points: number;
}

function runSubject(root: string, name: SubjectName): SubjectRun {
  const r = spawnSync(process.execPath, [join(root, 'dist/bench/collection-subject.js'), name, String(ROUNDS), String(PER_ROUND)], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`${name} subject failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { cpuMs?: number; wallMs?: number; points?: number });
  const rounds = lines.filter((l) => l.cpuMs !== undefined);
  return { cpuMs: rounds.map((l) => l.cpuMs!), wallMs: rounds.map((l) => l.wallMs!), points: lines.at(-1)!.points! };
}

/** Heap bytes allocated per collection: rounds of 50 collections in a 64 MiB young generation, no GC inside. */
function allocationPerCollection(root: string, name: SubjectName): number[] {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', join(root, 'dist/bench/collection-subject.js'), name, '7', '50', 'alloc'],
    { encoding: 'utf8', timeout: 300_000 },
  );
  if (r.status !== 0) throw new Error(`${name} allocation subject failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { bytes: number }).bytes);
}

async function measureInProcess(root: string): Promise<void> {
  const cpu: Record<SubjectName, number[]> = { 'otel-sysmon': [], 'host-metrics': [] };
  const wall: Record<SubjectName, number[]> = { 'otel-sysmon': [], 'host-metrics': [] };
  const points: Partial<Record<SubjectName, number>> = {};
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (const name of repeat % 2 ? [...SUBJECTS].reverse() : SUBJECTS) {
      const run = runSubject(root, name);
      cpu[name].push(...run.cpuMs);
      wall[name].push(...run.wallMs);
      points[name] = run.points;
    }
  }
  for (const name of SUBJECTS) {
    process.stdout.write(
      `${name.padEnd(14)} CPU ${fmt(median(cpu[name]))} ms/collection  wall ${fmt(median(wall[name]))} ms  points ${points[name]}\n`,
    );
  }
  for (const name of SUBJECTS) {
    const bytes = allocationPerCollection(root, name);
    process.stdout.write(
      `${name.padEnd(14)} allocates ${fmt(median(bytes) / 1024, 1)} KiB/collection (median of ${bytes.length} rounds of 50 without a GC; ` +
        `${bytes.map((b) => fmt(b / 1024, 1)).join(' / ')})\n`,
    );
  }
  const ratio = median(cpu['otel-sysmon']) / median(cpu['host-metrics']);
  process.stdout.write(
    `in-process CPU ratio otel-sysmon/host-metrics: ${fmt(ratio)} (${fmt(1 / ratio, 1)}x cheaper); medians of ${REPEATS} processes x ${ROUNDS} rounds x ${PER_ROUND} collections each\n`,
  );
}

async function measureProcesses(root: string): Promise<void> {
  if (process.platform !== 'linux') {
    process.stdout.write('process comparison needs /proc: skipped on this platform\n');
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-bench-'));
  const children = [
    {
      name: 'otel-sysmon run --exporter none --interval 20ms',
      proc: spawn(process.execPath, [join(root, 'bin/otel-sysmon.js'), 'run', '--exporter', 'none', '--interval', '20ms', '--data-dir', dataDir, '--log-level', 'warn'], { stdio: 'ignore' }),
    },
    {
      name: 'host-metrics, 20 ms export to a discarding exporter',
      proc: spawn(process.execPath, [join(root, 'dist/bench/host-metrics-process.js')], { stdio: 'ignore' }),
    },
  ];
  const cpuOver = async (seconds: number): Promise<number[]> => {
    const start = children.map((c) => procCpuSeconds(c.proc.pid!));
    await sleep(seconds * 1000);
    return children.map((c, i) => procCpuSeconds(c.proc.pid!) - start[i]);
  };
  try {
    await sleep(2000);
    const warming = await cpuOver(10);
    await sleep(WARM_UP_S * 1000 - 12_000);
    const used = await cpuOver(10);
    children.forEach((c, i) =>
      process.stdout.write(
        `${c.name.padEnd(52)} CPU ${fmt(used[i], 2)} s over 10 s after ${WARM_UP_S} s (${fmt((used[i] / 10) * 100, 1)}% of a core); ` +
          `${fmt(warming[i], 2)} s over 2-12 s\n`,
      ),
    );
    process.stdout.write(
      `process CPU ratio otel-sysmon/host-metrics: ${fmt(used[0] / used[1])} after ${WARM_UP_S} s (${fmt(warming[0] / warming[1])} over 2-12 s, warming up)\n`,
    );
  } finally {
    for (const c of children) c.proc.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const benchmark: Benchmark = {
  name: 'collection',
  description: 'CPU per full host collection, otel-sysmon vs @opentelemetry/host-metrics',
  async run() {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    await measureInProcess(root);
    await measureProcesses(root);
  },
};

export default benchmark;
