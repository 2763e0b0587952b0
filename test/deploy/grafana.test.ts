// Grafana provisioning and dashboards: current schema, a datasource variable, host and core variables,
// every query bound to them, the panels the issue asks for, valid PromQL, Proton SQL that reads only the
// bridge's streams and columns, and provisioning that matches where compose.yaml mounts things.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { splitSqlStatements } from '../../src/bridge/ddl.js';
import { metricDef, type MetricName } from '../../src/catalogue.js';
import { prometheusLabel, prometheusSeriesNames } from '../../src/prometheus-names.js';
import { parseCreateStream } from '../helpers/fake-proton.js';
import {
  allPanels,
  dashboardQueries,
  loadDashboards,
  PROTON_TYPE,
  variableQuery,
  type Dashboard,
  type QueryLanguage,
} from './grafana-model.js';
import { protonSqlRefs } from './proton-sql.js';
import { promqlRefs, variableQueryRefs } from './promql.js';
import { readRepoFile, run, tool } from './tools.js';

// Grafana 12.x writes schemaVersion 41; older dashboards are migrated on load, newer ones are not understood.
const CURRENT_SCHEMA_VERSION = 41;
// What a dashboard's queries are written in, by the plugin type its $datasource variable selects.
const LANGUAGE_OF: Record<string, QueryLanguage> = { prometheus: 'promql', [PROTON_TYPE]: 'sql' };

const dashboards = loadDashboards();
const byFile = (file: string): Dashboard => dashboards.find((d) => d.file === file)!;
const datasourceType = (d: Dashboard): string => variableQuery(d.json.templating.list.find((v) => v.name === 'datasource')!);

// The bridge's streams and their columns, from the DDL it applies (ddl.test.ts ties it to what it writes).
const STREAM_COLUMNS = new Map(
  splitSqlStatements(readRepoFile('otel-collector-config/proton/streams.sql'))
    .map(parseCreateStream)
    .map((s) => [s.name, new Set(s.columns.map((c) => c.name))]),
);

/** Prometheus series names (PromQL dashboards) or OpenTelemetry metric names (Proton SQL dashboards) used. */
function metricsOf(d: Dashboard): Set<string> {
  const names = new Set<string>();
  for (const q of dashboardQueries(d)) {
    const used =
      q.language === 'sql'
        ? protonSqlRefs(q.query).metricNames
        : (q.kind === 'variable' ? variableQueryRefs(q.query) : promqlRefs(q.query)).metrics;
    for (const m of used) names.add(m);
  }
  return names;
}

function series(name: MetricName): string[] {
  return prometheusSeriesNames(metricDef(name));
}

describe.each(dashboards.map((d) => [d.file, d]))('%s', (_file, d) => {
  const panels = allPanels(d.json.panels);
  const vars = new Map(d.json.templating.list.map((v) => [v.name, v]));
  const type = datasourceType(d);
  const language = LANGUAGE_OF[type];
  const DATASOURCE_REF = { type, uid: '${datasource}' };

  it('has the current schema version, a unique uid and the otel-sysmon tag', () => {
    expect(d.json.schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
    expect(d.json.uid).toMatch(/^otel-sysmon-[a-z-]+$/);
    expect(dashboards.filter((o) => o.json.uid === d.json.uid)).toHaveLength(1);
    expect(d.json.tags).toContain('otel-sysmon');
  });

  it('has a datasource variable of a known plugin type and host and core variables', () => {
    expect(vars.get('datasource')).toMatchObject({ type: 'datasource' });
    expect(Object.keys(LANGUAGE_OF)).toContain(type);
    const host = vars.get('host')!;
    expect(host).toMatchObject({ type: 'query', datasource: DATASOURCE_REF });
    const core = vars.get('core')!;
    expect(core).toMatchObject({ type: 'query', datasource: DATASOURCE_REF });
    if (language === 'promql') {
      expect([...variableQueryRefs(variableQuery(host)).labels]).toContain(prometheusLabel('host.name'));
      expect(variableQueryRefs(variableQuery(core)).labels).toContain(prometheusLabel('cpu.logical_number'));
      expect(variableQuery(core)).toContain('$host');
    } else {
      expect(protonSqlRefs(variableQuery(host)).columns.map((c) => c.name)).toContain('host_name');
      const coreRefs = protonSqlRefs(variableQuery(core));
      expect([...coreRefs.attributeKeys]).toContain('cpu.logical_number');
      expect([...coreRefs.variables]).toContain('host');
    }
  });

  it('queries only through the datasource variable and filters every query by host', () => {
    for (const p of panels.filter((p) => p.type !== 'row')) {
      expect(p.datasource, p.title).toEqual(DATASOURCE_REF);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        const where = `${p.title} ${t.refId}`;
        expect(t.datasource, where).toEqual(DATASOURCE_REF);
        if (language === 'promql') {
          expect(t.expr, where).toContain('host_name=~"$host"');
        } else {
          // The plugin's query model is { sql }; $__from/$__to bound the scan to the dashboard's time range.
          expect(t.expr, where).toBeUndefined();
          expect([...protonSqlRefs(t.sql!).variables], where).toEqual(expect.arrayContaining(['host', '__from', '__to']));
        }
      }
    }
  });

  it('has unique panel ids and a layout inside the 24-column grid', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.gridPos.h, p.title).toBeGreaterThan(0);
    }
  });
});

describe('dashboard contents', () => {
  it('Host overview: per-core utilization and frequency, frequency heatmap, load, memory, swap, PSI, frequency source', () => {
    const d = byFile('host-overview.json');
    const used = metricsOf(d);
    for (const m of [
      'system.cpu.utilization',
      'system.cpu.time',
      'system.cpu.frequency',
      'sysmon.cpu.frequency.source',
      'system.cpu.load_average.1m',
      'system.memory.usage',
      'system.paging.usage',
      'system.paging.operations',
      'system.cpu.linux.pressure.1m',
      'system.memory.linux.pressure.1m',
      'system.io.linux.pressure.1m',
      'system.irq.linux.pressure.1m',
      'system.cpu.linux.pressure.total',
      'system.memory.linux.pressure.total',
      'system.io.linux.pressure.total',
      'system.irq.linux.pressure.total',
    ] as const) {
      expect(used, m).toContain(series(m)[0]);
    }
    const panels = allPanels(d.json.panels);
    const heatmap = panels.find((p) => p.type === 'heatmap')!;
    expect(promqlRefs(heatmap.targets![0].expr!).metrics).toContain(series('system.cpu.frequency')[0]);
    const perCore = panels.filter((p) => p.targets?.some((t) => t.expr?.includes('cpu_logical_number=~"$core"')));
    expect(perCore.map((p) => p.title)).toEqual(
      expect.arrayContaining(['Per-core utilization', 'Per-core frequency', 'Frequency heatmap', 'Frequency source per core']),
    );
  });

  it('Host overview: disk, filesystem, network, temperature and throttle, uptime, shared/slab memory and agent process panels', () => {
    const used = metricsOf(byFile('host-overview.json'));
    for (const m of [
      'system.disk.io',
      'system.disk.operations',
      'system.disk.io_time',
      'system.disk.operation_time',
      'system.disk.merged',
      'system.filesystem.usage',
      'system.filesystem.utilization',
      'system.network.io',
      'system.network.packet.count',
      'system.network.packet.dropped',
      'system.network.errors',
      'hw.temperature',
      'sysmon.cpu.thermal_throttle.count',
      'sysmon.cpu.thermal_throttle.time',
      'system.uptime',
      'system.process.created',
      'system.memory.linux.shared',
      'system.memory.linux.slab.usage',
      'process.cpu.time',
      'process.memory.usage',
      'process.thread.count',
      'process.unix.file_descriptor.count',
    ] as const) {
      expect(used, m).toContain(series(m)[0]);
    }
  });

  it('Builds: rate, impulse, totals, durations, CPU-seconds, dynamic max workers', () => {
    const used = metricsOf(byFile('builds.json'));
    for (const m of [
      'sysmon.build.rate',
      'sysmon.build.impulse',
      'sysmon.build.count',
      'sysmon.build.cpu.time',
      'sysmon.workers.dynamic_max',
      'cicd.pipeline.run.active',
    ] as const) {
      expect(used, m).toContain(series(m)[0]);
    }
    for (const s of series('cicd.pipeline.run.duration')) expect(used).toContain(s);
  });

  it('Scheduler: quiet score and state, leases, capacity, decisions', () => {
    const used = metricsOf(byFile('scheduler.json'));
    for (const m of [
      'sysmon.quiet.score',
      'sysmon.quiet.state',
      'sysmon.scheduler.leases.active',
      'sysmon.scheduler.capacity.limit',
      'sysmon.scheduler.capacity.used',
      'sysmon.scheduler.decisions',
    ] as const) {
      expect(used, m).toContain(series(m)[0]);
    }
  });
});

describe('Host overview (Proton) mirrors the Host overview where Proton has the data', () => {
  const d = byFile('host-overview-proton.json');
  const panels = allPanels(d.json.panels).filter((p) => p.type !== 'row');

  it('queries the Proton data source with the panels of the Prometheus Host overview', () => {
    expect(datasourceType(d)).toBe(PROTON_TYPE);
    const prometheusTitles = allPanels(byFile('host-overview.json').json.panels).map((p) => p.title);
    for (const p of panels) expect(prometheusTitles, p.title).toContain(p.title);
  });

  it('per-core utilization and frequency, frequency heatmap, load, memory, swap, PSI, frequency source', () => {
    const used = metricsOf(d);
    for (const m of [
      'system.cpu.utilization',
      'system.cpu.frequency',
      'sysmon.cpu.frequency.source',
      'system.cpu.load_average.1m',
      'system.memory.usage',
      'system.paging.usage',
      'system.cpu.linux.pressure.1m',
      'system.memory.linux.pressure.1m',
      'system.io.linux.pressure.1m',
      'system.irq.linux.pressure.1m',
    ] as const) {
      expect(used, m).toContain(m);
    }
    const heatmap = panels.find((p) => p.type === 'heatmap')!;
    expect([...protonSqlRefs(heatmap.targets![0].sql!).metricNames]).toEqual(['system.cpu.frequency']);
    const perCore = panels.filter((p) => p.targets?.some((t) => protonSqlRefs(t.sql!).variables.has('core')));
    expect(perCore.map((p) => p.title)).toEqual(
      expect.arrayContaining(['Per-core utilization', 'Per-core frequency', 'Frequency heatmap', 'Frequency source per core']),
    );
  });

  it('splits the long rows of time series and stats into one series per `series` value', () => {
    // The plugin answers with one long frame (time, series, value); without prepareTimeSeries the panels
    // would draw every host and core as one line.
    for (const p of panels.filter((p) => p.type === 'timeseries' || p.type === 'stat')) {
      expect(p.transformations, p.title).toEqual([{ id: 'prepareTimeSeries', options: { format: 'multi' } }]);
      for (const t of p.targets!) expect([...protonSqlRefs(t.sql!).aliases], `${p.title} ${t.refId}`).toContain('series');
    }
  });
});

// Every Proton query reads only what `otel-sysmon bridge` writes, through table() (bounded: a bare stream
// name would be an endless streaming query), and calls functions by Proton's snake_case names (Proton
// renamed ClickHouse's camelCase functions: to_start_of_interval, not toStartOfInterval).
const sqlQueries = dashboards.flatMap((d) =>
  dashboardQueries(d)
    .filter((q) => q.language === 'sql')
    .map((q): [string, string] => [`${d.file}: ${q.where}`, q.query]),
);

describe('Proton queries read the streams and columns of otel-collector-config/proton/streams.sql', () => {
  it('finds them', () => {
    expect(sqlQueries.length).toBeGreaterThanOrEqual(10);
  });

  it.each(sqlQueries)('%s', (_where, sql) => {
    const refs = protonSqlRefs(sql);
    expect(refs.streams.length).toBeGreaterThan(0);
    for (const s of refs.streams) {
      expect([...STREAM_COLUMNS.keys()], s.stream).toContain(s.stream);
      expect(s.bounded, `${s.stream} through table()`).toBe(true);
    }
    const readable = new Set([...refs.streams.flatMap((s) => [...STREAM_COLUMNS.get(s.stream)!]), ...refs.aliases]);
    const streamOf = new Map(
      refs.streams.flatMap((s): [string, string][] => [[s.stream, s.stream], ...(s.alias ? [[s.alias, s.stream] as [string, string]] : [])]),
    );
    for (const c of refs.columns) {
      const stream = c.qualifier === undefined ? undefined : streamOf.get(c.qualifier);
      const columns = stream === undefined ? readable : STREAM_COLUMNS.get(stream)!;
      expect(columns.has(c.name), `${c.qualifier ? c.qualifier + '.' : ''}${c.name}`).toBe(true);
    }
    for (const f of refs.functions) expect(f).toMatch(/^[a-z][a-z0-9_]*$/);
  });
});

describe('provisioning', () => {
  const datasources = parseYaml(readRepoFile('deploy/grafana/provisioning/datasources/otel-sysmon.yaml')) as {
    apiVersion: number;
    datasources: { name: string; uid: string; type: string; url?: string; jsonData?: Record<string, unknown> }[];
  };
  const providers = parseYaml(readRepoFile('deploy/grafana/provisioning/dashboards/otel-sysmon.yaml')) as {
    apiVersion: number;
    providers: { type: string; options: { path: string } }[];
  };
  const compose = parseYaml(readRepoFile('deploy/docker/compose.yaml')) as {
    services: Record<string, { volumes?: string[]; environment?: Record<string, string> }>;
  };
  const grafana = compose.services.grafana;

  it('provides Prometheus (default), ClickHouse and Proton data sources', () => {
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources.map((d) => [d.type, d.uid])).toEqual([
      ['prometheus', 'otel-sysmon-prometheus'],
      ['grafana-clickhouse-datasource', 'otel-sysmon-clickhouse'],
      ['timeplus-proton-datasource', 'otel-sysmon-proton'],
    ]);
    // The Proton plugin (2.x) reads host, tcpPort (native protocol) and httpPort (its query analyzer, which
    // decides streaming or not); the 1.0.0 `port` key is ignored.
    expect(datasources.datasources[2].jsonData).toMatchObject({ host: '$SYSMON_PROTON_HOST', tcpPort: 8463, httpPort: 3218 });
  });

  it('provides the data source each dashboard selects', () => {
    for (const d of dashboards) expect(datasources.datasources.map((s) => s.type), d.file).toContain(datasourceType(d));
  });

  it('gets every $VARIABLE it uses from the compose environment', () => {
    const text = readRepoFile('deploy/grafana/provisioning/datasources/otel-sysmon.yaml')
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('#'))
      .join('\n');
    const used = [...text.matchAll(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(0);
    for (const v of used) expect(Object.keys(grafana.environment ?? {}), v).toContain(v);
    expect(grafana.environment!.SYSMON_PROMETHEUS_URL).toMatch(/^http:\/\/prometheus:9090$/);
  });

  it('loads dashboards from where compose.yaml mounts deploy/grafana/dashboards', () => {
    expect(providers.providers).toHaveLength(1);
    const mount = grafana.volumes!.find((v) => v.startsWith('../grafana/dashboards:'))!;
    expect(mount.split(':')[1]).toBe(providers.providers[0].options.path);
    expect(grafana.volumes).toContain('../grafana/provisioning:/etc/grafana/provisioning:ro');
  });
});

const promtool = tool('promtool', 'prometheus');

describe.skipIf(!promtool.path)(`dashboard PromQL ${promtool.skipReason}`, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sysmon-dash-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('every panel query is valid PromQL (promtool parses them as recording rules)', () => {
    const exprs = dashboards.flatMap((d) => dashboardQueries(d).filter((q) => q.kind === 'panel' && q.language === 'promql'));
    const rules = exprs.map((q, i) => ({
      record: `dashboard:query_${i}:check`,
      expr: q.query
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__range', '1h')
        .replaceAll('$__interval', '1m')
        .replace(/\$\{?\w+\}?/g, '.*'),
    }));
    const file = join(scratch, 'dashboards.rules.yml');
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboards', rules }] }));
    const r = run(promtool.path!, ['check', 'rules', file]);
    expect(r.stdout + r.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.status).toBe(0);
  });
});
