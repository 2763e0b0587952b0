// With cumulative temporality the SDK keeps re-exporting a series an observable callback stopped
// reporting (a CPU gone offline, a swap device removed, a source that turned unreadable), with its last
// value and a fresh timestamp (opentelemetry-js #4096). That is a fake reading; this drops such points
// so only what the latest collection observed goes out.
import { type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { findMetric } from '../catalogue.js';
import type { Attributes } from '../collectors/types.js';
import type { PointsByMetric } from './instruments.js';

function attributeKey(attributes: Attributes): string {
  const keys = Object.keys(attributes).sort();
  let key = '';
  for (const k of keys) key += `${k}\u0000${String(attributes[k])}\u0001`;
  return key;
}

function observedOnly(metric: MetricData, observed: PointsByMetric): boolean {
  const def = findMetric(metric.descriptor.name);
  // Histograms are synchronous instruments: recorded, never observed.
  if (!def || def.instrument === 'Histogram') return true;
  const points = observed.get(def.name as never) ?? [];
  if (points.length === 0) return false;
  // The SDK's series are a superset of the observed ones: equal counts mean nothing is stale.
  if (metric.dataPoints.length === points.length) return true;
  const keep = new Set(points.map((p) => attributeKey(p.attributes)));
  (metric as { dataPoints: MetricData['dataPoints'] }).dataPoints = metric.dataPoints.filter((p) =>
    keep.has(attributeKey(p.attributes as Attributes)),
  ) as MetricData['dataPoints'];
  return metric.dataPoints.length > 0;
}

/** Removes, in place, observable points the latest collection did not observe. */
export function dropUnobserved(resourceMetrics: ResourceMetrics, observed: PointsByMetric): void {
  for (const scope of resourceMetrics.scopeMetrics) {
    scope.metrics = scope.metrics.filter((m) => observedOnly(m, observed));
  }
}
