// Swap collector (/proc/swaps): system.paging.usage and system.paging.utilization per device.
// No swap configured (header only) means no points.
import type { CollectContext, Collector, PointSink } from '../types.js';
import { parseSwaps, type SwapDevice } from './swaps-parser.js';

/** Emits usage and utilization for swap devices (shared with the non-Linux fallback). */
export function addSwapPoints(sink: PointSink, devices: readonly SwapDevice[]): void {
  for (const d of devices) {
    const used = { 'system.paging.state': 'used', 'system.device': d.device };
    const free = { 'system.paging.state': 'free', 'system.device': d.device };
    const freeBytes = Math.max(0, d.sizeBytes - d.usedBytes);
    sink.add('system.paging.usage', d.usedBytes, used);
    sink.add('system.paging.usage', freeBytes, free);
    if (d.sizeBytes > 0) {
      sink.add('system.paging.utilization', d.usedBytes / d.sizeBytes, used);
      sink.add('system.paging.utilization', freeBytes / d.sizeBytes, free);
    }
  }
}

export class SwapsCollector implements Collector {
  readonly name = 'swap';

  collect(ctx: CollectContext, sink: PointSink): void {
    addSwapPoints(sink, parseSwaps(ctx.readProc('swaps'), ctx.procPath('swaps')));
  }
}
