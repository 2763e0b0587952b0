// The Proton streams the bridge writes, with their column order (the ingest API's "columns"). The DDL
// that creates them is otel-collector-config/proton/streams.sql; a test checks the two agree.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const STREAMS = {
  /** Every gauge and sum point. */
  otel_metrics: [
    'timestamp',
    'start_timestamp',
    'metric_name',
    'metric_unit',
    'metric_type',
    'is_monotonic',
    'temporality',
    'value',
    'attributes',
    'resource_attributes',
    'host_name',
    'service_name',
    'scope_name',
  ],
  /** Explicit-bucket histogram points (build durations). */
  otel_metrics_histogram: [
    'timestamp',
    'start_timestamp',
    'metric_name',
    'metric_unit',
    'temporality',
    'count',
    'sum',
    'min',
    'max',
    'explicit_bounds',
    'bucket_counts',
    'attributes',
    'resource_attributes',
    'host_name',
    'service_name',
    'scope_name',
  ],
  /** Per core and collection: system.cpu.utilization joined with system.cpu.frequency (the seed system's shape). */
  cpu_metrics: ['timestamp', 'host_id', 'agent_id', 'core_id', 'usage_percent', 'frequency_hz', 'label', 'cluster'],
} as const;

export type StreamName = keyof typeof STREAMS;
export const STREAM_NAMES = Object.keys(STREAMS) as StreamName[];

export function isStreamName(name: string): name is StreamName {
  return Object.hasOwn(STREAMS, name);
}

/** otel-collector-config/proton/ at the package root (from src/bridge/ or dist/src/bridge/). */
export function protonConfigDir(): string {
  for (const rel of ['../../otel-collector-config/proton/', '../../../otel-collector-config/proton/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}streams.sql`)) return dir;
  }
  throw new Error('Proton DDL not found (expected otel-collector-config/proton/streams.sql at the package root)');
}
