// Versioned schema of the agent's one SQLite store. Append new migrations at the end with the next
// version number; never edit or reorder a released one (PRAGMA user_version records how far a
// store has come). Builds are version 1; the durable queues (export spool, Proton bridge spool) are 2;
// leases and history are 3.
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'builds, cpu snapshots and build totals',
    sql: `
      CREATE TABLE builds (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        worker_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failed', 'ignored', 'skipped')),
        queued_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        exit_code INTEGER,
        -- Exact CPU-seconds when the reporter knows them (wrap, or cpu_seconds on finish).
        cpu_seconds REAL,
        -- CPU-seconds integrated from snapshots, kept on write so totals never rescan snapshots.
        cpu_seconds_integrated REAL NOT NULL DEFAULT 0,
        last_snapshot_at INTEGER,
        last_cpu_percent REAL,
        last_memory_mb REAL,
        snapshot_count INTEGER NOT NULL DEFAULT 0,
        peak_memory_mb REAL
      );
      CREATE INDEX builds_by_status ON builds (status, started_at);
      CREATE TABLE cpu_snapshots (
        id INTEGER PRIMARY KEY,
        build_id TEXT NOT NULL REFERENCES builds (id),
        timestamp INTEGER NOT NULL,
        cpu_percent REAL NOT NULL,
        memory_mb REAL NOT NULL
      );
      CREATE INDEX cpu_snapshots_by_build ON cpu_snapshots (build_id, timestamp);
      CREATE INDEX cpu_snapshots_by_time ON cpu_snapshots (timestamp);
      -- One row of all-time totals, updated in the same transaction as every build write.
      CREATE TABLE build_totals (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        created INTEGER NOT NULL DEFAULT 0,
        success INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        ignored INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        build_time_ms INTEGER NOT NULL DEFAULT 0,
        cpu_seconds REAL NOT NULL DEFAULT 0,
        snapshots INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO build_totals (id) VALUES (1);
    `,
  },
  {
    version: 2,
    name: 'durable queues: export spool, Proton bridge spool and dead letter',
    sql: `
      -- Every durable queue (src/store/durable-queue.ts) has this shape: key partitions it (the bridge's
      -- stream; '' for exports), items counts what an entry carries (bridge rows; 1 per export request),
      -- body comes last so reading the other columns never walks a large body's overflow pages.
      -- Serialized OTLP ExportMetricsServiceRequests waiting for the collector, replayed byte for byte;
      -- created_at (ms since the epoch) orders the replay and bounds --spool-max-age.
      CREATE TABLE export_spool (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        items INTEGER NOT NULL DEFAULT 1,
        body BLOB NOT NULL
      );
      CREATE INDEX export_spool_by_age ON export_spool (created_at, id);
      CREATE INDEX export_spool_by_key ON export_spool (key, created_at, id);
      -- Rows the bridge accepted from the Collector and Proton has not taken yet, one entry per stream and export.
      CREATE TABLE bridge_spool (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        items INTEGER NOT NULL DEFAULT 1,
        body BLOB NOT NULL
      );
      CREATE INDEX bridge_spool_by_age ON bridge_spool (created_at, id);
      CREATE INDEX bridge_spool_by_key ON bridge_spool (key, created_at, id);
      -- Entries Proton refused as bad data, kept (as readable text) for inspection instead of retried forever.
      CREATE TABLE bridge_dead_letter (
        id INTEGER PRIMARY KEY,
        stream TEXT NOT NULL,
        rows INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        failed_at INTEGER NOT NULL,
        reason TEXT NOT NULL,
        body TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'leases, lease events, history samples, rollups and quiet streaks',
    sql: `
      -- One row per granted lease, updated in place (heartbeats move expires_at): what a restart restores.
      CREATE TABLE leases (
        lease_id TEXT PRIMARY KEY,
        addon_id TEXT NOT NULL,
        job_type TEXT NOT NULL,
        cost_units INTEGER NOT NULL,
        priority TEXT NOT NULL,
        constraints_json TEXT NOT NULL,
        expected_duration_sec REAL,
        state TEXT NOT NULL CHECK (state IN ('ACTIVE', 'RELEASED', 'EXPIRED', 'REVOKED')),
        granted_at INTEGER NOT NULL,
        last_heartbeat_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        ended_at INTEGER,
        end_reason TEXT,
        report_json TEXT
      );
      CREATE INDEX leases_by_state ON leases (state, expires_at);
      CREATE INDEX leases_by_end ON leases (ended_at);
      -- The audit trail: every decision and lifecycle step (denies have no lease_id).
      CREATE TABLE lease_events (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        event TEXT NOT NULL CHECK (event IN ('grant', 'deny', 'release', 'expire', 'revoke', 'report', 'restore')),
        lease_id TEXT,
        addon_id TEXT NOT NULL,
        job_type TEXT,
        cost_units INTEGER,
        priority TEXT,
        reason TEXT NOT NULL
      );
      CREATE INDEX lease_events_by_time ON lease_events (at);
      CREATE INDEX lease_events_by_lease ON lease_events (lease_id);
      -- Scheduler facts that must survive a restart (the last time PANIC was in force, for the cool-down).
      CREATE TABLE scheduler_state (
        key TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      );
      CREATE TABLE stats_samples (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        metric_group TEXT NOT NULL,
        payload_json TEXT NOT NULL
      );
      CREATE INDEX stats_samples_by_group ON stats_samples (metric_group, ts);
      CREATE INDEX stats_samples_by_time ON stats_samples (ts);
      -- Downsampled samples: per numeric field {avg, min, max} over one bucket of bucket_ms.
      CREATE TABLE stats_rollups (
        metric_group TEXT NOT NULL,
        bucket_start INTEGER NOT NULL,
        bucket_ms INTEGER NOT NULL,
        samples INTEGER NOT NULL,
        payload_json TEXT NOT NULL,
        PRIMARY KEY (metric_group, bucket_start)
      );
      CREATE INDEX stats_rollups_by_time ON stats_rollups (bucket_start);
      CREATE TABLE quiet_streaks (
        id INTEGER PRIMARY KEY,
        start_at INTEGER NOT NULL,
        end_at INTEGER NOT NULL,
        open INTEGER NOT NULL CHECK (open IN (0, 1)),
        avg_score REAL NOT NULL,
        min_score REAL NOT NULL,
        samples INTEGER NOT NULL
      );
      CREATE INDEX quiet_streaks_by_end ON quiet_streaks (end_at);
    `,
  },
];
