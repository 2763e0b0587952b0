// What the page shows of one collection, as one JSON document: the collection's metrics by
// catalogue name (whatever collectors exist), the frequency chain's per-CPU outcome with the reasons
// `doctor` gives, dsynth's panel figures and workers, the quiet assessment and the scheduler status.
// GET /api/ui/state answers it; the event stream pushes it after every collection, shortened by
// StreamEncoder: a metric whose series are those of the previous message carries only its values.
import type { BuildJson } from '../builds/json.js';
import { buildJson } from '../builds/json.js';
import type { BuildService, StatsView } from '../builds/service.js';
import type { CpuFrequencyReport } from '../collectors/frequency/types.js';
import type { Attributes, Collection, CollectorError } from '../collectors/types.js';
import { statusJson } from '../scheduler/json.js';
import { type Assessment, assessmentJson } from '../scheduler/quiet.js';
import type { LeaseScheduler } from '../scheduler/scheduler.js';
import { forEachCollected, type SnapshotMetric, snapshotDocument, snapshotMetric } from '../snapshot.js';
import type { ResourceAttributes } from '../telemetry/resource.js';
import type { LiveMessage, MetricValues } from './client/stream.js';

export interface LiveSources {
  readonly intervalMs: number;
  readonly resource: ResourceAttributes;
  latest(): Collection | undefined;
  frequencyReports(): readonly CpuFrequencyReport[] | undefined;
  builds(): BuildService | undefined;
  scheduler(): LeaseScheduler | undefined;
  assessment(): Assessment | undefined;
  now(): number;
}

export interface LiveState {
  readonly collected_at: string | null;
  readonly interval_ms: number;
  readonly resource: Readonly<Record<string, string | number | boolean>>;
  readonly metrics: readonly SnapshotMetric[];
  readonly errors: readonly CollectorError[];
  readonly frequency: readonly CpuFrequencyReport[];
  readonly builds: { readonly stats: StatsView; readonly running: readonly BuildJson[] } | null;
  readonly quiet: ReturnType<typeof assessmentJson> | null;
  readonly scheduler: ReturnType<typeof statusJson> | null;
}

function buildsJson(builds: BuildService, now: number): NonNullable<LiveState['builds']> {
  const stats = builds.stats();
  // No query for running builds when the run has none (the common, idle case).
  const running = stats.activeWorkers > 0 ? builds.repo.withStatus('running').map((b) => buildJson(b, now)) : [];
  return { stats, running };
}

export function liveState(s: LiveSources): LiveState {
  const collection = s.latest();
  const doc = collection ? snapshotDocument(collection, s.resource) : undefined;
  return { ...sections(s, collection), resource: s.resource, metrics: doc?.metrics ?? [], errors: doc?.errors ?? [] };
}

/** The live state but for the resource and the collection's metrics and errors. */
function sections(s: LiveSources, collection: Collection | undefined) {
  const now = s.now();
  const builds = s.builds();
  const scheduler = s.scheduler();
  const assessment = s.assessment();
  return {
    collected_at: collection ? new Date(collection.timeMs).toISOString() : null,
    interval_ms: s.intervalMs,
    frequency: s.frequencyReports() ?? [],
    builds: builds ? buildsJson(builds, now) : null,
    quiet: assessment ? assessmentJson(assessment) : null,
    scheduler: scheduler ? statusJson(scheduler, now) : null,
  };
}

/**
 * Encodes the stream's messages. The first message a tab gets is the full state; after that each
 * collection's metrics go out as values when their series are unchanged (collectors reuse one
 * attribute object per series, so comparing references is enough), as the name alone when their
 * values are unchanged too (limits, counts, idle pressure), and when every metric is the previous
 * message's, in its order, with the same series (the steady case), as one list of values lined up
 * with the previous message's metrics, without names. The frequency chain's reports and the collector
 * errors are left out while they read as before. Names, series and reports are most of the bytes to
 * serialize and send. Every open tab has seen the previous message: a tab attaching gets the full
 * state of the latest collection, which is the one the previous message described.
 */
export class StreamEncoder {
  /** The metrics of the previous message: name, series (attribute objects) and values, in order. */
  private metrics: readonly Sent[] = [];
  private byName = new Map<string, Sent>();
  private frequency = '';
  private errors = '';

  constructor(private readonly sources: LiveSources) {}

  /** The full state, as the first message of a new tab; it becomes the reference for the next message. */
  full(): string {
    const state = liveState(this.sources);
    this.remember(
      state.metrics.map((m) => ({ name: m.name, attributes: m.points.map((p) => p.attributes), values: m.points.map((p) => p.value) })),
      JSON.stringify(state.frequency),
      JSON.stringify(state.errors),
    );
    return JSON.stringify(state);
  }

  /** The next message for every open tab; works from the collection's points, without the snapshot document. */
  next(): string {
    const collection = this.sources.latest();
    const { frequency, ...rest } = sections(this.sources, collection);
    const errors = collection?.errors ?? [];
    const sent: Sent[] = [];
    const encoded: (SnapshotMetric | MetricValues | string)[] = [];
    let aligned = true;
    if (collection) {
      forEachCollected(collection, (def, points) => {
        const values = points.map((p) => p.value);
        const before = this.byName.get(def.name);
        const sameSeries = before !== undefined && before.attributes.length === points.length && points.every((p, i) => p.attributes === before.attributes[i]);
        if (!sameSeries) {
          aligned = false;
          encoded.push(snapshotMetric(def, points));
        } else encoded.push(values.every((v, i) => v === before.values[i]) ? def.name : { name: def.name, values });
        if (this.metrics[sent.length]?.name !== def.name) aligned = false;
        sent.push({ name: def.name, attributes: sameSeries ? before.attributes : points.map((p) => p.attributes), values });
      });
    }
    if (sent.length !== this.metrics.length) aligned = false;
    const frequencyJson = JSON.stringify(frequency);
    const errorsJson = JSON.stringify(errors);
    const message: LiveMessage = {
      ...rest,
      ...(frequencyJson === this.frequency ? {} : { frequency }),
      ...(errorsJson === this.errors ? {} : { errors }),
      ...(aligned ? { values: encoded.map((e) => (typeof e === 'string' ? 0 : (e as MetricValues).values)) } : { metrics: encoded }),
    };
    this.remember(sent, frequencyJson, errorsJson);
    return JSON.stringify(message);
  }

  private remember(metrics: readonly Sent[], frequency: string, errors: string): void {
    this.metrics = metrics;
    this.byName = new Map(metrics.map((m) => [m.name, m]));
    this.frequency = frequency;
    this.errors = errors;
  }
}

interface Sent {
  readonly name: string;
  readonly attributes: readonly Attributes[];
  readonly values: readonly number[];
}
