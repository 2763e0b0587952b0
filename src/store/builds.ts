// Builds and their CPU snapshots. Every write updates the build_totals row in the same
// transaction, so all-time totals cost one row read however many snapshots exist.
import type { Db } from './store.js';

export const FINISHED_STATUSES = ['success', 'failed', 'ignored', 'skipped'] as const;
export type FinishedStatus = (typeof FINISHED_STATUSES)[number];
export type BuildStatus = 'queued' | 'running' | FinishedStatus;

export interface Build {
  readonly id: string;
  readonly name: string;
  readonly workerId: string | null;
  readonly status: BuildStatus;
  readonly queuedAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly exitCode: number | null;
  /** Exact CPU-seconds when known, else integrated from snapshots. */
  readonly cpuSeconds: number;
  readonly cpuSecondsExact: boolean;
  readonly peakMemoryMb: number | null;
  readonly lastCpuPercent: number | null;
  readonly lastMemoryMb: number | null;
  readonly snapshotCount: number;
}

export interface Snapshot {
  readonly timestamp: number;
  readonly cpuPercent: number;
  readonly memoryMb: number;
}

export interface SnapshotEntry {
  readonly id: string;
  readonly snapshot: Snapshot;
}

export interface BuildTotals {
  readonly created: number;
  readonly success: number;
  readonly failed: number;
  readonly ignored: number;
  readonly skipped: number;
  /** Sum of finished - started over success and failed builds. */
  readonly buildTimeMs: number;
  readonly cpuSeconds: number;
  readonly snapshots: number;
}

/** A request about a build that does not exist. */
export class BuildNotFoundError extends Error {
  readonly field = 'id';
  constructor(id: string) {
    super(`no build with id ${JSON.stringify(id)}`);
    this.name = 'BuildNotFoundError';
  }
}

/** A request that contradicts the build's state (existing id, already finished, ...). */
export class BuildConflictError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'BuildConflictError';
  }
}

interface BuildRow {
  id: string;
  name: string;
  worker_id: string | null;
  status: BuildStatus;
  queued_at: number;
  started_at: number | null;
  finished_at: number | null;
  exit_code: number | null;
  cpu_seconds: number | null;
  cpu_seconds_integrated: number;
  last_snapshot_at: number | null;
  last_cpu_percent: number | null;
  last_memory_mb: number | null;
  snapshot_count: number;
  peak_memory_mb: number | null;
}

function toBuild(r: BuildRow): Build {
  return {
    id: r.id,
    name: r.name,
    workerId: r.worker_id,
    status: r.status,
    queuedAt: r.queued_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    exitCode: r.exit_code,
    cpuSeconds: r.cpu_seconds ?? r.cpu_seconds_integrated,
    cpuSecondsExact: r.cpu_seconds !== null,
    peakMemoryMb: r.peak_memory_mb,
    lastCpuPercent: r.last_cpu_percent,
    lastMemoryMb: r.last_memory_mb,
    snapshotCount: r.snapshot_count,
  };
}

export function isFinished(status: BuildStatus): status is FinishedStatus {
  return (FINISHED_STATUSES as readonly string[]).includes(status);
}

export interface NewBuild {
  readonly id: string;
  readonly name: string;
  readonly workerId?: string;
}

export interface Finish {
  readonly status: FinishedStatus;
  readonly exitCode?: number;
  readonly cpuSeconds?: number;
  readonly peakMemoryMb?: number;
}

export class BuildRepo {
  private readonly select;
  private readonly insert;
  private readonly setStarted;
  private readonly setFinished;
  private readonly insertSnapshot;
  private readonly updateAfterSnapshot;
  private readonly selectTotals;
  private readonly dataVersion;
  /** The totals row as last read, valid while this connection wrote nothing and no other committed. */
  private totalsCache: { dataVersion: number; totals: BuildTotals } | undefined;
  private readonly selectSnapshots;
  private readonly selectByStatus;
  private readonly selectRecent;
  private readonly deleteBatch;
  private readonly txCreate;
  private readonly txStart;
  private readonly txFinish;
  private readonly txBatch;

  constructor(db: Db) {
    this.select = db.prepare<[string], BuildRow>('SELECT * FROM builds WHERE id = ?');
    this.insert = db.prepare(
      'INSERT INTO builds (id, name, worker_id, status, queued_at) VALUES (@id, @name, @workerId, @status, @now)',
    );
    this.setStarted = db.prepare("UPDATE builds SET status = 'running', started_at = ? WHERE id = ?");
    this.setFinished = db.prepare(
      `UPDATE builds SET status = @status, finished_at = @now, exit_code = @exitCode,
         cpu_seconds = COALESCE(@cpuSeconds, cpu_seconds),
         peak_memory_mb = MAX(COALESCE(peak_memory_mb, 0), COALESCE(@peak, 0))
       WHERE id = @id`,
    );
    this.insertSnapshot = db.prepare(
      'INSERT INTO cpu_snapshots (build_id, timestamp, cpu_percent, memory_mb) VALUES (?, ?, ?, ?)',
    );
    this.updateAfterSnapshot = db.prepare(
      `UPDATE builds SET cpu_seconds_integrated = cpu_seconds_integrated + @cpu,
         last_snapshot_at = MAX(COALESCE(last_snapshot_at, @ts), @ts),
         last_cpu_percent = @cpuPercent, last_memory_mb = @memoryMb,
         snapshot_count = snapshot_count + 1,
         peak_memory_mb = MAX(COALESCE(peak_memory_mb, 0), @memoryMb)
       WHERE id = @id`,
    );
    this.selectTotals = db.prepare<[], Record<string, number>>(
      'SELECT created, success, failed, ignored, skipped, build_time_ms, cpu_seconds, snapshots FROM build_totals WHERE id = 1',
    );
    // Changes when another connection (wrap writing the store directly) commits; not on our own writes.
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.selectSnapshots = db.prepare<[string, number], { timestamp: number; cpu_percent: number; memory_mb: number }>(
      'SELECT timestamp, cpu_percent, memory_mb FROM cpu_snapshots WHERE build_id = ? ORDER BY timestamp, id LIMIT ?',
    );
    this.selectByStatus = db.prepare<[string, number], BuildRow>(
      'SELECT * FROM builds WHERE status = ? ORDER BY COALESCE(started_at, queued_at), id LIMIT ?',
    );
    this.selectRecent = db.prepare<[number], BuildRow>('SELECT * FROM builds ORDER BY queued_at DESC, id LIMIT ?');
    this.deleteBatch = db.prepare(
      'DELETE FROM cpu_snapshots WHERE id IN (SELECT id FROM cpu_snapshots WHERE timestamp < ? ORDER BY timestamp LIMIT ?)',
    );

    const bumpCreated = db.prepare('UPDATE build_totals SET created = created + 1 WHERE id = 1');
    const bumpFinished = new Map(
      FINISHED_STATUSES.map((status) => [
        status,
        db.prepare(
          `UPDATE build_totals SET ${status} = ${status} + 1, build_time_ms = build_time_ms + ?, cpu_seconds = cpu_seconds + ? WHERE id = 1`,
        ),
      ]),
    );
    this.txCreate = db.transaction((b: NewBuild, now: number): Build => {
      if (this.select.get(b.id)) throw new BuildConflictError(`a build with id ${JSON.stringify(b.id)} exists`, 'id');
      this.insert.run({ id: b.id, name: b.name, workerId: b.workerId ?? null, status: 'queued', now });
      this.totalsChanged();
      bumpCreated.run();
      return toBuild(this.select.get(b.id)!);
    });
    this.txStart = db.transaction((id: string, now: number): Build => {
      const row = this.mustGet(id);
      if (row.status !== 'queued') {
        throw new BuildConflictError(`build ${JSON.stringify(id)} is ${row.status}, not queued`, 'id');
      }
      this.setStarted.run(now, id);
      return toBuild(this.select.get(id)!);
    });
    this.txFinish = db.transaction((id: string, f: Finish, now: number): Build => {
      const row = this.mustGet(id);
      if (isFinished(row.status)) throw new BuildConflictError(`build ${JSON.stringify(id)} already finished`, 'id');
      // A build that never started has no build time: only ignored and skipped may end it from the queue.
      if (row.status === 'queued' && (f.status === 'success' || f.status === 'failed')) {
        throw new BuildConflictError(
          `build ${JSON.stringify(id)} is queued: start it before finishing it as ${f.status} (only ignored and skipped end a build that never started)`,
          'status',
        );
      }
      this.setFinished.run({
        id,
        status: f.status,
        now,
        exitCode: f.exitCode ?? null,
        cpuSeconds: f.cpuSeconds ?? null,
        peak: f.peakMemoryMb ?? null,
      });
      const ran = (f.status === 'success' || f.status === 'failed') && row.started_at !== null;
      const buildTime = ran ? Math.max(0, now - row.started_at!) : 0;
      const cpu = f.cpuSeconds ?? row.cpu_seconds ?? row.cpu_seconds_integrated;
      this.totalsChanged();
      bumpFinished.get(f.status)!.run(buildTime, cpu);
      return toBuild(this.select.get(id)!);
    });
    const bumpSnapshots = db.prepare('UPDATE build_totals SET snapshots = snapshots + ? WHERE id = 1');
    const selectForSnapshot = db.prepare<[string], Pick<BuildRow, 'status' | 'started_at' | 'last_snapshot_at'>>(
      'SELECT status, started_at, last_snapshot_at FROM builds WHERE id = ?',
    );
    // Every entry is checked before anything is written for it, so a refused entry needs no savepoint.
    this.txBatch = db.transaction((entries: readonly SnapshotEntry[]): (Error | undefined)[] => {
      let stored = 0;
      const results = entries.map((e): Error | undefined => {
        const row = selectForSnapshot.get(e.id);
        if (!row) return new BuildNotFoundError(e.id);
        if (isFinished(row.status)) return new BuildConflictError(`build ${JSON.stringify(e.id)} already finished`, 'id');
        const s = e.snapshot;
        // Each snapshot stands for the interval since the previous one (or the start).
        const since = row.last_snapshot_at ?? row.started_at;
        const cpu = since !== null && s.timestamp > since ? (s.cpuPercent / 100) * ((s.timestamp - since) / 1000) : 0;
        this.insertSnapshot.run(e.id, s.timestamp, s.cpuPercent, s.memoryMb);
        this.updateAfterSnapshot.run({ id: e.id, cpu, ts: s.timestamp, cpuPercent: s.cpuPercent, memoryMb: s.memoryMb });
        stored += 1;
        return undefined;
      });
      if (stored > 0) {
        this.totalsChanged();
        bumpSnapshots.run(stored);
      }
      return results;
    });
  }

  private mustGet(id: string): BuildRow {
    const row = this.select.get(id);
    if (!row) throw new BuildNotFoundError(id);
    return row;
  }

  create(build: NewBuild, nowMs: number): Build {
    return this.txCreate(build, nowMs);
  }

  start(id: string, nowMs: number): Build {
    return this.txStart(id, nowMs);
  }

  finish(id: string, finish: Finish, nowMs: number): Build {
    return this.txFinish(id, finish, nowMs);
  }

  /** Records one snapshot; throws BuildNotFoundError or BuildConflictError when refused. */
  addSnapshot(id: string, snapshot: Snapshot): void {
    const [err] = this.txBatch([{ id, snapshot }]);
    if (err) throw err;
  }

  /**
   * Records many snapshots in one transaction (one commit instead of one per request); each
   * entry succeeds or fails on its own (a savepoint per entry). Returns the error of each entry.
   */
  addSnapshots(entries: readonly SnapshotEntry[]): (Error | undefined)[] {
    return this.txBatch(entries);
  }

  get(id: string): Build | undefined {
    const row = this.select.get(id);
    return row ? toBuild(row) : undefined;
  }

  snapshots(id: string, limit = 100_000): Snapshot[] {
    this.mustGet(id);
    return this.selectSnapshots
      .all(id, limit)
      .map((r) => ({ timestamp: r.timestamp, cpuPercent: r.cpu_percent, memoryMb: r.memory_mb }));
  }

  withStatus(status: BuildStatus, limit = 1000): Build[] {
    return this.selectByStatus.all(status, limit).map(toBuild);
  }

  recent(limit = 100): Build[] {
    return this.selectRecent.all(limit).map(toBuild);
  }

  private totalsChanged(): void {
    this.totalsCache = undefined;
  }

  /** All-time totals; the agent reads them every collection, so an unchanged row is not read again. */
  /** The totals the last totals() read (a new object whenever they were read again), without a query. */
  get cachedTotals(): BuildTotals | undefined {
    return this.totalsCache?.totals;
  }

  totals(): BuildTotals {
    const dataVersion = this.dataVersion.get()!;
    if (this.totalsCache?.dataVersion === dataVersion) return this.totalsCache.totals;
    const r = this.selectTotals.get()!;
    const totals: BuildTotals = {
      created: r.created,
      success: r.success,
      failed: r.failed,
      ignored: r.ignored,
      skipped: r.skipped,
      buildTimeMs: r.build_time_ms,
      cpuSeconds: r.cpu_seconds,
      snapshots: r.snapshots,
    };
    this.totalsCache = { dataVersion, totals };
    return totals;
  }

  /** Deletes up to `batch` snapshots older than `cutoffMs`; returns how many went. */
  purgeSnapshotsBefore(cutoffMs: number, batch: number): number {
    return this.deleteBatch.run(cutoffMs, batch).changes;
  }
}
