import type { BuildJson } from '../../src/builds/json.js';
import type { StatsView } from '../../src/builds/service.js';

/** The figures of seed 004's monitor.dat example as a /api/stats answer. */
export const STATS: StatsView = {
  totalBuildTimeMs: 0,
  totalCpuSeconds: 0,
  totalCpuCycles: 0,
  queued: 142,
  built: 38,
  failed: 2,
  ignored: 0,
  skipped: 5,
  remaining: 97,
  rate: 24,
  impulse: 3,
  activeWorkers: 4,
  maxWorkers: 4,
  dynMaxWorkers: 4,
  elapsedSeconds: 943,
  waiting: 93,
  runActive: true,
  runStartedAt: '2026-01-01T10:00:00.000Z',
  load: 3.24,
  adjustedLoad: 5.24,
  swapPercent: 2,
  allTime: { created: 200, built: 150, failed: 10, ignored: 0, skipped: 5 },
};

/** A build running since 10:15:30 (4 min 30 s before the tests' 10:20:00). */
export const RUNNING_BUILD: BuildJson = {
  id: 'b1',
  name: 'devel/gmake',
  worker_id: null,
  status: 'running',
  queued_at: '2026-01-01T10:00:00.000Z',
  started_at: '2026-01-01T10:15:30.000Z',
  finished_at: null,
  duration_ms: 270_000,
  exit_code: null,
  cpu_seconds: 10,
  cpu_seconds_exact: false,
  peak_memory_mb: 100,
  last_cpu_percent: 90,
  last_memory_mb: 90,
  snapshot_count: 54,
};
