// What the disk, filesystem, network, uptime, agent-process, thermal-throttle and hwmon collectors add to
// a collection: the full host collection with and without them, side by side in one process (alternating
// rounds, same MeterProvider + reader set-up as bench/collection-subject.ts), on this machine.
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { HostCollection } from '../src/collectors/collect.js';
import { hostCollectionFor } from '../src/collectors/index.js';
import { loadConfig } from '../src/config/load.js';
import { CatalogueProducer } from '../src/telemetry/catalogue-producer.js';
import { PullReader } from '../src/telemetry/prometheus-endpoint.js';
import { cpuMs, fmt, median } from './stats.js';
import type { Benchmark } from './types.js';

/** The collectors that came before these: cpu, memory, swap, paging, load, pressure, frequency. */
const BASE = new Set(['cpu', 'memory', 'swap', 'paging', 'load', 'pressure', 'frequency']);
const ROUNDS = 15;
const PER_ROUND = 200;
const WARM_UP = 500;

async function side(withSources: boolean): Promise<{ collect: () => Promise<number> }> {
  const all = hostCollectionFor(loadConfig({ argv: {}, env: {} }));
  const host = withSources
    ? all
    : new HostCollection({ paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/', live: true }, collectors: all.collectors.filter((c) => BASE.has(c.name)) });
  let latest = await host.collect();
  const reader = new PullReader([new CatalogueProducer(() => latest, PullReader.temporality, { name: 'bench', version: '0' })]);
  new MeterProvider({ readers: [reader] });
  return {
    collect: async () => {
      latest = await host.collect();
      let n = 0;
      for (const s of (await reader.collect()).resourceMetrics.scopeMetrics) for (const m of s.metrics) n += m.dataPoints.length;
      return n;
    },
  };
}

const bench: Benchmark = {
  name: 'host-sources',
  description: 'CPU per host collection with and without the disk, filesystem, network, uptime, process, throttle and hwmon collectors',
  async run() {
    if (process.platform !== 'linux') {
      process.stdout.write('needs /proc: skipped on this platform\n');
      return;
    }
    const sides = { base: await side(false), full: await side(true) };
    const cpu: Record<keyof typeof sides, number[]> = { base: [], full: [] };
    const points: Record<keyof typeof sides, number> = { base: 0, full: 0 };
    for (const name of ['base', 'full'] as const) for (let i = 0; i < WARM_UP; i++) points[name] = await sides[name].collect();
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of r % 2 ? (['full', 'base'] as const) : (['base', 'full'] as const)) {
        const c0 = cpuMs();
        for (let i = 0; i < PER_ROUND; i++) await sides[name].collect();
        cpu[name].push((cpuMs() - c0) / PER_ROUND);
      }
    }
    for (const name of ['base', 'full'] as const) {
      process.stdout.write(`${name === 'base' ? 'without them' : 'with them   '}  CPU ${fmt(median(cpu[name]))} ms/collection  points ${points[name]}\n`);
    }
    process.stdout.write(
      `added: ${fmt(median(cpu.full) - median(cpu.base))} ms per collection for ${points.full - points.base} more points; ratio ${fmt(median(cpu.full) / median(cpu.base), 2)} (medians of ${ROUNDS} alternating rounds x ${PER_ROUND})\n`,
    );
  },
};

export default bench;
