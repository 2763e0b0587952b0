// Reads the Grafana dashboards in deploy/grafana/dashboards and lists every query in them (panel targets,
// including panels nested in rows, and variable queries), each with its language: PromQL for the Prometheus
// data source (`expr`), Proton SQL for the Timeplus Proton plugin (`sql`, its query model).
import { readdirSync } from 'node:fs';
import { readRepoFile, repoPath } from './tools.js';

export const DASHBOARD_DIR = 'deploy/grafana/dashboards';
/** Plugin id of the Timeplus Proton data source (grafana.com/grafana/plugins/timeplus-proton-datasource). */
export const PROTON_TYPE = 'timeplus-proton-datasource';

export interface Target {
  refId: string;
  expr?: string;
  sql?: string;
  datasource?: { type?: string; uid?: string };
  format?: string;
  instant?: boolean;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  transformations?: { id: string; options: Record<string, unknown> }[];
  panels?: Panel[];
  gridPos: { h: number; w: number; x: number; y: number };
}

export interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
  datasource?: { type?: string; uid?: string };
}

export interface Dashboard {
  file: string;
  json: {
    uid: string;
    title: string;
    schemaVersion: number;
    panels: Panel[];
    templating: { list: Variable[] };
    tags: string[];
  };
}

export function loadDashboards(): Dashboard[] {
  return readdirSync(repoPath(DASHBOARD_DIR))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readRepoFile(DASHBOARD_DIR, file)) as Dashboard['json'] }));
}

export function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

export function variableQuery(v: Variable): string {
  return typeof v.query === 'string' ? v.query : v.query.query;
}

export type QueryLanguage = 'promql' | 'sql';

export interface Query {
  readonly where: string;
  readonly kind: 'panel' | 'variable';
  readonly language: QueryLanguage;
  readonly query: string;
  readonly panel?: Panel;
}

export function dashboardQueries(d: Dashboard): Query[] {
  const queries: Query[] = [];
  for (const panel of allPanels(d.json.panels)) {
    for (const t of panel.targets ?? []) {
      const where = `${panel.title} ${t.refId}`;
      if (t.expr !== undefined) queries.push({ where, kind: 'panel', language: 'promql', query: t.expr, panel });
      if (t.sql !== undefined) queries.push({ where, kind: 'panel', language: 'sql', query: t.sql, panel });
    }
  }
  for (const v of d.json.templating.list) {
    if (v.type !== 'query') continue;
    const language = v.datasource?.type === PROTON_TYPE ? 'sql' : 'promql';
    queries.push({ where: `variable ${v.name}`, kind: 'variable', language, query: variableQuery(v) });
  }
  return queries;
}
