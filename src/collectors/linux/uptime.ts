// Uptime collector (/proc/uptime): system.uptime, the first field (seconds since boot, 10 ms resolution).
import { MalformedSourceError } from '../collect.js';
import type { CollectContext, Collector, PointSink } from '../types.js';

export function parseUptime(text: string, file = '/proc/uptime'): number {
  const first = text.trim().split(/\s+/)[0] ?? '';
  if (!/^\d+(\.\d+)?$/.test(first)) throw new MalformedSourceError(file, `expected "<seconds> <idle seconds>", found "${text.trim()}"`);
  return Number(first);
}

export class UptimeCollector implements Collector {
  readonly name = 'uptime';

  collect(ctx: CollectContext, sink: PointSink): void {
    sink.add('system.uptime', parseUptime(ctx.readProc('uptime'), ctx.procPath('uptime')));
  }
}
