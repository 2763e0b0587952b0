// Pressure stall information (/proc/pressure/{cpu,memory,io,irq}) under the names of the Collector's
// pressure scraper (hostmetricsreceiver pressurescraper/metadata.yaml): system.<resource>.linux.pressure.total
// and .10s/.1m/.5m, with system.pressure.stall_type some/full. Values keep the declared units: total in
// seconds (the kernel's µs / 1e6), averages as fractions (the kernel's percent / 100). A kernel without PSI
// (no /proc/pressure) or without one resource (irq before 6.1) gives no points and no error.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricName } from '../../catalogue.js';
import type { CollectContext, Collector, HostPaths, PointSink } from '../types.js';
import { parsePressure } from './pressure-parser.js';

export const PSI_RESOURCES = ['cpu', 'memory', 'io', 'irq'] as const;

/** Every pressure metric name, per resource (literal names so each metric leads here). */
const NAMES = {
  cpu: {
    total: 'system.cpu.linux.pressure.total',
    avg10: 'system.cpu.linux.pressure.10s',
    avg60: 'system.cpu.linux.pressure.1m',
    avg300: 'system.cpu.linux.pressure.5m',
  },
  memory: {
    total: 'system.memory.linux.pressure.total',
    avg10: 'system.memory.linux.pressure.10s',
    avg60: 'system.memory.linux.pressure.1m',
    avg300: 'system.memory.linux.pressure.5m',
  },
  io: {
    total: 'system.io.linux.pressure.total',
    avg10: 'system.io.linux.pressure.10s',
    avg60: 'system.io.linux.pressure.1m',
    avg300: 'system.io.linux.pressure.5m',
  },
  irq: {
    total: 'system.irq.linux.pressure.total',
    avg10: 'system.irq.linux.pressure.10s',
    avg60: 'system.irq.linux.pressure.1m',
    avg300: 'system.irq.linux.pressure.5m',
  },
} as const satisfies Record<(typeof PSI_RESOURCES)[number], Record<'total' | 'avg10' | 'avg60' | 'avg300', MetricName>>;

const STALL: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  some: { 'system.pressure.stall_type': 'some' },
  full: { 'system.pressure.stall_type': 'full' },
};

/** For `doctor`: whether the kernel exposes PSI under the configured procfs, and if not why. */
export function pressureSupport(paths: HostPaths): { available: true } | { available: false; reason: string } {
  if (existsSync(join(paths.procfs, 'pressure'))) return { available: true };
  return {
    available: false,
    reason: `${join(paths.procfs, 'pressure')} does not exist (kernel older than 4.20, built without CONFIG_PSI, or booted with psi=0)`,
  };
}

/** Read errors that mean "this kernel has no such PSI file", not a failure. */
function isAbsent(err: unknown): boolean {
  const message = (err as Error).message;
  return message.endsWith(': not found') || message.includes('EOPNOTSUPP');
}

export class PressureCollector implements Collector {
  readonly name = 'pressure';
  // PSI files appear only with a kernel change (a reboot), so an absent one is not looked for again.
  private readonly absent = new Set<string>();

  collect(ctx: CollectContext, sink: PointSink): void {
    for (const resource of PSI_RESOURCES) {
      const relative = `pressure/${resource}`;
      if (this.absent.has(relative)) continue;
      let text: string;
      try {
        text = ctx.readProc(relative);
      } catch (err) {
        if (!isAbsent(err)) throw err;
        this.absent.add(relative);
        continue;
      }
      const names = NAMES[resource];
      for (const line of parsePressure(text, ctx.procPath(relative))) {
        const attrs = STALL[line.stall] ?? { 'system.pressure.stall_type': line.stall };
        sink.add(names.total, line.totalMicros / 1e6, attrs);
        sink.add(names.avg10, line.avg10 / 100, attrs);
        sink.add(names.avg60, line.avg60 / 100, attrs);
        sink.add(names.avg300, line.avg300 / 100, attrs);
      }
    }
  }
}
