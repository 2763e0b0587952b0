// History queries: a group over a range in steps. Ranges within the raw retention read raw samples;
// longer ones read rollups, with the step widened to a whole number of rollup buckets.
import { parseDuration, ValueError } from '../config/values.js';
import { addSample, bucketize, mergeAggregate, pointJson } from './aggregate.js';
import type { HistorySettings } from './recorder.js';
import type { HistoryRepo } from './repo.js';
import { GROUPS, type Group } from './stats.js';

/** Most points one answer holds. */
export const MAX_POINTS = 2000;
/** Points the default step aims at. */
const DEFAULT_POINTS = 360;

export class HistoryQueryError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'HistoryQueryError';
  }
}

export interface HistoryParams {
  readonly group: Group;
  readonly rangeMs: number;
  readonly stepMs: number;
}

function duration(raw: string | null, field: string, fallback: number): number {
  if (raw === null || raw === '') return fallback;
  try {
    return parseDuration(raw);
  } catch (err) {
    if (err instanceof ValueError) throw new HistoryQueryError(`invalid ${field}: expected ${err.expected}`, field);
    throw err;
  }
}

/** Checks ?group=&range=&step= against the settings (400 naming the field otherwise). */
export function parseHistoryParams(query: URLSearchParams, s: HistorySettings): HistoryParams {
  const group = query.get('group') ?? 'quiet';
  if (!(GROUPS as readonly string[]).includes(group)) {
    throw new HistoryQueryError(`invalid group: expected one of ${GROUPS.join(', ')}`, 'group');
  }
  const rangeMs = duration(query.get('range'), 'range', 3_600_000);
  if (rangeMs < 1000 || rangeMs > s.rollupRetentionMs) {
    throw new HistoryQueryError(`invalid range: expected 1s to ${Math.round(s.rollupRetentionMs / 86_400_000)}d (history-rollup-retention)`, 'range');
  }
  const fallbackStep = Math.max(s.intervalMs, Math.ceil(rangeMs / DEFAULT_POINTS / 1000) * 1000);
  const stepMs = duration(query.get('step'), 'step', fallbackStep);
  if (stepMs < 1000 || stepMs > rangeMs) throw new HistoryQueryError('invalid step: expected 1s or more, and no more than range', 'step');
  if (rangeMs / stepMs > MAX_POINTS) {
    throw new HistoryQueryError(`invalid step: range/step gives more than ${MAX_POINTS} points`, 'step');
  }
  return { group: group as Group, rangeMs, stepMs };
}

export function historyQuery(repo: HistoryRepo, s: HistorySettings, p: HistoryParams, nowMs: number) {
  const fromMs = nowMs - p.rangeMs;
  const raw = p.rangeMs <= s.retentionMs;
  const stepMs = raw ? p.stepMs : Math.ceil(p.stepMs / s.rollupStepMs) * s.rollupStepMs;
  const buckets = raw
    ? bucketize(repo.samples(p.group, fromMs, nowMs + 1), stepMs, (x) => x.ts, (agg, x) => addSample(agg, x.payload))
    : bucketize(
        repo.rollups(p.group, Math.floor(fromMs / s.rollupStepMs) * s.rollupStepMs, nowMs + 1),
        stepMs,
        (r) => r.bucketStart,
        (agg, r) => mergeAggregate(agg, r.aggregate),
      );
  return {
    group: p.group,
    from: new Date(fromMs).toISOString(),
    to: new Date(nowMs).toISOString(),
    range_sec: p.rangeMs / 1000,
    step_sec: stepMs / 1000,
    source: raw ? 'raw' : 'rollup',
    points: [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([start, agg]) => pointJson(start, agg)),
  };
}
