import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, metricDef } from '../../src/catalogue.js';
import { prometheusLabel, prometheusName, prometheusNameIndex, prometheusSeriesNames } from '../../src/prometheus-names.js';

describe('Prometheus names follow the Collector translation', () => {
  it.each([
    ['system.cpu.time', 'system_cpu_time_seconds_total'],
    ['system.cpu.frequency', 'system_cpu_frequency_hertz'],
    ['system.cpu.utilization', 'system_cpu_utilization_ratio'],
    ['system.memory.usage', 'system_memory_usage_bytes'],
    ['system.cpu.logical.count', 'system_cpu_logical_count'],
    ['system.paging.operations', 'system_paging_operations_total'],
    ['system.cpu.load_average.1m', 'system_cpu_load_average_1m'],
    ['system.linux.psi.total_time', 'system_linux_psi_total_time_seconds_total'],
    ['system.linux.psi.pressure', 'system_linux_psi_pressure_ratio'],
    ['sysmon.build.rate', 'sysmon_build_rate_per_hour'],
    ['sysmon.build.cpu.time', 'sysmon_build_cpu_time_seconds_total'],
    ['sysmon.export.spool.bytes', 'sysmon_export_spool_bytes'],
    ['cicd.pipeline.run.duration', 'cicd_pipeline_run_duration_seconds'],
  ] as const)('%s -> %s', (name, expected) => {
    expect(prometheusName(metricDef(name))).toBe(expected);
  });

  it('gives histograms their bucket, sum and count series', () => {
    expect(prometheusSeriesNames(metricDef('cicd.pipeline.run.duration'))).toEqual([
      'cicd_pipeline_run_duration_seconds_bucket',
      'cicd_pipeline_run_duration_seconds_sum',
      'cicd_pipeline_run_duration_seconds_count',
    ]);
  });

  it('turns attribute keys into label names', () => {
    expect(prometheusLabel('cpu.logical_number')).toBe('cpu_logical_number');
    expect(prometheusLabel('system.memory.state')).toBe('system_memory_state');
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
