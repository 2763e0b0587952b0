import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, type MetricName, metricDef } from '../../src/catalogue.js';
import {
  type OtlpMetricType,
  prometheusLabel,
  prometheusName,
  prometheusNameIndex,
  prometheusSeriesNames,
  translateMetricName,
} from '../../src/prometheus-names.js';

// Expected names worked out by hand from the reference implementation's rules, not from our code:
// prometheus/otlptranslator metric_namer.go (normalizeName, addUnitTokens: split the name on every
// character outside [A-Za-z0-9:], append the unit word unless it is already a token, drop every `total`
// token and append one for monotonic counters, `ratio` likewise for gauges of unit "1") and
// unit_namer.go (buildUnitSuffixes: `{…}` annotations give nothing, "x/y" gives "x_per_y" with the
// singular per-unit map), UTF-8 not allowed, suffixes on: the Collector's prometheus exporters' default.
const CATALOGUE_NAMES: Record<string, string> = {
  'system.cpu.time': 'system_cpu_time_seconds_total',
  'system.cpu.utilization': 'system_cpu_utilization_ratio',
  'system.cpu.frequency': 'system_cpu_frequency_hertz',
  'sysmon.cpu.frequency.source': 'sysmon_cpu_frequency_source',
  'system.cpu.logical.count': 'system_cpu_logical_count',
  'system.processes.count': 'system_processes_count',
  'system.cpu.load_average.1m': 'system_cpu_load_average_1m',
  'system.cpu.load_average.5m': 'system_cpu_load_average_5m',
  'system.cpu.load_average.15m': 'system_cpu_load_average_15m',
  'sysmon.cpu.load_average.adjusted.1m': 'sysmon_cpu_load_average_adjusted_1m',
  'system.memory.usage': 'system_memory_usage_bytes',
  'system.memory.utilization': 'system_memory_utilization_ratio',
  'system.memory.limit': 'system_memory_limit_bytes',
  'system.memory.linux.available': 'system_memory_linux_available_bytes',
  'system.paging.usage': 'system_paging_usage_bytes',
  'system.paging.utilization': 'system_paging_utilization_ratio',
  'system.paging.operations': 'system_paging_operations_total',
  'system.paging.faults': 'system_paging_faults_total',
  // The `total` token of the Collector's pressure names moves to the end, after the unit.
  'system.cpu.linux.pressure.total': 'system_cpu_linux_pressure_seconds_total',
  'system.cpu.linux.pressure.10s': 'system_cpu_linux_pressure_10s_ratio',
  'system.cpu.linux.pressure.1m': 'system_cpu_linux_pressure_1m_ratio',
  'system.cpu.linux.pressure.5m': 'system_cpu_linux_pressure_5m_ratio',
  'system.memory.linux.pressure.total': 'system_memory_linux_pressure_seconds_total',
  'system.memory.linux.pressure.10s': 'system_memory_linux_pressure_10s_ratio',
  'system.memory.linux.pressure.1m': 'system_memory_linux_pressure_1m_ratio',
  'system.memory.linux.pressure.5m': 'system_memory_linux_pressure_5m_ratio',
  'system.io.linux.pressure.total': 'system_io_linux_pressure_seconds_total',
  'system.io.linux.pressure.10s': 'system_io_linux_pressure_10s_ratio',
  'system.io.linux.pressure.1m': 'system_io_linux_pressure_1m_ratio',
  'system.io.linux.pressure.5m': 'system_io_linux_pressure_5m_ratio',
  'system.irq.linux.pressure.total': 'system_irq_linux_pressure_seconds_total',
  'system.irq.linux.pressure.10s': 'system_irq_linux_pressure_10s_ratio',
  'system.irq.linux.pressure.1m': 'system_irq_linux_pressure_1m_ratio',
  'system.irq.linux.pressure.5m': 'system_irq_linux_pressure_5m_ratio',
  'sysmon.collector.errors': 'sysmon_collector_errors_total',
  'cicd.pipeline.run.duration': 'cicd_pipeline_run_duration_seconds',
  'cicd.pipeline.run.active': 'cicd_pipeline_run_active',
  'cicd.worker.count': 'cicd_worker_count',
  'sysmon.build.cpu.time': 'sysmon_build_cpu_time_seconds_total',
  'sysmon.build.count': 'sysmon_build_count_total',
  'sysmon.build.rate': 'sysmon_build_rate_per_hour',
  'sysmon.build.impulse': 'sysmon_build_impulse_per_hour',
  'sysmon.build.queue': 'sysmon_build_queue',
  'sysmon.workers.dynamic_max': 'sysmon_workers_dynamic_max',
  'sysmon.workers.max': 'sysmon_workers_max',
  'sysmon.quiet.score': 'sysmon_quiet_score',
  'sysmon.quiet.state': 'sysmon_quiet_state',
  'sysmon.scheduler.capacity.limit': 'sysmon_scheduler_capacity_limit',
  'sysmon.scheduler.capacity.used': 'sysmon_scheduler_capacity_used',
  'sysmon.scheduler.leases.active': 'sysmon_scheduler_leases_active',
  'sysmon.scheduler.decisions': 'sysmon_scheduler_decisions_total',
  'sysmon.export.sent': 'sysmon_export_sent_total',
  'sysmon.export.failed': 'sysmon_export_failed_total',
  'sysmon.export.dropped': 'sysmon_export_dropped_total',
  'sysmon.export.rejected_points': 'sysmon_export_rejected_points_total',
  // "bytes" is already a token of the name: not appended again.
  'sysmon.export.spool.bytes': 'sysmon_export_spool_bytes',
  'sysmon.export.spool.requests': 'sysmon_export_spool_requests',
  // Host metrics (issue 17), with the instrument and unit DESIGN.md gives them.
  'system.disk.io': 'system_disk_io_bytes_total',
  'system.disk.operations': 'system_disk_operations_total',
  'system.disk.io_time': 'system_disk_io_time_seconds_total',
  'system.disk.operation_time': 'system_disk_operation_time_seconds_total',
  'system.disk.merged': 'system_disk_merged_total',
  'system.filesystem.usage': 'system_filesystem_usage_bytes',
  'system.filesystem.utilization': 'system_filesystem_utilization_ratio',
  'system.filesystem.limit': 'system_filesystem_limit_bytes',
  'system.network.io': 'system_network_io_bytes_total',
  'system.network.packet.count': 'system_network_packet_count_total',
  'system.network.packet.dropped': 'system_network_packet_dropped_total',
  'system.network.errors': 'system_network_errors_total',
  'system.uptime': 'system_uptime_seconds',
  'system.process.created': 'system_process_created_total',
  'system.memory.linux.shared': 'system_memory_linux_shared_bytes',
  'system.memory.linux.slab.usage': 'system_memory_linux_slab_usage_bytes',
  'process.cpu.time': 'process_cpu_time_seconds_total',
  'process.memory.usage': 'process_memory_usage_bytes',
  'process.thread.count': 'process_thread_count',
  'process.unix.file_descriptor.count': 'process_unix_file_descriptor_count',
  // "count" is a word of the name, not the {event} unit: it stays, and counters end in _total.
  'sysmon.cpu.thermal_throttle.count': 'sysmon_cpu_thermal_throttle_count_total',
  'sysmon.cpu.thermal_throttle.time': 'sysmon_cpu_thermal_throttle_time_seconds_total',
  'hw.temperature': 'hw_temperature_celsius',
};

describe('Prometheus names follow the official OTLP translation (prometheus/otlptranslator)', () => {
  it.each(CATALOGUE.map((d) => [d.name, d.unit, d.instrument] as const))('%s (%s, %s)', (name, _unit, _instrument) => {
    expect(CATALOGUE_NAMES[name], `no expected name for ${name}: add it, worked out from the rules`).toBeDefined();
    expect(prometheusName(metricDef(name as MetricName))).toBe(CATALOGUE_NAMES[name]);
  });

  it.each([
    // [name, unit, type, expected] - the first group is the reference's own metric_namer_test.go cases.
    ['requests', '', 'monotonic_counter', 'requests_total'],
    ['cpu_usage', '1', 'gauge', 'cpu_usage_ratio'],
    ['items', '1', 'monotonic_counter', 'items_total'],
    ['response_time', 'ms', 'gauge', 'response_time_milliseconds'],
    ['memory_usage', 'By', 'gauge', 'memory_usage_bytes'],
    ['requests', '1/s', 'gauge', 'requests_per_second'],
    ['throughput', 'By/s', 'gauge', 'throughput_bytes_per_second'],
    ['custom_metric', 'custom_unit', 'gauge', 'custom_metric_custom_unit'],
    ['custom_metric', '{custom}', 'gauge', 'custom_metric'],
    ['custom_metric', 'By/{custom}', 'gauge', 'custom_metric_bytes'],
    ['requests_total', '', 'monotonic_counter', 'requests_total'],
    ['cpu_usage_ratio', '1', 'gauge', 'cpu_usage_ratio'],
    ['response_time_seconds', 's', 'gauge', 'response_time_seconds'],
    ['metric__with__multiple__underscores', 'unit__multiple__underscores', 'gauge', 'metric_with_multiple_underscores_unit_multiple_underscores'],
    ['custom_metric', 'unit@with#special/chars', 'gauge', 'custom_metric_unit_with_special_per_chars'],
    ['request_duration', 's', 'histogram', 'request_duration_seconds'],
    ['active_connections', '', 'non_monotonic_counter', 'active_connections'],
    ['uptime', 'd', 'gauge', 'uptime_days'],
    // Every `total` token goes, wherever it is, and one comes back at the end (counters only).
    ['system.linux.psi.total_time', 's', 'monotonic_counter', 'system_linux_psi_time_seconds_total'],
    ['total.cpu.total', 's', 'monotonic_counter', 'cpu_seconds_total'],
    ['queue.total', '{item}', 'gauge', 'queue_total'],
    // `ratio` only for gauges of unit "1"; an UpDownCounter of "1" gets nothing.
    ['x.ratio.level', '1', 'gauge', 'x_level_ratio'],
    ['x.count', '1', 'non_monotonic_counter', 'x_count'],
    ['x.count', '1', 'histogram', 'x_count'],
    // A unit word already among the tokens anywhere in the name is not repeated.
    ['system.memory.bytes.free', 'By', 'non_monotonic_counter', 'system_memory_bytes_free'],
    ['hw.temperature', 'Cel', 'gauge', 'hw_temperature_celsius'],
    ['build.rate', '{build}/h', 'gauge', 'build_rate_per_hour'],
    ['build.rate', '{build}/{run}', 'gauge', 'build_rate'],
    ['build.rate', 'By/h', 'monotonic_counter', 'build_rate_bytes_per_hour_total'],
    // "per_hour" is never a single token of a name, so it is appended even after "per.hour".
    ['rate.per.hour', '{b}/h', 'gauge', 'rate_per_hour_per_hour'],
    ['disk.io', 'By', 'monotonic_counter', 'disk_io_bytes_total'],
    ['1m.load', '', 'gauge', '_1m_load'],
  ] as const)('%s [%s, %s] -> %s', (name, unit, type, expected) => {
    expect(translateMetricName(name, unit, type as OtlpMetricType)).toBe(expected);
  });

  it('gives histograms their bucket, sum and count series', () => {
    expect(prometheusSeriesNames(metricDef('cicd.pipeline.run.duration'))).toEqual([
      'cicd_pipeline_run_duration_seconds_bucket',
      'cicd_pipeline_run_duration_seconds_sum',
      'cicd_pipeline_run_duration_seconds_count',
    ]);
  });

  it('turns attribute keys into label names (label_namer.go)', () => {
    expect(prometheusLabel('cpu.logical_number')).toBe('cpu_logical_number');
    expect(prometheusLabel('system.memory.state')).toBe('system_memory_state');
    expect(prometheusLabel('123invalid')).toBe('key_123invalid');
    expect(prometheusLabel('_private')).toBe('key_private');
    expect(prometheusLabel('__reserved__')).toBe('__reserved__');
  });

  it('maps every catalogue metric to a distinct name', () => {
    const index = prometheusNameIndex();
    const series = CATALOGUE.flatMap((d) => prometheusSeriesNames(d));
    expect(new Set(series).size).toBe(series.length);
    expect(index.size).toBe(series.length);
  });
});

describe('the catalogue', () => {
  it('uses only the three instrument kinds semantic conventions allow for observations, plus histograms', () => {
    for (const def of CATALOGUE) expect(['Counter', 'UpDownCounter', 'Gauge', 'Histogram']).toContain(def.instrument);
  });
  it('declares usage metrics as sums and utilization/frequency as gauges', () => {
    expect(metricDef('system.memory.usage').instrument).toBe('UpDownCounter');
    expect(metricDef('system.cpu.time').instrument).toBe('Counter');
    expect(metricDef('system.cpu.utilization').instrument).toBe('Gauge');
    expect(metricDef('system.cpu.frequency').unit).toBe('Hz');
  });
  it('names unique metrics with valid OpenTelemetry instrument names', () => {
    const names = CATALOGUE.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-zA-Z][a-zA-Z0-9_.\-/]{0,254}$/);
  });
});

describe('a metric leads to its source file', () => {
  it.each(CATALOGUE.map((d) => [d.name, d.module]))('%s is produced in %s', (name, module) => {
    const text = readFileSync(new URL(`../../${module}`, import.meta.url), 'utf8');
    expect(text).toContain(`'${name}'`);
  });
});
