// Aggregation of history samples (pure): numbers keep count, sum, minimum and maximum; a quiet
// state keeps the worst one seen; other strings keep the last; arrays and objects are left out.
// The same aggregate is the downsampled rollup stored in SQLite and the point of a history query,
// and rollups merge into wider steps without going back to the raw samples.
import { QUIET_STATES, type QuietState, stateRank } from '../scheduler/types.js';

export type Payload = Readonly<Record<string, unknown>>;

export interface FieldStats {
  n: number;
  sum: number;
  min: number;
  max: number;
}

export interface Aggregate {
  samples: number;
  numbers: Record<string, FieldStats>;
  /** Fields holding a quiet state (state, raw_state): the worst in the bucket. */
  states: Record<string, QuietState>;
  /** Other string fields: the latest value. */
  strings: Record<string, string>;
}

export function emptyAggregate(): Aggregate {
  return { samples: 0, numbers: {}, states: {}, strings: {} };
}

const isState = (v: string): v is QuietState => (QUIET_STATES as readonly string[]).includes(v);

function worse(a: QuietState | undefined, b: QuietState): QuietState {
  return a === undefined || stateRank(b) > stateRank(a) ? b : a;
}

export function addSample(agg: Aggregate, payload: Payload): void {
  agg.samples += 1;
  for (const [k, v] of Object.entries(payload)) {
    if (typeof v === 'number' && Number.isFinite(v)) {
      const f = (agg.numbers[k] ??= { n: 0, sum: 0, min: v, max: v });
      f.n += 1;
      f.sum += v;
      f.min = Math.min(f.min, v);
      f.max = Math.max(f.max, v);
    } else if (typeof v === 'string') {
      if (isState(v)) agg.states[k] = worse(agg.states[k], v);
      else agg.strings[k] = v;
    }
  }
}

export function mergeAggregate(into: Aggregate, other: Aggregate): void {
  into.samples += other.samples;
  for (const [k, o] of Object.entries(other.numbers)) {
    const f = into.numbers[k];
    if (!f) into.numbers[k] = { ...o };
    else {
      f.n += o.n;
      f.sum += o.sum;
      f.min = Math.min(f.min, o.min);
      f.max = Math.max(f.max, o.max);
    }
  }
  for (const [k, s] of Object.entries(other.states)) into.states[k] = worse(into.states[k], s);
  Object.assign(into.strings, other.strings);
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

/** A history point: averages, minimums and maximums per numeric field, worst states, last strings. */
export function pointJson(bucketStartMs: number, agg: Aggregate) {
  const avg: Record<string, number> = {};
  const min: Record<string, number> = {};
  const max: Record<string, number> = {};
  for (const [k, f] of Object.entries(agg.numbers)) {
    avg[k] = round(f.sum / f.n);
    min[k] = round(f.min);
    max[k] = round(f.max);
  }
  return { t: new Date(bucketStartMs).toISOString(), samples: agg.samples, avg, min, max, ...agg.states, ...agg.strings };
}

/** Groups timed payloads or aggregates into buckets of `stepMs` aligned to the epoch. */
export function bucketize<T>(
  items: readonly T[],
  stepMs: number,
  at: (item: T) => number,
  add: (agg: Aggregate, item: T) => void,
): Map<number, Aggregate> {
  const buckets = new Map<number, Aggregate>();
  for (const item of items) {
    const start = Math.floor(at(item) / stepMs) * stepMs;
    let agg = buckets.get(start);
    if (!agg) buckets.set(start, (agg = emptyAggregate()));
    add(agg, item);
  }
  return buckets;
}
