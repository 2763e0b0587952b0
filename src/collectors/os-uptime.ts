// system.uptime where there is no /proc/uptime (macOS and other platforms): Node's os.uptime(), which is
// sysctl kern.boottime on macOS.
import os from 'node:os';
import type { Collector, PointSink } from './types.js';

export class OsUptimeCollector implements Collector {
  readonly name = 'uptime';

  constructor(private readonly uptime: () => number = os.uptime) {}

  collect(_ctx: unknown, sink: PointSink): void {
    sink.add('system.uptime', this.uptime());
  }
}
