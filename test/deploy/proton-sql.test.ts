// The Proton SQL reference extraction the dashboard tests rely on: what it finds, what it ignores, and
// that it refuses what it cannot read.
import { describe, expect, it } from 'vitest';
import { protonSqlRefs, ProtonSqlSyntaxError } from './proton-sql.js';

describe('Proton SQL reference extraction', () => {
  it('finds streams, columns, aliases, metric names, map keys, functions and Grafana variables', () => {
    const refs = protonSqlRefs(`
      SELECT to_start_of_interval(timestamp, INTERVAL 15 SECOND) AS time, c.frequency_hz,
             concat(h.host_name, ' cpu', attributes['cpu.logical_number']) AS series
      FROM table(otel_metrics) AS m
      INNER JOIN (SELECT DISTINCT resource_attributes['host.id'] AS host_id, host_name FROM cpu_metrics) AS h
        ON m.host_name = h.host_name
      WHERE metric_name = 'system.cpu.frequency' AND m.metric_name IN ('a.b', 'c.d') AND metric_name != 'e'
        AND host_name IN (\${host:singlequote}) AND timestamp > to_datetime64($__from / 1000, 3)
      GROUP BY time, series ORDER BY time`);
    expect(refs.streams).toEqual([
      { stream: 'otel_metrics', bounded: true, alias: 'm' },
      { stream: 'cpu_metrics', bounded: false },
    ]);
    expect(refs.columns.map((c) => (c.qualifier ? `${c.qualifier}.${c.name}` : c.name))).toEqual([
      'timestamp',
      'c.frequency_hz',
      'h.host_name',
      'attributes',
      'resource_attributes',
      'host_name',
      'm.host_name',
      'h.host_name',
      'metric_name',
      'm.metric_name',
      'metric_name',
      'host_name',
      'timestamp',
      'time',
      'series',
      'time',
    ]);
    expect([...refs.aliases].sort()).toEqual(['h', 'host_id', 'm', 'series', 'time']);
    expect([...refs.metricNames].sort()).toEqual(['a.b', 'c.d', 'e', 'system.cpu.frequency']);
    expect([...refs.attributeKeys]).toEqual(['cpu.logical_number']);
    expect([...refs.resourceAttributeKeys]).toEqual(['host.id']);
    expect([...refs.functions].sort()).toEqual(['concat', 'to_datetime64', 'to_start_of_interval']);
    expect([...refs.variables].sort()).toEqual(['__from', 'host']);
  });

  it('ignores keywords, numbers, strings and comments, and reads escaped quotes', () => {
    const refs = protonSqlRefs(`-- a comment naming no_such_column
      SELECT value FROM table(otel_metrics) WHERE value BETWEEN 1.5e3 AND 2 AND scope_name = 'it''s \\'x\\''
      ORDER BY value DESC LIMIT 10`);
    expect(refs.columns.map((c) => c.name)).toEqual(['value', 'value', 'scope_name', 'value']);
    expect(refs.functions.size + refs.metricNames.size + refs.variables.size).toBe(0);
  });

  it('rejects what it cannot read rather than guessing', () => {
    expect(() => protonSqlRefs("SELECT 'open")).toThrow(ProtonSqlSyntaxError);
    expect(() => protonSqlRefs("SELECT attributes[key] FROM table(otel_metrics)")).toThrow(ProtonSqlSyntaxError);
    expect(() => protonSqlRefs('SELECT value FROM table(otel_metrics) WHERE metric_name = unit')).toThrow(ProtonSqlSyntaxError);
    expect(() => protonSqlRefs("SELECT value FROM table(otel_metrics) WHERE metric_name IN ('a', unit)")).toThrow(ProtonSqlSyntaxError);
    expect(() => protonSqlRefs('SELECT value AS FROM table(otel_metrics)')).toThrow(ProtonSqlSyntaxError);
    expect(() => protonSqlRefs('SELECT value FROM WHERE')).toThrow(ProtonSqlSyntaxError);
    expect(() => protonSqlRefs('SELECT value FROM table(otel_metrics) WHERE value > $')).toThrow(ProtonSqlSyntaxError);
  });
});
