// otel-sysmon vs @opentelemetry/host-metrics, side by side in one run:
// 1. in-process: CPU and wall time per full collection, same MeterProvider + manual reader set-up;
// 2. whole processes over the same 10 s at a 20 ms cadence, CPU from /proc/<pid>/stat.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { HostMetrics } from '@opentelemetry/host-metrics';
import { MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { hostCollectionFor } from '../src/collectors/index.js';
import { loadConfig } from '../src/config/load.js';
import { registerCatalogueInstruments } from '../src/telemetry/instruments.js';
import { PullReader } from '../src/telemetry/prometheus-endpoint.js';
import { cpuMs, fmt, median } from './stats.js';
import type { Benchmark } from './types.js';

const ROUNDS = 7;
const PER_ROUND = 200;

function countPoints(rm: ResourceMetrics): number {
  let n = 0;
  for (const s of rm.scopeMetrics) for (const m of s.metrics) n += m.dataPoints.length;
  return n;
}

interface Subject {
  readonly name: string;
  collect(): Promise<number>;
}

async function sysmonSubject(): Promise<Subject> {
  const host = hostCollectionFor(loadConfig({ argv: {}, env: {} }));
  const reader = new PullReader();
  const provider = new MeterProvider({ readers: [reader] });
  let latest = await host.collect();
  registerCatalogueInstruments(provider.getMeter('bench'), () => latest.points);
  return {
    name: 'otel-sysmon',
    async collect() {
      latest = await host.collect();
      return countPoints((await reader.collect()).resourceMetrics);
    },
  };
}

function hostMetricsSubject(): Subject {
  const reader = new PullReader();
  const provider = new MeterProvider({ readers: [reader] });
  new HostMetrics({ meterProvider: provider, name: 'bench' }).start();
  return {
    name: '@opentelemetry/host-metrics',
    async collect() {
      return countPoints((await reader.collect()).resourceMetrics);
    },
  };
}

async function measureInProcess(): Promise<void> {
  const subjects = [await sysmonSubject(), hostMetricsSubject()];
  const cpu = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  const wall = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  const points = new Map<string, number>();
  for (const s of subjects) for (let i = 0; i < 20; i++) points.set(s.name, await s.collect());
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order each round so neither side always runs on a warmer cache.
    const order = round % 2 ? [...subjects].reverse() : subjects;
    for (const s of order) {
      const c0 = cpuMs();
      const w0 = performance.now();
      for (let i = 0; i < PER_ROUND; i++) await s.collect();
      cpu.get(s.name)!.push((cpuMs() - c0) / PER_ROUND);
      wall.get(s.name)!.push((performance.now() - w0) / PER_ROUND);
    }
  }
  const [ours, theirs] = subjects.map((s) => s.name);
  for (const s of subjects) {
    process.stdout.write(
      `${s.name.padEnd(28)} CPU ${fmt(median(cpu.get(s.name)!))} ms/collection  wall ${fmt(median(wall.get(s.name)!))} ms  points ${points.get(s.name)}\n`,
    );
  }
  const ratio = median(cpu.get(ours)!) / median(cpu.get(theirs)!);
  process.stdout.write(
    `in-process CPU ratio otel-sysmon/host-metrics: ${fmt(ratio)} (${fmt(1 / ratio, 1)}x cheaper), medians of ${ROUNDS} rounds x ${PER_ROUND}\n`,
  );
}

function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function measureProcesses(): Promise<void> {
  if (process.platform !== 'linux') {
    process.stdout.write('process comparison needs /proc: skipped on this platform\n');
    return;
  }
  const root = fileURLToPath(new URL('../../', import.meta.url));
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
  try {
    await sleep(2000);
    const start = children.map((c) => procCpuSeconds(c.proc.pid!));
    await sleep(10_000);
    const used = children.map((c, i) => procCpuSeconds(c.proc.pid!) - start[i]);
    children.forEach((c, i) => process.stdout.write(`${c.name.padEnd(52)} CPU ${fmt(used[i], 2)} s over 10 s (${fmt((used[i] / 10) * 100, 1)}% of a core)\n`));
    process.stdout.write(`process CPU ratio otel-sysmon/host-metrics: ${fmt(used[0] / used[1])}\n`);
  } finally {
    for (const c of children) c.proc.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const benchmark: Benchmark = {
  name: 'collection',
  description: 'CPU per full host collection, otel-sysmon vs @opentelemetry/host-metrics',
  async run() {
    await measureInProcess();
    await measureProcesses();
  },
};

export default benchmark;
