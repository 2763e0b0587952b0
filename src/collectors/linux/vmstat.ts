// Paging collector (/proc/vmstat): system.paging.operations and system.paging.faults.
import type { CollectContext, Collector, PointSink } from '../types.js';
import { parseVmstat } from './vmstat-parser.js';

// Swapping a page in or out is a major fault's work (semconv: system.paging.fault.type on operations).
const IN = { 'system.paging.direction': 'in', 'system.paging.fault.type': 'major' } as const;
const OUT = { 'system.paging.direction': 'out', 'system.paging.fault.type': 'major' } as const;
const MAJOR = { 'system.paging.fault.type': 'major' } as const;
const MINOR = { 'system.paging.fault.type': 'minor' } as const;

export class VmstatCollector implements Collector {
  readonly name = 'paging';

  collect(ctx: CollectContext, sink: PointSink): void {
    const v = parseVmstat(ctx.readProc('vmstat'), ctx.procPath('vmstat'));
    if (v.pswpin !== undefined) sink.add('system.paging.operations', v.pswpin, IN);
    if (v.pswpout !== undefined) sink.add('system.paging.operations', v.pswpout, OUT);
    if (v.pgfault !== undefined && v.pgmajfault !== undefined) {
      // pgfault counts every fault, major ones included.
      sink.add('system.paging.faults', v.pgmajfault, MAJOR);
      sink.add('system.paging.faults', v.pgfault - v.pgmajfault, MINOR);
    }
  }
}
