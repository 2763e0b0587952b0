// The Proton queries for the Host overview dashboard use only what the bridge writes: its streams and
// columns, catalogue metric names, and panels that exist in the dashboard.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { splitSqlStatements } from '../../src/bridge/ddl.js';
import { protonConfigDir, STREAMS } from '../../src/bridge/streams.js';
import { findMetric } from '../../src/catalogue.js';

const text = readFileSync(join(protonConfigDir(), 'grafana-host-overview.sql'), 'utf8');
const panels = [...text.matchAll(/^-- panel: (.+)\n([\s\S]*?;)/gm)].map((m) => ({ title: m[1].trim(), sql: m[2] }));
const dashboard = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../deploy/grafana/dashboards/host-overview.json', import.meta.url)), 'utf8'),
) as { panels: { title: string }[] };

describe('grafana-host-overview.sql', () => {
  it('has one statement per panel', () => {
    expect(panels.length).toBeGreaterThanOrEqual(5);
    expect(splitSqlStatements(text)).toHaveLength(panels.length);
  });

  it.each(panels)('$title: names a dashboard panel, bridge streams and columns, catalogue metrics', ({ title, sql }) => {
    expect(dashboard.panels.map((p) => p.title)).toContain(title);
    const streams = [...sql.matchAll(/table\((\w+)\)/g)].map((m) => m[1]);
    expect(streams.length).toBeGreaterThan(0);
    for (const s of streams) expect(Object.keys(STREAMS)).toContain(s);
    const columns = new Set(streams.flatMap((s) => STREAMS[s as keyof typeof STREAMS] as readonly string[]));
    for (const m of sql.matchAll(/\b(metric_name|attributes|resource_attributes|host_name|frequency_hz|core_id|label|host_id|value|timestamp)\b/g)) {
      expect(columns.has(m[1]), `${m[1]} in ${streams.join(', ')}`).toBe(true);
    }
    const names = [...sql.matchAll(/metric_name (?:= '([\w.]+)'|IN \(([^)]*)\))/g)].flatMap((m) =>
      m[1] ? [m[1]] : [...m[2].matchAll(/'([\w.]+)'/g)].map((x) => x[1]),
    );
    if (streams.includes('otel_metrics') && !streams.includes('cpu_metrics')) expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(findMetric(n), n).toBeDefined();
    expect(sql).toContain('to_datetime64($__from / 1000, 3)');
  });
});
