// Load collector (/proc/loadavg): system.cpu.load_average.{1m,5m,15m} and the adjusted 1m load
// (load1 + tasks blocked on I/O, from the shared /proc/stat parse).
import type { CollectContext, Collector, PointSink } from '../types.js';
import { parseLoadavg } from './loadavg-parser.js';
import { procStat } from './procstat.js';

export class LoadavgCollector implements Collector {
  readonly name = 'load';

  collect(ctx: CollectContext, sink: PointSink): void {
    const load = parseLoadavg(ctx.readProc('loadavg'), ctx.procPath('loadavg'));
    sink.add('system.cpu.load_average.1m', load.load1);
    sink.add('system.cpu.load_average.5m', load.load5);
    sink.add('system.cpu.load_average.15m', load.load15);
    const blocked = procsBlocked(ctx);
    if (blocked !== undefined) sink.add('sysmon.cpu.load_average.adjusted.1m', load.load1 + blocked);
  }
}

/** Blocked tasks, or undefined when /proc/stat failed: that failure is the cpu collector's to report. */
function procsBlocked(ctx: CollectContext): number | undefined {
  try {
    return procStat(ctx).procsBlocked;
  } catch {
    return undefined;
  }
}
