// The sysmon.scheduler.* catalogue metrics, reported at every collection from the scheduler's state.
import type { PointSink } from '../collectors/types.js';
import type { LeaseScheduler } from './scheduler.js';

export function emitScheduler(sink: PointSink, s: LeaseScheduler): void {
  sink.add('sysmon.scheduler.capacity.limit', s.capacity());
  sink.add('sysmon.scheduler.capacity.used', s.usedUnits());
  sink.add('sysmon.scheduler.leases.active', s.activeLeases().length);
  // Cumulative counts since the agent started: low-cardinality reason codes, not the reason text.
  for (const d of s.decisionCounts()) sink.add('sysmon.scheduler.decisions', d.count, { result: d.result, reason: d.reason });
}
