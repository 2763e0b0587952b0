// Host collectors for macOS and other non-Linux platforms, through Node's os module and
// systeminformation. They never read Linux files, so a missing /proc cannot fail them.
import { createRequire } from 'node:module';
import os from 'node:os';
import type si from 'systeminformation';
import { CpuWindowTracker } from '../linux/cpu-window.js';
import type { CpuTicks } from '../linux/procstat-parser.js';
import { addSwapPoints } from '../linux/swaps.js';
import type { CollectContext, Collector, PointSink } from '../types.js';

/** The platform calls the fallback uses; tests inject fixed values. */
export interface FallbackSystem {
  readonly platform: NodeJS.Platform;
  cpus(): os.CpuInfo[];
  totalmem(): number;
  freemem(): number;
  loadavg(): number[];
  mem(): Promise<si.Systeminformation.MemData>;
}

export const nodeSystem: FallbackSystem = {
  platform: process.platform,
  cpus: () => os.cpus(),
  totalmem: () => os.totalmem(),
  freemem: () => os.freemem(),
  loadavg: () => os.loadavg(),
  // Required on first use: only non-Linux hosts call it, and loading it costs 90+ ms and 5 MB.
  mem: () => (createRequire(import.meta.url)('systeminformation') as typeof si).mem(),
};

// os.cpus() times in CPU_MODES order (user, nice, system, idle, iowait, interrupt, steal); the
// platform has no iowait or steal, so those stay 0 and get no points.
const REPORTED_MODES = [
  [0, 'user'],
  [1, 'nice'],
  [2, 'system'],
  [3, 'idle'],
  [5, 'interrupt'],
] as const;

export class FallbackCpuCollector implements Collector {
  readonly name = 'cpu';
  private readonly tracker = new CpuWindowTracker(1 / 1000);
  private previousMonoMs: number | undefined;

  constructor(private readonly system: FallbackSystem = nodeSystem) {}

  collect(ctx: CollectContext, sink: PointSink): void {
    const cpus = this.system.cpus();
    const ticks: CpuTicks[] = cpus.map(({ times: t }, cpu) => ({
      cpu,
      ticks: [t.user, t.nice, t.sys, t.idle, 0, t.irq, 0],
      modes: 7,
    }));
    // Parked Apple Silicon cores stop counting ticks: each CPU's window is floored at the wall clock.
    const wallSeconds = this.previousMonoMs === undefined ? undefined : (ctx.monoMs - this.previousMonoMs) / 1000;
    this.previousMonoMs = ctx.monoMs;
    const windows = this.tracker.next(ticks, wallSeconds);
    for (const { cpu, ticks: values } of ticks) {
      const window = windows.get(cpu);
      for (const [m, mode] of REPORTED_MODES) {
        const attrs = { 'cpu.mode': mode, 'cpu.logical_number': cpu };
        sink.add('system.cpu.time', values[m] / 1000, attrs);
        if (window) sink.add('system.cpu.utilization', window.modeSeconds[m] / window.totalSeconds, attrs);
      }
    }
    sink.add('system.cpu.logical.count', cpus.length);
  }
}

/**
 * systeminformation's mem() spawns vm_stat and sysctl on macOS: one call per collection shared by
 * the memory and swap collectors, and not more than once a second across collections.
 */
export class SystemMemorySampler {
  private last: { atMs: number; data: Promise<si.Systeminformation.MemData> } | undefined;

  constructor(
    private readonly system: FallbackSystem = nodeSystem,
    private readonly maxAgeMs = 1000,
  ) {}

  get(ctx: CollectContext): Promise<si.Systeminformation.MemData> {
    if (!this.last || ctx.monoMs - this.last.atMs >= this.maxAgeMs) {
      this.last = { atMs: ctx.monoMs, data: this.system.mem() };
    }
    return this.last.data;
  }
}

export class FallbackMemoryCollector implements Collector {
  readonly name = 'memory';

  constructor(
    private readonly system: FallbackSystem = nodeSystem,
    private readonly sampler = new SystemMemorySampler(system),
  ) {}

  async collect(ctx: CollectContext, sink: PointSink): Promise<void> {
    const total = this.system.totalmem();
    const free = this.system.freemem();
    sink.add('system.memory.limit', total);
    const m = await this.sampler.get(ctx);
    // macOS free pages exclude reclaimable cache: systeminformation's "available" adds it back.
    const used = Math.max(0, total - (m.available > 0 ? m.available : free));
    // macOS reports buffers and cache as one figure (buffcache); Linux-like systems split them.
    const cached = m.cached > 0 ? m.cached : m.buffcache;
    const states: [number, string][] = [
      [used, 'used'],
      [free, 'free'],
    ];
    if (m.buffers > 0) states.push([m.buffers, 'buffers']);
    if (cached > 0) states.push([cached, 'cached']);
    for (const [bytes, state] of states) {
      const attrs = { 'system.memory.state': state };
      sink.add('system.memory.usage', bytes, attrs);
      sink.add('system.memory.utilization', bytes / total, attrs);
    }
  }
}

/** Where swap lives, used as system.device: macOS keeps its swap files in /private/var/vm. */
function swapDevice(platform: NodeJS.Platform): string {
  return platform === 'darwin' ? '/private/var/vm' : 'swap';
}

export class FallbackSwapCollector implements Collector {
  readonly name = 'swap';

  constructor(
    private readonly system: FallbackSystem = nodeSystem,
    private readonly sampler = new SystemMemorySampler(system),
  ) {}

  async collect(ctx: CollectContext, sink: PointSink): Promise<void> {
    const m = await this.sampler.get(ctx);
    if (m.swaptotal <= 0) return;
    addSwapPoints(sink, [{ device: swapDevice(this.system.platform), sizeBytes: m.swaptotal, usedBytes: m.swapused }]);
  }
}

export class FallbackLoadCollector implements Collector {
  readonly name = 'load';

  constructor(private readonly system: FallbackSystem = nodeSystem) {}

  collect(_ctx: CollectContext, sink: PointSink): void {
    // Windows has no load average: os.loadavg() is always zeros there.
    if (this.system.platform === 'win32') return;
    const [load1, load5, load15] = this.system.loadavg();
    sink.add('system.cpu.load_average.1m', load1);
    sink.add('system.cpu.load_average.5m', load5);
    sink.add('system.cpu.load_average.15m', load15);
  }
}

/** cpu, memory, swap and load for a non-Linux host (frequency is added by createHostCollectors). */
export function createFallbackCollectors(system: FallbackSystem = nodeSystem): Collector[] {
  const sampler = new SystemMemorySampler(system);
  return [
    new FallbackCpuCollector(system),
    new FallbackMemoryCollector(system, sampler),
    new FallbackSwapCollector(system, sampler),
    new FallbackLoadCollector(system),
  ];
}
