// Pressure stall information (/proc/pressure/{cpu,memory,io,irq}): system.linux.psi.total_time and
// system.linux.psi.pressure. A kernel without PSI (no /proc/pressure) or without one resource
// (irq before 6.1) gives no points and no error.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectContext, Collector, HostPaths, PointSink } from '../types.js';
import { parsePressure } from './pressure-parser.js';

export const PSI_RESOURCES = ['cpu', 'memory', 'io', 'irq'] as const;
const WINDOWS = ['10s', '60s', '300s'] as const;

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

type Attrs = Readonly<Record<string, string>>;

export class PressureCollector implements Collector {
  readonly name = 'pressure';
  private readonly attrs = new Map<string, { total: Attrs; windows: Attrs[] }>();
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
      for (const line of parsePressure(text, ctx.procPath(relative))) {
        const attrs = this.attributes(resource, line.stall);
        sink.add('system.linux.psi.total_time', line.totalMicros / 1e6, attrs.total);
        sink.add('system.linux.psi.pressure', line.avg10 / 100, attrs.windows[0]);
        sink.add('system.linux.psi.pressure', line.avg60 / 100, attrs.windows[1]);
        sink.add('system.linux.psi.pressure', line.avg300 / 100, attrs.windows[2]);
      }
    }
  }

  private attributes(resource: string, stall: string): { total: Attrs; windows: Attrs[] } {
    const key = `${resource}/${stall}`;
    let attrs = this.attrs.get(key);
    if (!attrs) {
      const total = { 'psi.resource': resource, 'psi.stall': stall };
      attrs = { total, windows: WINDOWS.map((w) => ({ ...total, 'psi.window': w })) };
      this.attrs.set(key, attrs);
    }
    return attrs;
  }
}
