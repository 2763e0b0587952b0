-- Timeplus Proton streams written by `otel-sysmon bridge` (column order: src/bridge/streams.ts).
-- Applied by `otel-sysmon bridge --create-streams`, one statement per request through Proton's HTTP query
-- interface, in the database given by --database. Every statement is idempotent (IF NOT EXISTS).
-- Timestamps are UTC; the point time is the stream's event time, so tumble()/hop() windows use it.

-- Every gauge and sum point: one row per OTLP data point.
CREATE STREAM IF NOT EXISTS otel_metrics (
  timestamp           datetime64(9, 'UTC'),
  start_timestamp     datetime64(9, 'UTC'),
  metric_name         low_cardinality(string),
  metric_unit         low_cardinality(string),
  metric_type         low_cardinality(string),
  is_monotonic        bool,
  temporality         low_cardinality(string),
  value               float64,
  attributes          map(string, string),
  resource_attributes map(string, string),
  host_name           low_cardinality(string),
  service_name        low_cardinality(string),
  scope_name          low_cardinality(string)
)
TTL to_start_of_day(timestamp) + INTERVAL 30 DAY
SETTINGS event_time_column = 'timestamp';

-- Explicit-bucket histogram points (cicd.pipeline.run.duration): bounds and per-bucket counts.
CREATE STREAM IF NOT EXISTS otel_metrics_histogram (
  timestamp           datetime64(9, 'UTC'),
  start_timestamp     datetime64(9, 'UTC'),
  metric_name         low_cardinality(string),
  metric_unit         low_cardinality(string),
  temporality         low_cardinality(string),
  count               uint64,
  sum                 nullable(float64),
  min                 nullable(float64),
  max                 nullable(float64),
  explicit_bounds     array(float64),
  bucket_counts       array(uint64),
  attributes          map(string, string),
  resource_attributes map(string, string),
  host_name           low_cardinality(string),
  service_name        low_cardinality(string),
  scope_name          low_cardinality(string)
)
TTL to_start_of_day(timestamp) + INTERVAL 90 DAY
SETTINGS event_time_column = 'timestamp';

-- Per core and collection, in the shape the seed system's users query: system.cpu.utilization (busy =
-- every mode but idle and iowait, in percent) joined with system.cpu.frequency. frequency_hz is NULL when
-- the agent had no trustworthy frequency for the core (it never reports 0).
CREATE STREAM IF NOT EXISTS cpu_metrics (
  timestamp     datetime64(3, 'UTC'),
  host_id       string,
  agent_id      string,
  core_id       int32,
  usage_percent float64,
  frequency_hz  nullable(float64),
  label         string,
  cluster       string
)
TTL to_start_of_day(timestamp) + INTERVAL 30 DAY
SETTINGS event_time_column = 'timestamp';
