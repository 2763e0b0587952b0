// One side of the in-process comparison, run in its own process so neither side pays for the other's
// garbage: `node dist/bench/collection-subject.js otel-sysmon|host-metrics ROUNDS PER_ROUND` prints one
// JSON line per round ({cpuMs, wallMs} per collection) and a last line with the point count.
// With a fourth argument `alloc` (and node --expose-gc and a young generation large enough to hold a
// round) each round prints {bytes}: heap allocated per collection, from heapUsed across a round in which
// no garbage collection ran (rounds where one did are dropped).
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { HostMetrics } from '@opentelemetry/host-metrics';
import { MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { hostCollectionFor } from '../src/collectors/index.js';
import { loadConfig } from '../src/config/load.js';
import { CatalogueProducer } from '../src/telemetry/catalogue-producer.js';
import { PullReader } from '../src/telemetry/prometheus-endpoint.js';
import { cpuMs } from './stats.js';

function countPoints(rm: ResourceMetrics): number {
  let n = 0;
  for (const s of rm.scopeMetrics) for (const m of s.metrics) n += m.dataPoints.length;
  return n;
}

/**
 * One full collection: read the sources and collect them through the same MeterProvider and reader
 * set-up; host-metrics reports through SDK instruments, otel-sysmon through its catalogue producer.
 */
async function subject(name: string): Promise<() => Promise<number>> {
  if (name === 'host-metrics') {
    const reader = new PullReader();
    new HostMetrics({ meterProvider: new MeterProvider({ readers: [reader] }), name: 'bench' }).start();
    return async () => countPoints((await reader.collect()).resourceMetrics);
  }
  const host = hostCollectionFor(loadConfig({ argv: {}, env: {} }));
  let latest = await host.collect();
  const reader = new PullReader([new CatalogueProducer(() => latest, PullReader.temporality, { name: 'bench', version: '0' })]);
  new MeterProvider({ readers: [reader] });
  return async () => {
    latest = await host.collect();
    return countPoints((await reader.collect()).resourceMetrics);
  };
}

async function allocationRounds(collect: () => Promise<number>, rounds: number, perRound: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('alloc mode needs node --expose-gc');
  let gcs = 0;
  new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });
  // GC entries reach the observer a few event-loop turns late.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  for (let r = 0; r < rounds; r++) {
    gc();
    await settle();
    const before = gcs;
    const h0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < perRound; i++) await collect();
    const h1 = process.memoryUsage().heapUsed;
    await settle();
    if (gcs === before) process.stdout.write(JSON.stringify({ bytes: (h1 - h0) / perRound }) + '\n');
  }
}

const [name = 'otel-sysmon', rounds = '7', perRound = '200', mode = 'cpu'] = process.argv.slice(2);
const WARM_UP = 500;
const collect = await subject(name);
let points = 0;
// Warm-up, not measured: the JIT optimizes both sides' hot code before the rounds.
for (let i = 0; i < WARM_UP; i++) points = await collect();
if (mode === 'alloc') {
  await allocationRounds(collect, Number(rounds), Number(perRound));
  process.exit(0);
}
for (let r = 0; r < Number(rounds); r++) {
  const c0 = cpuMs();
  const w0 = performance.now();
  for (let i = 0; i < Number(perRound); i++) await collect();
  const n = Number(perRound);
  process.stdout.write(JSON.stringify({ cpuMs: (cpuMs() - c0) / n, wallMs: (performance.now() - w0) / n }) + '\n');
}
process.stdout.write(JSON.stringify({ points }) + '\n');
process.exit(0);
