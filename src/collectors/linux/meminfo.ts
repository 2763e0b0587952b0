// Memory collector (/proc/meminfo): system.memory.usage/utilization by state, limit and available,
// shared (Shmem) and slab (SReclaimable, SUnreclaim).
import type { CollectContext, Collector, PointSink } from '../types.js';
import { parseMeminfo } from './meminfo-parser.js';

const USED = { 'system.memory.state': 'used' } as const;
const FREE = { 'system.memory.state': 'free' } as const;
const BUFFERS = { 'system.memory.state': 'buffers' } as const;
const CACHED = { 'system.memory.state': 'cached' } as const;
const SLAB_RECLAIMABLE = { 'system.memory.linux.slab.state': 'reclaimable' } as const;
const SLAB_UNRECLAIMABLE = { 'system.memory.linux.slab.state': 'unreclaimable' } as const;

export class MeminfoCollector implements Collector {
  readonly name = 'memory';

  collect(ctx: CollectContext, sink: PointSink): void {
    const m = parseMeminfo(ctx.readProc('meminfo'), ctx.procPath('meminfo'));
    // Kernels before 3.14 lack MemAvailable: fall back to procps' old estimate (free + buffers +
    // page cache + reclaimable slab) for "used", and emit no linux.available since the kernel gave none.
    const available = m.available ?? m.free + m.buffers + m.cached + m.sReclaimable;
    const used = Math.max(0, m.total - available);
    // cached is the page cache alone (Cached). The Collector's cached is larger: gopsutil adds
    // SReclaimable to it (README, "Choices made against the standards").
    const states = [
      [used, USED],
      [m.free, FREE],
      [m.buffers, BUFFERS],
      [m.cached, CACHED],
    ] as const;
    for (const [bytes, attrs] of states) {
      sink.add('system.memory.usage', bytes, attrs);
      sink.add('system.memory.utilization', bytes / m.total, attrs);
    }
    sink.add('system.memory.limit', m.total);
    if (m.available !== undefined) sink.add('system.memory.linux.available', m.available);
    if (m.shmem !== undefined) sink.add('system.memory.linux.shared', m.shmem);
    if (m.sUnreclaim !== undefined) {
      sink.add('system.memory.linux.slab.usage', m.sReclaimable, SLAB_RECLAIMABLE);
      sink.add('system.memory.linux.slab.usage', m.sUnreclaim, SLAB_UNRECLAIMABLE);
    }
  }
}
