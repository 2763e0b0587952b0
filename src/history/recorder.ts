// Writes history on its schedule: every group's sample at most once per history-interval (checked
// at each collection), quiet streaks at every assessment, rollups of each completed bucket, and
// retention (raw samples and lease events after history-retention, rollups and streaks after
// history-rollup-retention) at start and every hour.
import type { Clock } from '../scheduler/clock.js';
import type { Assessment } from '../scheduler/quiet.js';
import { addSample, bucketize, type Payload } from './aggregate.js';
import type { HistoryRepo, PurgeTable } from './repo.js';
import { GROUPS, type Group } from './stats.js';
import { QuietStreaks } from './streaks.js';

export interface HistorySettings {
  readonly intervalMs: number;
  readonly retentionMs: number;
  readonly rollupStepMs: number;
  readonly rollupRetentionMs: number;
}

export const PURGE_EVERY_MS = 3_600_000;

export class HistoryRecorder {
  readonly streaks: QuietStreaks;
  private lastSampleAt = -Infinity;
  /** Buckets before this start are rolled up (per group). */
  private rolledUpTo = new Map<Group, number>();
  private failure: string | undefined;

  constructor(
    readonly repo: HistoryRepo,
    readonly settings: HistorySettings,
    private readonly clock: Clock,
    private readonly groups: () => Record<Group, Payload>,
  ) {
    this.streaks = new QuietStreaks(repo);
  }

  /** The last store error, until a write succeeds again (for /health). */
  get error(): string | undefined {
    return this.failure;
  }

  /** Called after each assessment. */
  observe(a: Assessment): void {
    this.guard(() => {
      this.streaks.observe(a.atMs, a.state, a.score);
      if (a.atMs - this.lastSampleAt < this.settings.intervalMs) return;
      this.lastSampleAt = a.atMs;
      this.repo.addSamples(a.atMs, this.groups());
      this.streaks.flush();
      this.rollup(a.atMs);
    });
  }

  /** Rolls up every completed bucket not rolled up yet (also those a previous run left behind). */
  rollup(nowMs: number): void {
    const step = this.settings.rollupStepMs;
    const current = Math.floor(nowMs / step) * step;
    for (const group of GROUPS) {
      if ((this.rolledUpTo.get(group) ?? -Infinity) >= current) continue;
      const last = this.repo.lastRollupAt(group);
      const first = this.repo.firstSampleAt(group);
      const from = last !== undefined ? last + step : first !== undefined ? Math.floor(first / step) * step : current;
      if (from < current) {
        const buckets = bucketize(this.repo.samples(group, from, current), step, (s) => s.ts, (agg, s) => addSample(agg, s.payload));
        for (const [bucketStart, aggregate] of buckets) this.repo.putRollup(group, { bucketStart, bucketMs: step, aggregate });
      }
      this.rolledUpTo.set(group, current);
    }
  }

  /** One retention pass; resolves to the rows deleted per table. */
  async purge(signal?: AbortSignal): Promise<Partial<Record<PurgeTable, number>>> {
    const now = this.clock.now();
    const raw = now - this.settings.retentionMs;
    const long = now - this.settings.rollupRetentionMs;
    const cutoffs: [PurgeTable, number][] = [
      ['stats_samples', raw],
      ['lease_events', raw],
      ['leases', raw],
      ['stats_rollups', long],
      ['quiet_streaks', long],
    ];
    const deleted: Partial<Record<PurgeTable, number>> = {};
    for (const [table, cutoff] of cutoffs) deleted[table] = await this.repo.purge(table, cutoff, { signal });
    return deleted;
  }

  /** Stores the open streak's latest figures (shutdown). */
  flush(): void {
    this.guard(() => this.streaks.flush());
  }

  private guard(write: () => void): void {
    try {
      write();
      this.failure = undefined;
    } catch (err) {
      // A full disk or a locked store must not stop the assessment; /health reports it.
      this.failure = (err as Error).message;
    }
  }
}
