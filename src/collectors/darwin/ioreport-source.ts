// The `ioreport` frequency source (Apple Silicon, no sudo): "CPU Stats" performance-state
// residencies between two collections, weighted by the pmgr DVFS tables (see ioreport-math.ts).
import { performance } from 'node:perf_hooks';
import {
  type DarwinIOReport,
  type DarwinIOReportSubscription,
  type DarwinSample,
  loadDarwinIOReport,
} from '../../../native-bindings/darwin-ioreport.js';
import type { Logger } from '../../log.js';
import type { FrequencyReading, FrequencySource } from '../frequency/types.js';
import {
  accClusterTableKeys,
  CLUSTER_STATES,
  CLUSTER_VARIANT,
  CORE_STATES,
  CPU_STATS,
  type CoreTier,
  decodeVoltageStates,
  dvfsTableHz,
  ioreportFrequencies,
} from './ioreport-math.js';

/** Residency deltas over less than this are too noisy; the previous sample is kept instead. */
export const MIN_WINDOW_MS = 250;
const WARMING_UP = 'warming up: the first IOReport sample was taken, the estimate comes from the next collection';
const NO_CHANNEL = 'no IOReport performance-state channel for this CPU';

export interface IOReportSourceDeps {
  readonly api?: () => DarwinIOReport;
  /** Monotonic milliseconds. */
  readonly clock?: () => number;
  readonly log?: Logger;
}

export const NULL_SAMPLE_REASON =
  'IOReportCreateSamples returned NULL (after sleep, or the subscription was lost): no estimate this collection';
export const NULL_DELTA_REASON = 'IOReportCreateSamplesDelta returned NULL: no estimate this collection';
export const CLUSTER_ONLY_MESSAGE =
  'IOReport gives no usable per-core channels on this Mac: every core of a cluster reports the cluster clock (sysmon.cpu.frequency.source says ioreport/cluster)';

interface Prepared {
  readonly subscription: DarwinIOReportSubscription;
  readonly tables: Record<CoreTier, number[]>;
  readonly tierCpus: Record<CoreTier, number>;
}

type Reason = { readonly reason: string };

export class IOReportFrequencySource implements FrequencySource {
  readonly name = 'ioreport' as const;
  private prepared: Prepared | Reason | undefined;
  private previous: { sample: DarwinSample; atMs: number } | undefined;
  private last: ReadonlyMap<number, FrequencyReading> | undefined;
  /** The failure logged last (logged once until a sample works again), and whether cluster-only was said. */
  private failing: string | undefined;
  private saidClusterOnly = false;

  constructor(private readonly deps: IOReportSourceDeps = {}) {}

  unavailableReason(): string | undefined {
    const p = this.prepare();
    return 'reason' in p ? p.reason : undefined;
  }

  read(_ctx: unknown, cpus: readonly number[]): ReadonlyMap<number, FrequencyReading> {
    const p = this.prepare();
    if ('reason' in p) return new Map(cpus.map((cpu) => [cpu, p]));
    const now = (this.deps.clock ?? performance.now.bind(performance))();
    const sample = p.subscription.sample();
    // A NULL sample: keep the previous baseline, so the next good sample gives a (longer) window.
    if (!sample) return this.fail(cpus, NULL_SAMPLE_REASON);
    const previous = this.previous;
    if (previous && now - previous.atMs < MIN_WINDOW_MS) {
      // Too soon after the previous sample: keep the older baseline, repeat the last answer.
      p.subscription.release(sample);
      const tooSoon = `warming up: less than ${MIN_WINDOW_MS} ms since the previous IOReport sample`;
      return this.answer(cpus, this.last, this.last ? NO_CHANNEL : tooSoon);
    }
    this.previous = { sample, atMs: now };
    if (!previous) return this.answer(cpus, undefined, WARMING_UP);
    const channels = p.subscription.delta(previous.sample, sample);
    p.subscription.release(previous.sample);
    if (!channels) return this.fail(cpus, NULL_DELTA_REASON);
    this.recovered();
    this.last = ioreportFrequencies({ channels, tables: p.tables, tierCpus: p.tierCpus });
    const cluster = [...this.last.values()].find((r) => r.variant === CLUSTER_VARIANT);
    if (!this.saidClusterOnly && cluster && 'hz' in cluster) {
      this.saidClusterOnly = true;
      this.deps.log?.warn(CLUSTER_ONLY_MESSAGE, { detail: cluster.note });
    }
    return this.answer(cpus, this.last, NO_CHANNEL);
  }

  /** One logged error per distinct failure (not one per collection), and a reason for every CPU. */
  private fail(cpus: readonly number[], reason: string): ReadonlyMap<number, FrequencyReading> {
    if (this.failing !== reason) this.deps.log?.error('ioreport frequency source failed', { reason });
    this.failing = reason;
    this.last = undefined;
    return this.answer(cpus, undefined, reason);
  }

  private recovered(): void {
    if (this.failing === undefined) return;
    this.deps.log?.info('ioreport frequency source works again', { after: this.failing });
    this.failing = undefined;
  }

  close(): void {
    if (this.previous && this.prepared && !('reason' in this.prepared)) this.prepared.subscription.release(this.previous.sample);
    this.previous = undefined;
  }

  private answer(cpus: readonly number[], readings: ReadonlyMap<number, FrequencyReading> | undefined, missing: string) {
    return new Map(cpus.map((cpu) => [cpu, readings?.get(cpu) ?? { reason: missing }]));
  }

  private prepare(): Prepared | Reason {
    if (!this.prepared) {
      try {
        this.prepared = prepare((this.deps.api ?? loadDarwinIOReport)());
      } catch (err) {
        this.prepared = { reason: (err as Error).message };
      }
    }
    return this.prepared;
  }
}

function prepare(api: DarwinIOReport): Prepared | Reason {
  const brand = api.sysctlString('machdep.cpu.brand_string');
  const raw = (key: string): number[] => decodeVoltageStates(api.pmgrProperty(key) ?? new Uint8Array());
  let e = raw('voltage-states1-sram');
  let p = raw('voltage-states5-sram');
  if (e.length === 0 || p.length === 0) {
    // M5 and later list their tables in acc-clusters instead of the fixed properties.
    const keys = accClusterTableKeys(api.pmgrProperty('acc-clusters') ?? new Uint8Array());
    if (keys) {
      e = raw(keys.E);
      p = raw(keys.P);
    }
  }
  if (e.length === 0 && p.length === 0) {
    return { reason: `no DVFS tables in the IORegistry pmgr entry (${brand ?? 'unknown CPU'}: not Apple Silicon, or a macOS VM); use sysctl` };
  }
  const subscription = api.subscribe([
    [CPU_STATS, CORE_STATES],
    [CPU_STATS, CLUSTER_STATES],
  ]);
  if (!subscription) return { reason: 'IOReport has no "CPU Stats" performance-state channels (not available inside a macOS VM)' };
  return {
    subscription,
    tables: { E: dvfsTableHz(e, brand), P: dvfsTableHz(p, brand) },
    // perflevel0 is the fastest tier (P), perflevel1 the next (E).
    tierCpus: { P: api.sysctlNumber('hw.perflevel0.logicalcpu') ?? 0, E: api.sysctlNumber('hw.perflevel1.logicalcpu') ?? 0 },
  };
}
