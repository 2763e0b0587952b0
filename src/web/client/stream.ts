// The event stream's messages as the page reads them: after the first (the full state), a metric
// whose series are unchanged arrives as its values only (StreamEncoder in ../live-state.ts).
import type { SnapshotMetric } from '../../snapshot.js';
import type { LiveState } from '../live-state.js';

/** A metric whose series (attribute sets, in order) are those of the previous message: values only. */
export interface MetricValues {
  readonly name: string;
  readonly values: readonly number[];
}

/** A message of the event stream: the live state without the resource, metrics possibly as values only. */
export type LiveMessage = Omit<LiveState, 'metrics' | 'resource'> & {
  readonly resource?: LiveState['resource'];
  readonly metrics: readonly (SnapshotMetric | MetricValues)[];
};

/** Turns a stream message back into the full state, given the previous one (the page's side). */
export function decodeMessage(message: LiveMessage, previous: LiveState | undefined): LiveState {
  const before = new Map((previous?.metrics ?? []).map((m) => [m.name, m]));
  const metrics: SnapshotMetric[] = [];
  for (const m of message.metrics) {
    if (!('values' in m)) {
      metrics.push(m);
      continue;
    }
    const known = before.get(m.name);
    // Cannot happen for a tab that got every message; a metric without its series is left out.
    if (!known || known.points.length !== m.values.length) continue;
    metrics.push({ ...known, points: known.points.map((p, i) => ({ attributes: p.attributes, value: m.values[i] })) });
  }
  return { ...message, resource: message.resource ?? previous?.resource ?? {}, metrics };
}
