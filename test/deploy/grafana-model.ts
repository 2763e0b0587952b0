// Reads the Grafana dashboards in deploy/grafana/dashboards and lists every query in them (panel targets,
// including panels nested in rows, and variable queries).
import { readdirSync } from 'node:fs';
import { readRepoFile, repoPath } from './tools.js';

export const DASHBOARD_DIR = 'deploy/grafana/dashboards';

export interface Target {
  refId: string;
  expr?: string;
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

export interface Query {
  readonly where: string;
  readonly kind: 'panel' | 'variable';
  readonly query: string;
  readonly panel?: Panel;
}

export function dashboardQueries(d: Dashboard): Query[] {
  const queries: Query[] = [];
  for (const panel of allPanels(d.json.panels)) {
    for (const t of panel.targets ?? []) {
      if (t.expr !== undefined) queries.push({ where: `${panel.title} ${t.refId}`, kind: 'panel', query: t.expr, panel });
    }
  }
  for (const v of d.json.templating.list) {
    if (v.type === 'query') queries.push({ where: `variable ${v.name}`, kind: 'variable', query: variableQuery(v) });
  }
  return queries;
}
