// The sysmon.scheduler.* catalogue metrics, reported at every collection from the scheduler's state.
import type { Attributes, PointSink } from '../collectors/types.js';
import type { LeaseScheduler } from './scheduler.js';

/** One attribute object per result and reason code, reused at every collection (exporters key series by it). */
const DECISION_ATTRIBUTES = new Map<string, Attributes>();

function decisionAttributes(result: string, reason: string): Attributes {
  const key = `${result}/${reason}`;
  let attributes = DECISION_ATTRIBUTES.get(key);
  if (!attributes) DECISION_ATTRIBUTES.set(key, (attributes = { result, reason }));
  return attributes;
}

export function emitScheduler(sink: PointSink, s: LeaseScheduler): void {
  sink.add('sysmon.scheduler.capacity.limit', s.capacity());
  sink.add('sysmon.scheduler.capacity.used', s.usedUnits());
  sink.add('sysmon.scheduler.leases.active', s.activeLeases().length);
  // Cumulative counts since the agent started: low-cardinality reason codes, not the reason text.
  for (const d of s.decisionCounts()) sink.add('sysmon.scheduler.decisions', d.count, decisionAttributes(d.result, d.reason));
}
