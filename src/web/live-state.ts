// What the page shows of one collection, as one JSON document: the collection's metrics by
// catalogue name (whatever collectors exist), the frequency chain's per-CPU outcome with the reasons
// `doctor` gives, dsynth's panel figures and workers, the quiet assessment, the scheduler status and
// the health rollup.
// GET /api/ui/state answers it; the event stream pushes it after every collection, shortened by
// StreamEncoder: a metric whose series are those of the previous message carries only its values.
import type { BuildJson } from '../builds/json.js';
import { buildJson } from '../builds/json.js';
import { type BuildService, hostStats, type StatsView } from '../builds/service.js';
import type { CpuFrequencyReport } from '../collectors/frequency/types.js';
import type { MetricName } from '../catalogue.js';
import type { Attributes, Collection, CollectorError } from '../collectors/types.js';
import type { Health } from '../history/health.js';
import { statusJson, statusMovesWithTime } from '../scheduler/json.js';
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
  /** The rollup GET /api/system-stats/health answers (without its streak summary). */
  health(): Health | undefined;
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
  readonly health: Health | null;
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
  const now = s.now();
  const builds = s.builds();
  const scheduler = s.scheduler();
  const assessment = s.assessment();
  return {
    collected_at: collection ? new Date(collection.timeMs).toISOString() : null,
    interval_ms: s.intervalMs,
    resource: s.resource,
    metrics: doc?.metrics ?? [],
    errors: doc?.errors ?? [],
    frequency: s.frequencyReports() ?? [],
    builds: builds ? buildsJson(builds, now) : null,
    quiet: assessment ? assessmentJson(assessment) : null,
    scheduler: scheduler ? statusJson(scheduler, now) : null,
    health: s.health() ?? null,
  };
}

/**
 * Encodes the stream's messages. The first message a tab gets is the full state; after that each
 * collection's metrics go out as values when their series are unchanged (collectors reuse one
 * attribute object per series, so comparing references is enough), as the name alone when their
 * values are unchanged too (limits, counts, idle pressure), and when every metric is the previous
 * message's, in its order, with the same series (the steady case), as one list of values lined up
 * with the previous message's metrics, without names. The frequency chain's reports go out whole when
 * their outcome changes, as their frequencies alone when only those moved, and not at all otherwise;
 * the collector errors only when they change; the scheduler's status only when its revision changed
 * or it moves with the clock (a queue, a cool-down); the builds' figures when they changed or a run is
 * on (idle, the host's load and swap alone); the quiet assessment when what the page shows of it
 * changed; the health rollup when it changed. Every open tab has seen the previous message: a tab
 * attaching gets the full state of the latest collection, which is the one the previous message
 * described.
 *
 * It runs once per collection, at the default interval every 10 s, cold: what it does not build costs
 * nothing, so the steady case is plain loops over the previous message's metrics and no section is
 * built that cannot have changed (a page's whole cost to the agent is this and one socket write per
 * browser; see the README's Performance section).
 */
export class StreamEncoder {
  /** The metrics of the previous message: name, series (attribute objects) and values, in order. */
  private metrics: readonly Sent[] = [];
  private frequency: readonly CpuFrequencyReport[] = [];
  private errors: readonly CollectorError[] = [];
  /** The scheduler revision the previous message showed (NaN: none, or one that moved with time). */
  private schedulerRevision = NaN;
  /** What the builds figures shown came from (undefined: send them next time), and their host part. */
  private builds: { readonly revision: number; readonly totals: unknown } | null | undefined;
  private buildsHost: HostStats | undefined;
  private assessment: Assessment | undefined;
  private health: Health | null = null;

  constructor(private readonly sources: LiveSources) {}

  /** The full state, as the first message of a new tab; it becomes the reference for the next message. */
  full(): string {
    const state = liveState(this.sources);
    this.metrics = state.metrics.map((m) => ({ name: m.name, attributes: m.points.map((p) => p.attributes), values: m.points.map((p) => p.value) }));
    this.frequency = state.frequency;
    this.errors = state.errors;
    const scheduler = this.sources.scheduler();
    this.schedulerRevision = scheduler && !statusMovesWithTime(scheduler, this.sources.now()) ? scheduler.revision : NaN;
    // The builds and the quiet assessment are compared again at the next message.
    this.builds = undefined;
    this.assessment = undefined;
    this.health = state.health;
    return JSON.stringify(state);
  }

  /** The next message for every open tab; works from the collection's points, without the snapshot document. */
  next(): string {
    const s = this.sources;
    const collection = s.latest();
    const now = s.now();
    const frequency = s.frequencyReports() ?? [];
    const errors = collection?.errors ?? [];
    const message: Mutable<LiveMessage> = {
      collected_at: collection ? new Date(collection.timeMs).toISOString() : null,
      interval_ms: s.intervalMs,
      ...(collection ? (this.steadyValues(collection) ?? this.changedMetrics(collection)) : this.changedMetrics(undefined)),
    };
    this.addBuilds(message, now);
    const a = s.assessment();
    if (!sameShownAssessment(a, this.assessment)) message.quiet = a ? assessmentJson(a) : null;
    this.assessment = a;
    const health = s.health() ?? null;
    if (!sameHealth(health, this.health)) message.health = health;
    this.health = health;
    // The scheduler's status is built only when it changed or moves with the clock; idle, it never is.
    const scheduler = s.scheduler();
    if (!scheduler) message.scheduler = null;
    else if (scheduler.revision !== this.schedulerRevision) message.scheduler = statusJson(scheduler, now);
    // One that moves with the clock is sent again next time (NaN equals no revision), also the time it
    // stops moving (the cool-down's end).
    this.schedulerRevision = scheduler && !statusMovesWithTime(scheduler, now) ? scheduler.revision : NaN;
    if (!sameOutcome(frequency, this.frequency)) message.frequency = frequency;
    else this.addHz(message, frequency);
    if (!sameErrors(errors, this.errors)) message.errors = errors;
    this.frequency = frequency;
    this.errors = errors;
    return JSON.stringify(message);
  }

  /**
   * The next message if it would carry only values (the same series, collector errors and frequency
   * outcome as the previous message): the collection's time, its values and the frequencies if they
   * moved, with no section built; undefined otherwise. Like next(), it moves the reference on.
   */
  steady(): string | undefined {
    const s = this.sources;
    const collection = s.latest();
    if (!collection || !sameErrors(collection.errors, this.errors)) return undefined;
    const frequency = s.frequencyReports() ?? [];
    if (!sameOutcome(frequency, this.frequency)) return undefined;
    const values = this.steadyValues(collection);
    if (!values) return undefined;
    const message: Mutable<LiveMessage> = { collected_at: new Date(collection.timeMs).toISOString(), interval_ms: s.intervalMs, ...values };
    this.addHz(message, frequency);
    this.frequency = frequency;
    return JSON.stringify(message);
  }

  /** The frequencies alone when only they moved (the chain's outcome is the previous message's). */
  private addHz(message: Mutable<LiveMessage>, frequency: readonly CpuFrequencyReport[]): void {
    if (!sameHz(frequency, this.frequency)) message.frequency_hz = frequency.map((r) => r.hz);
  }

  /**
   * The builds figures when they changed: idle (no run, nothing running or waiting), only the host's
   * load and swap move, and those go alone; a run moves with the clock and is sent whole every time
   * (and once more when it stops).
   */
  private addBuilds(message: Mutable<LiveMessage>, now: number): void {
    const service = this.sources.builds();
    if (!service) {
      if (this.builds !== null) message.builds = null;
      this.builds = null;
      return;
    }
    const run = service.runView();
    const moving = run.active || run.running > 0 || run.waiting > 0;
    const b = this.builds;
    if (moving || !b || b.revision !== service.revision || b.totals !== service.repo.cachedTotals) {
      message.builds = buildsJson(service, now);
      this.buildsHost = message.builds.stats;
    } else {
      const host = hostStats(service.hostFigures);
      if (!sameHostStats(host, this.buildsHost)) message.builds_host = host;
      this.buildsHost = host;
    }
    this.builds = moving ? undefined : { revision: service.revision, totals: service.repo.cachedTotals };
  }

  /** The steady case: the previous message's metrics with the same series; undefined when they are not. */
  private steadyValues(collection: Collection): Pick<LiveMessage, 'values'> | undefined {
    const before = this.metrics;
    if (collection.points.size !== before.length) return undefined;
    const values: (number[] | 0)[] = new Array(before.length);
    for (let i = 0; i < before.length; i++) {
      const m = before[i];
      const points = collection.points.get(m.name as MetricName);
      if (points === undefined || points.length !== m.attributes.length) return undefined;
      let changed = false;
      for (let j = 0; j < points.length; j++) {
        if (points[j].attributes !== m.attributes[j]) return undefined;
        if (points[j].value !== m.values[j]) changed = true;
      }
      if (!changed) {
        values[i] = 0;
        continue;
      }
      const v: number[] = new Array(points.length);
      for (let j = 0; j < points.length; j++) v[j] = points[j].value;
      values[i] = v;
    }
    // Only now the reference moves on: a shape change half-way leaves it as the tabs know it.
    for (let i = 0; i < before.length; i++) {
      const v = values[i];
      if (v !== 0) before[i].values = v;
    }
    return { values };
  }

  /** Metrics appeared, went or changed their series: each by name, as values, or whole. */
  private changedMetrics(collection: Collection | undefined): Pick<LiveMessage, 'metrics'> {
    const byName = new Map(this.metrics.map((m) => [m.name, m]));
    const sent: Sent[] = [];
    const encoded: (SnapshotMetric | MetricValues | string)[] = [];
    if (collection) {
      forEachCollected(collection, (def, points) => {
        const values = points.map((p) => p.value);
        const before = byName.get(def.name);
        const sameSeries = before !== undefined && before.attributes.length === points.length && points.every((p, i) => p.attributes === before.attributes[i]);
        if (!sameSeries) encoded.push(snapshotMetric(def, points));
        else encoded.push(values.every((v, i) => v === before.values[i]) ? def.name : { name: def.name, values });
        sent.push({ name: def.name, attributes: sameSeries ? before.attributes : points.map((p) => p.attributes), values });
      });
    }
    this.metrics = sent;
    return { metrics: encoded };
  }
}

interface Sent {
  readonly name: string;
  readonly attributes: readonly Attributes[];
  values: readonly number[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type HostStats = ReturnType<typeof hostStats>;

function sameHostStats(a: HostStats, b: HostStats | undefined): boolean {
  return b !== undefined && a.load === b.load && a.adjustedLoad === b.adjustedLoad && a.swapPercent === b.swapPercent;
}

/** What the page shows of an assessment: state, score, since when, what is pending and why. */
function sameShownAssessment(a: Assessment | undefined, b: Assessment | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a.state !== b.state || a.score !== b.score || a.sinceMs !== b.sinceMs || a.reasons.length !== b.reasons.length) return false;
  if (a.pending?.state !== b.pending?.state || a.pending?.sinceMs !== b.pending?.sinceMs) return false;
  for (let i = 0; i < a.reasons.length; i++) if (a.reasons[i] !== b.reasons[i]) return false;
  return true;
}

function sameHealth(a: Health | null, b: Health | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.status !== b.status || a.reasons.length !== b.reasons.length) return false;
  for (let i = 0; i < a.reasons.length; i++) if (a.reasons[i] !== b.reasons[i]) return false;
  return true;
}

/** The same sources tried with the same outcomes for the same CPUs; frequencies aside. */
function sameOutcome(a: readonly CpuFrequencyReport[], b: readonly CpuFrequencyReport[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.cpu !== y.cpu || x.source !== y.source || x.series !== y.series || x.tried.length !== y.tried.length) return false;
    for (let j = 0; j < x.tried.length; j++) {
      const s = x.tried[j];
      const t = y.tried[j];
      if (s.source !== t.source || s.ok !== t.ok || s.reason !== t.reason || s.variant !== t.variant) return false;
    }
  }
  return true;
}

function sameHz(a: readonly CpuFrequencyReport[], b: readonly CpuFrequencyReport[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i].hz !== b[i].hz) return false;
  return true;
}

function sameErrors(a: readonly CollectorError[], b: readonly CollectorError[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].collector !== b[i].collector || a[i].message !== b[i].message) return false;
  return true;
}
