// Every metric and label a dashboard query or an alert rule uses must be the Prometheus translation of the
// catalogue (src/prometheus-names.ts), so renaming a metric or an attribute fails here, not in Grafana.
// Proton SQL queries (the bridge stores OpenTelemetry names as they are) must use the catalogue's
// OpenTelemetry metric and attribute names.
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CATALOGUE, findMetric, metricDef } from '../../src/catalogue.js';
import { prometheusLabel, prometheusName, prometheusNameIndex } from '../../src/prometheus-names.js';
import { dashboardQueries, loadDashboards, type Dashboard } from './grafana-model.js';
import { protonSqlRefs } from './proton-sql.js';
import { promqlRefs, PromqlSyntaxError, variableQueryRefs } from './promql.js';
import { readRepoFile } from './tools.js';

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

const RULE_FILE = 'deploy/prometheus/otel-sysmon.rules.yml';
const rules = (parseYaml(readRepoFile(RULE_FILE)) as RuleFile).groups.flatMap((g) => g.rules);
const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));

// Labels every series carries besides its attributes: host.name copied from the resource (by the agent's
// /metrics and the gateway collectors), the instrumentation scope (OpenTelemetry's Prometheus compatibility
// spec), the scrape target labels, and histogram buckets.
const SERIES_LABELS = new Set([
  prometheusLabel('host.name'),
  prometheusLabel('otel.scope.name'),
  prometheusLabel('otel.scope.version'),
  'job',
  'instance',
  'le',
]);
const ATTRIBUTE_LABELS = new Set(CATALOGUE.flatMap((m) => m.attributes.map(prometheusLabel)));

// Resource attributes the agent sends (src/telemetry/resource.ts), which the bridge keeps in resource_attributes.
const RESOURCE_ATTRIBUTES = new Set([
  'service.name',
  'service.version',
  'service.instance.id',
  'host.name',
  'host.id',
  'host.arch',
  'os.type',
  'os.description',
  'container.id',
]);
const OTEL_ATTRIBUTES = new Set<string>(CATALOGUE.flatMap((m) => m.attributes));

function unknownNames(metrics: Iterable<string>): string[] {
  const index = prometheusNameIndex();
  return [...metrics].filter((m) => !index.has(m) && !recorded.has(m));
}

function unknownLabels(labels: Iterable<string>): string[] {
  return [...labels].filter((l) => !SERIES_LABELS.has(l) && !ATTRIBUTE_LABELS.has(l));
}

describe('PromQL reference extraction', () => {
  it('finds metric names before braces, ranges, closing parentheses and bare', () => {
    const refs = promqlRefs(
      'sum by (host_name) (rate(a_total{cpu_mode!="idle", x=~"$host"}[$__rate_interval])) / on(host_name) group_left() b' +
        ' + max_over_time(c[1h]) - absent(d) > bool 0.8 * e offset 10m and f',
    );
    expect([...refs.metrics].sort()).toEqual(['a_total', 'b', 'c', 'd', 'e', 'f']);
    expect([...refs.labels].sort()).toEqual(['cpu_mode', 'host_name', 'x']);
  });

  it('ignores functions, keywords, numbers, durations, strings and Grafana variables', () => {
    const refs = promqlRefs(
      'histogram_quantile(0.95, sum without (job) (rate(h_bucket{le!="+Inf"}[5m]))) unless ignoring(instance) ' +
        'label_replace(g, "dst", "$1", "src", "(.*)") or vector(1.0e9) * Inf + 0x1F - 1h30m',
    );
    expect([...refs.metrics].sort()).toEqual(['g', 'h_bucket']);
    expect([...refs.labels].sort()).toEqual(['instance', 'job', 'le']);
  });

  it('keeps recording-rule names (with colons) as names and reads variable queries', () => {
    expect([...promqlRefs('x < on () group_left () sysmon:floor:hertz').metrics].sort()).toEqual(['sysmon:floor:hertz', 'x']);
    const v = variableQueryRefs('label_values(m{host_name=~"$host"}, cpu_logical_number)');
    expect([...v.metrics]).toEqual(['m']);
    expect([...v.labels].sort()).toEqual(['cpu_logical_number', 'host_name']);
    expect([...variableQueryRefs('label_values(host_name)').metrics]).toEqual([]);
  });

  it('rejects what it cannot read rather than guessing', () => {
    expect(() => promqlRefs('m{host_name}')).toThrow(PromqlSyntaxError);
    expect(() => promqlRefs('m{a="b"')).toThrow(PromqlSyntaxError);
  });

  it('reports a renamed metric or label as unknown', () => {
    expect(unknownNames(['system_cpu_frequency_hz', prometheusName(metricDef('system.cpu.frequency'))])).toEqual([
      'system_cpu_frequency_hz',
    ]);
    expect(unknownLabels(['cpu', 'cpu_logical_number', 'host_name'])).toEqual(['cpu']);
  });
});

describe('alert rules use catalogue names', () => {
  it.each(rules.map((r) => [r.alert ?? r.record!, r.expr]))('%s', (_name, expr) => {
    const refs = promqlRefs(expr);
    expect(unknownNames(refs.metrics)).toEqual([]);
    expect(unknownLabels(refs.labels)).toEqual([]);
  });

  it('recording rules are named level:metric:operations and never shadow a catalogue name', () => {
    const index = prometheusNameIndex();
    for (const name of recorded) {
      expect(name).toMatch(/^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/);
      expect(index.has(name)).toBe(false);
    }
  });
});

describe('dashboards use catalogue names', () => {
  const dashboards = loadDashboards();

  it('finds the four dashboards', () => {
    expect(dashboards.map((d) => d.file).sort()).toEqual([
      'builds.json',
      'host-overview-proton.json',
      'host-overview.json',
      'scheduler.json',
    ]);
  });

  const cases: [string, string, string, string][] = dashboards.flatMap((d: Dashboard) =>
    dashboardQueries(d).map((q): [string, string, string, string] => [`${d.file}: ${q.where}`, q.language, q.kind, q.query]),
  );
  it.each(cases)('%s', (_where, language, kind, query) => {
    if (language === 'sql') {
      const refs = protonSqlRefs(query);
      // Every query picks its metrics by name: otel_metrics holds all of them.
      expect(refs.metricNames.size).toBeGreaterThan(0);
      expect([...refs.metricNames].filter((n) => !findMetric(n))).toEqual([]);
      expect([...refs.attributeKeys].filter((k) => !OTEL_ATTRIBUTES.has(k))).toEqual([]);
      expect([...refs.resourceAttributeKeys].filter((k) => !RESOURCE_ATTRIBUTES.has(k))).toEqual([]);
      return;
    }
    const refs = kind === 'variable' ? variableQueryRefs(query) : promqlRefs(query);
    expect(refs.metrics.size + refs.labels.size).toBeGreaterThan(0);
    expect(unknownNames(refs.metrics)).toEqual([]);
    expect(unknownLabels(refs.labels)).toEqual([]);
  });
});
