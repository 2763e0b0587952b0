// The export pipeline's own metrics (sysmon.export.*): counters kept by the delivery loop and the
// spool's size, reported by a producer once per collection. Every known reason is reported from the
// start (value 0), so "increase(...) > 0" alerts have a series to look at before the first failure.
import type { Producer } from '../agent/types.js';
import type { Attributes } from '../collectors/types.js';
import type { SpoolSize } from './spool.js';
import { FAILURE_REASONS, type FailureReason } from './transport.js';

export type DropReason = 'non_retryable' | 'spool_bytes' | 'spool_age' | 'spool_error';
export const DROP_REASONS: readonly DropReason[] = ['non_retryable', 'spool_bytes', 'spool_age', 'spool_error'];

export class ExportStats {
  sentLive = 0;
  sentReplayed = 0;
  rejectedPoints = 0;
  readonly failed = new Map<FailureReason, number>(FAILURE_REASONS.map((r) => [r, 0]));
  readonly dropped = new Map<DropReason, number>(DROP_REASONS.map((r) => [r, 0]));

  fail(reason: FailureReason): void {
    this.failed.set(reason, (this.failed.get(reason) ?? 0) + 1);
  }

  drop(reason: DropReason, count = 1): void {
    if (count > 0) this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + count);
  }
}

// One attribute object per series, reused at every collection (exporters and the web page's stream key
// series by attribute object, as the collectors' AttributeCache does).
const LIVE: Attributes = { replayed: false };
const REPLAYED: Attributes = { replayed: true };
const byReason = (reasons: readonly string[]): ReadonlyMap<string, Attributes> => new Map(reasons.map((reason) => [reason, { reason }]));
const FAILED = byReason(FAILURE_REASONS);
const DROPPED = byReason(DROP_REASONS);

/** Reports the counters and the spool size (undefined before the spool is open: no spool points). */
export function exportMetricsProducer(stats: ExportStats, spoolSize: () => SpoolSize | undefined): Producer {
  return (sink) => {
    sink.add('sysmon.export.sent', stats.sentLive, LIVE);
    sink.add('sysmon.export.sent', stats.sentReplayed, REPLAYED);
    for (const [reason, n] of stats.failed) sink.add('sysmon.export.failed', n, FAILED.get(reason) ?? { reason });
    for (const [reason, n] of stats.dropped) sink.add('sysmon.export.dropped', n, DROPPED.get(reason) ?? { reason });
    sink.add('sysmon.export.rejected_points', stats.rejectedPoints);
    const size = spoolSize();
    if (size) {
      sink.add('sysmon.export.spool.bytes', size.bytes);
      sink.add('sysmon.export.spool.requests', size.requests);
    }
  };
}
