// The stable JSON shape of one collection (`otel-sysmon snapshot --format json`), which other tools parse:
// {"resource": {...}, "metrics": [{"name","unit","type","monotonic"?,"points":[{"attributes","value"}]}], "errors": [...]}
import { CATALOGUE, isMonotonic, type MetricDef, otlpType } from './catalogue.js';
import type { Attributes, Collection, CollectorError, Point } from './collectors/types.js';
import { formatAttributes, renderTable } from './util/table.js';

export interface SnapshotMetric {
  readonly name: string;
  readonly unit: string;
  readonly type: 'gauge' | 'sum' | 'histogram';
  readonly monotonic?: boolean;
  readonly points: readonly { readonly attributes: Attributes; readonly value: number }[];
}

export interface SnapshotDocument {
  readonly resource: Readonly<Record<string, string | number | boolean>>;
  readonly metrics: readonly SnapshotMetric[];
  readonly errors: readonly CollectorError[];
}

export function snapshotDocument(collection: Collection, resource: SnapshotDocument['resource']): SnapshotDocument {
  const metrics: SnapshotMetric[] = [];
  forEachCollected(collection, (def, points) => metrics.push(snapshotMetric(def, points)));
  return { resource, metrics, errors: collection.errors };
}

/** Calls `f` for each catalogue metric with points in the collection, in catalogue order. */
export function forEachCollected(collection: Collection, f: (def: MetricDef, points: readonly Point[]) => void): void {
  for (const def of CATALOGUE as readonly MetricDef[]) {
    const points = collection.points.get(def.name as never);
    if (points && points.length > 0) f(def, points);
  }
}

export function snapshotMetric(def: MetricDef, points: readonly Point[]): SnapshotMetric {
  const type = otlpType(def);
  return {
    name: def.name,
    unit: def.unit,
    type,
    ...(type === 'sum' ? { monotonic: isMonotonic(def) } : {}),
    points: points.map((p) => ({ attributes: p.attributes, value: p.value })),
  };
}

export function snapshotTable(doc: SnapshotDocument): string {
  const rows: string[][] = [];
  for (const m of doc.metrics) {
    for (const p of m.points) rows.push([m.name, formatAttributes(p.attributes), `${p.value} ${m.unit}`]);
  }
  let out = renderTable(['metric', 'attributes', 'value'], rows);
  for (const e of doc.errors) out += `error: ${e.collector}: ${e.message}\n`;
  return out;
}
