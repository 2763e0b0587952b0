// The event stream's messages as the page reads them: after the first (the full state), a metric
// whose series are unchanged arrives as its values only, or as its name only when its values are
// unchanged too; when all metrics are the previous message's, as one list of values lined up with
// them; frequency reports as their frequencies alone while nothing else of them changes, and they,
// the collector errors and the scheduler's status are left out while unchanged (StreamEncoder in
// ../live-state.ts).
import type { SnapshotMetric } from '../../snapshot.js';
import type { LiveState } from '../live-state.js';

/** A metric whose series (attribute sets, in order) are those of the previous message: values only. */
export interface MetricValues {
  readonly name: string;
  readonly values: readonly number[];
}

/**
 * A message of the event stream: the live state without the resource; frequency and errors possibly
 * left out (as in the previous message); either `metrics`, each possibly as values or as its name
 * alone (the metric as in the previous message), or `values`, one entry for each metric of the
 * previous message in its order: its new values, or 0 for unchanged.
 */
export type LiveMessage = Omit<LiveState, 'metrics' | 'resource' | 'frequency' | 'errors' | 'scheduler' | 'builds' | 'quiet' | 'health'> & {
  /** Left out while the scheduler's status is the previous message's. */
  readonly scheduler?: LiveState['scheduler'];
  /** Left out while the builds' figures are the previous message's, but for the host's part in `builds_host`. */
  readonly builds?: LiveState['builds'];
  readonly builds_host?: Pick<NonNullable<LiveState['builds']>['stats'], 'load' | 'adjustedLoad' | 'swapPercent'>;
  /** Left out while what the page shows of it (state, score, since, pending, reasons) is the previous message's. */
  readonly quiet?: LiveState['quiet'];
  /** Left out while unchanged. */
  readonly health?: LiveState['health'];
  readonly resource?: LiveState['resource'];
  readonly frequency?: LiveState['frequency'];
  /** The frequency reports' `hz`, in their order, when nothing else of them changed. */
  readonly frequency_hz?: readonly (number | null)[];
  readonly errors?: LiveState['errors'];
  readonly metrics?: readonly (SnapshotMetric | MetricValues | string)[];
  readonly values?: readonly (readonly number[] | 0)[];
};

/** The metric with new values for its series, or undefined when they do not fit (a tab that missed a message). */
function withValues(known: SnapshotMetric | undefined, values: readonly number[]): SnapshotMetric | undefined {
  if (!known || known.points.length !== values.length) return undefined;
  return { ...known, points: known.points.map((p, i) => ({ attributes: p.attributes, value: values[i] })) };
}

/** Turns a stream message back into the full state, given the previous one (the page's side). */
export function decodeMessage(message: LiveMessage, previous: LiveState | undefined): LiveState {
  const { metrics: listed, values, frequency_hz: hz, builds_host: host, ...rest } = message;
  const metrics: SnapshotMetric[] = [];
  if (values) {
    const before = previous?.metrics ?? [];
    values.forEach((v, i) => {
      const m = v === 0 ? before[i] : withValues(before[i], v);
      if (m) metrics.push(m);
    });
  } else {
    const before = new Map((previous?.metrics ?? []).map((m) => [m.name, m]));
    for (const m of listed ?? []) {
      // A metric without its series (cannot happen for a tab that got every message) is left out.
      const decoded = typeof m === 'string' ? before.get(m) : 'values' in m ? withValues(before.get(m.name), m.values) : m;
      if (decoded) metrics.push(decoded);
    }
  }
  return {
    ...rest,
    resource: message.resource ?? previous?.resource ?? {},
    frequency: message.frequency ?? (hz ? (previous?.frequency ?? []).map((r, i) => ({ ...r, hz: hz[i] ?? null })) : (previous?.frequency ?? [])),
    errors: message.errors ?? previous?.errors ?? [],
    scheduler: message.scheduler === undefined ? (previous?.scheduler ?? null) : message.scheduler,
    quiet: message.quiet === undefined ? (previous?.quiet ?? null) : message.quiet,
    health: message.health === undefined ? (previous?.health ?? null) : message.health,
    builds: message.builds !== undefined ? message.builds : previous?.builds && host ? { ...previous.builds, stats: { ...previous.builds.stats, ...host } } : (previous?.builds ?? null),
    metrics,
  };
}
