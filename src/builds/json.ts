// The JSON shapes of builds on the API (snake_case, like the request bodies seed 000 sends).
import type { Build, Snapshot } from '../store/builds.js';

export interface BuildJson {
  readonly id: string;
  readonly name: string;
  readonly worker_id: string | null;
  readonly status: Build['status'];
  readonly queued_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  /** finished (or now, while running) minus started; null before the start. */
  readonly duration_ms: number | null;
  readonly exit_code: number | null;
  readonly cpu_seconds: number;
  /** True when cpu_seconds came from the kernel (wrap) or the finish request, not from snapshots. */
  readonly cpu_seconds_exact: boolean;
  readonly peak_memory_mb: number | null;
  readonly last_cpu_percent: number | null;
  readonly last_memory_mb: number | null;
  readonly snapshot_count: number;
}

export interface SnapshotJson {
  readonly timestamp: string;
  readonly cpu_percent: number;
  readonly memory_mb: number;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function buildJson(b: Build, nowMs: number): BuildJson {
  return {
    id: b.id,
    name: b.name,
    worker_id: b.workerId,
    status: b.status,
    queued_at: new Date(b.queuedAt).toISOString(),
    started_at: iso(b.startedAt),
    finished_at: iso(b.finishedAt),
    duration_ms: b.startedAt === null ? null : Math.max(0, (b.finishedAt ?? nowMs) - b.startedAt),
    exit_code: b.exitCode,
    cpu_seconds: b.cpuSeconds,
    cpu_seconds_exact: b.cpuSecondsExact,
    peak_memory_mb: b.peakMemoryMb,
    last_cpu_percent: b.lastCpuPercent,
    last_memory_mb: b.lastMemoryMb,
    snapshot_count: b.snapshotCount,
  };
}

export function snapshotJson(s: Snapshot): SnapshotJson {
  return { timestamp: new Date(s.timestamp).toISOString(), cpu_percent: s.cpuPercent, memory_mb: s.memoryMb };
}
