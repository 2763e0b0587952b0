// History in the agent's SQLite store: raw samples (stats_samples, one row per group and sample),
// downsampled rollups (stats_rollups) and quiet streaks (quiet_streaks); batched retention.
import { type PurgeOptions, purgeInBatches } from '../store/retention.js';
import type { Db } from '../store/store.js';
import type { Aggregate, Payload } from './aggregate.js';

export interface Sample {
  readonly ts: number;
  readonly payload: Payload;
}

export interface Rollup {
  readonly bucketStart: number;
  readonly bucketMs: number;
  readonly aggregate: Aggregate;
}

export interface Streak {
  readonly id: number;
  readonly startAt: number;
  readonly endAt: number;
  readonly open: boolean;
  readonly avgScore: number;
  readonly minScore: number;
  readonly samples: number;
}

/** Tables with a time column that retention trims, and that column. */
const PURGEABLE = {
  stats_samples: 'ts',
  stats_rollups: 'bucket_start',
  quiet_streaks: 'end_at',
  lease_events: 'at',
  leases: 'ended_at',
} as const;
export type PurgeTable = keyof typeof PURGEABLE;

export class HistoryRepo {
  private readonly insertSample;
  private readonly selectSamples;
  private readonly firstSample;
  private readonly lastRollupStmt;
  private readonly upsertRollup;
  private readonly selectRollups;
  private readonly insertStreakStmt;
  private readonly updateStreakStmt;
  private readonly selectStreaks;
  private readonly writeSamples;

  constructor(readonly db: Db) {
    this.insertSample = db.prepare('INSERT INTO stats_samples (ts, metric_group, payload_json) VALUES (?, ?, ?)');
    this.selectSamples = db.prepare(
      'SELECT ts, payload_json FROM stats_samples WHERE metric_group = ? AND ts >= ? AND ts < ? ORDER BY ts, id',
    );
    this.firstSample = db.prepare('SELECT min(ts) FROM stats_samples WHERE metric_group = ?').pluck();
    this.lastRollupStmt = db.prepare('SELECT max(bucket_start) FROM stats_rollups WHERE metric_group = ?').pluck();
    this.upsertRollup = db.prepare(`
      INSERT INTO stats_rollups (metric_group, bucket_start, bucket_ms, samples, payload_json) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (metric_group, bucket_start) DO UPDATE SET bucket_ms = excluded.bucket_ms,
        samples = excluded.samples, payload_json = excluded.payload_json`);
    this.selectRollups = db.prepare(
      'SELECT bucket_start, bucket_ms, payload_json FROM stats_rollups WHERE metric_group = ? AND bucket_start >= ? AND bucket_start < ? ORDER BY bucket_start',
    );
    this.insertStreakStmt = db.prepare(
      'INSERT INTO quiet_streaks (start_at, end_at, open, avg_score, min_score, samples) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.updateStreakStmt = db.prepare(
      'UPDATE quiet_streaks SET end_at = ?, open = ?, avg_score = ?, min_score = ?, samples = ? WHERE id = ?',
    );
    this.selectStreaks = db.prepare('SELECT * FROM quiet_streaks WHERE end_at >= ? ORDER BY start_at');
    this.writeSamples = db.transaction((ts: number, groups: Readonly<Record<string, Payload>>) => {
      for (const [group, payload] of Object.entries(groups)) this.insertSample.run(ts, group, JSON.stringify(payload));
    });
  }

  /** One sample of every group, in one transaction. */
  addSamples(ts: number, groups: Readonly<Record<string, Payload>>): void {
    this.writeSamples(ts, groups);
  }

  samples(group: string, fromMs: number, toMs: number): Sample[] {
    return (this.selectSamples.all(group, fromMs, toMs) as { ts: number; payload_json: string }[]).map((r) => ({
      ts: r.ts,
      payload: JSON.parse(r.payload_json) as Payload,
    }));
  }

  firstSampleAt(group: string): number | undefined {
    return (this.firstSample.get(group) as number | null) ?? undefined;
  }

  lastRollupAt(group: string): number | undefined {
    return (this.lastRollupStmt.get(group) as number | null) ?? undefined;
  }

  putRollup(group: string, r: Rollup): void {
    this.upsertRollup.run(group, r.bucketStart, r.bucketMs, r.aggregate.samples, JSON.stringify(r.aggregate));
  }

  rollups(group: string, fromMs: number, toMs: number): Rollup[] {
    const rows = this.selectRollups.all(group, fromMs, toMs) as { bucket_start: number; bucket_ms: number; payload_json: string }[];
    return rows.map((r) => ({
      bucketStart: r.bucket_start,
      bucketMs: r.bucket_ms,
      aggregate: JSON.parse(r.payload_json) as Aggregate,
    }));
  }

  insertStreak(s: Omit<Streak, 'id'>): number {
    return Number(this.insertStreakStmt.run(s.startAt, s.endAt, s.open ? 1 : 0, s.avgScore, s.minScore, s.samples).lastInsertRowid);
  }

  updateStreak(s: Streak): void {
    this.updateStreakStmt.run(s.endAt, s.open ? 1 : 0, s.avgScore, s.minScore, s.samples, s.id);
  }

  /** Streaks that ended at or after `fromMs` (an open streak's end is its latest stored observation). */
  streaks(fromMs: number): Streak[] {
    return (this.selectStreaks.all(fromMs) as Record<string, number>[]).map((r) => ({
      id: r.id,
      startAt: r.start_at,
      endAt: r.end_at,
      open: r.open === 1,
      avgScore: r.avg_score,
      minScore: r.min_score,
      samples: r.samples,
    }));
  }

  /** Closes streaks a previous run left open: they ended at their last stored observation. */
  closeOpenStreaks(): number {
    return this.db.prepare('UPDATE quiet_streaks SET open = 0 WHERE open = 1').run().changes;
  }

  /**
   * Deletes rows of `table` older than `cutoffMs` in batches, yielding to the event loop between
   * them so a large purge never holds the store (or the API) for long. Active leases have no end
   * time and are never purged.
   */
  purge(table: PurgeTable, cutoffMs: number, options: PurgeOptions = {}): Promise<number> {
    const column = PURGEABLE[table];
    const stmt = this.db.prepare(
      `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${column} < ? LIMIT ?)`,
    );
    return purgeInBatches((limit) => stmt.run(cutoffMs, limit).changes, options);
  }
}
