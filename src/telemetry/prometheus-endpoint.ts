// The Prometheus pull endpoint. Names follow src/prometheus-names.ts (the official OTLP translation), so
// dashboards and alert rules work the same whether series arrive by scrape or through a Collector. As the
// OpenTelemetry Prometheus compatibility spec asks by default, every series carries its instrumentation
// scope as otel_scope_name/otel_scope_version, and the resource is on target_info.
import { createServer, type Server } from 'node:http';
import {
  AggregationTemporality,
  DataPointType,
  type HistogramMetricData,
  MetricReader,
  type MetricProducer,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { findMetric, type MetricDef } from '../catalogue.js';
import type { ListenAddress } from '../config/values.js';
import type { Logger } from '../log.js';
import { otlpMetricType, prometheusLabel, prometheusName, translateMetricName } from '../prometheus-names.js';
import { listenOn } from '../util/listen.js';

/** Resource attributes copied onto every series so per-host rules need no join with target_info. */
const RESOURCE_LABELS = ['host.name'] as const;

/** A reader that collects only when scraped; Prometheus wants cumulative values. */
export class PullReader extends MetricReader {
  static readonly temporality = (): AggregationTemporality => AggregationTemporality.CUMULATIVE;

  constructor(metricProducers: MetricProducer[] = []) {
    super({ aggregationTemporalitySelector: PullReader.temporality, metricProducers });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function labelText(labels: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (v === undefined) continue;
    parts.push(`${prometheusLabel(k)}="${escapeLabelValue(String(v))}"`);
  }
  return parts.length ? `{${parts.join(',')}}` : '';
}

function typeOf(data: MetricData, def: MetricDef | undefined): string {
  if (data.dataPointType === DataPointType.HISTOGRAM) return 'histogram';
  if (def) return def.instrument === 'Counter' ? 'counter' : 'gauge';
  return data.dataPointType === DataPointType.SUM && data.isMonotonic ? 'counter' : 'gauge';
}

/** A metric outside the catalogue (none today) goes through the same translation. */
function fallbackName(data: MetricData): string {
  const instrument =
    data.dataPointType === DataPointType.HISTOGRAM
      ? 'Histogram'
      : data.dataPointType === DataPointType.SUM
        ? data.isMonotonic
          ? 'Counter'
          : 'UpDownCounter'
        : 'Gauge';
  return translateMetricName(data.descriptor.name, data.descriptor.unit, otlpMetricType({ instrument }));
}

function serializeHistogram(name: string, data: HistogramMetricData, common: Record<string, unknown>): string {
  let out = '';
  for (const point of data.dataPoints) {
    const labels = { ...point.attributes, ...common };
    const { boundaries, counts } = point.value.buckets;
    let cumulative = 0;
    for (let i = 0; i < counts.length; i++) {
      cumulative += counts[i];
      const le = i < boundaries.length ? formatValue(boundaries[i]) : '+Inf';
      out += `${name}_bucket${labelText({ ...labels, le })} ${cumulative}\n`;
    }
    out += `${name}_sum${labelText(labels)} ${formatValue(point.value.sum ?? 0)}\n`;
    out += `${name}_count${labelText(labels)} ${point.value.count}\n`;
  }
  return out;
}

// A scrape renders the same series every time: catalogue names and each point's label text are kept,
// the latter per attribute object (the collectors and the catalogue producer reuse them across
// collections; catalogue-producer.ts keys series the same way) and per resource.
const catalogueNames = new Map<MetricDef, string>();
// Label text per resource, per scope (name and version), per attribute object.
const labelsByResource = new WeakMap<object, Map<string, WeakMap<object, string>>>();

function seriesLabels(cache: WeakMap<object, string>, attributes: object, common: Record<string, unknown>): string {
  let text = cache.get(attributes);
  if (text === undefined) {
    text = labelText({ ...attributes, ...common });
    cache.set(attributes, text);
  }
  return text;
}

/** Renders collected metrics in the Prometheus text exposition format (0.0.4). */
export function serializePrometheus(resourceMetrics: ResourceMetrics): string {
  const resource = resourceMetrics.resource.attributes;
  const common: Record<string, unknown> = {};
  for (const key of RESOURCE_LABELS) if (resource[key] !== undefined) common[key] = resource[key];
  let byScope = labelsByResource.get(resource);
  if (!byScope) labelsByResource.set(resource, (byScope = new Map()));
  let out = `# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info${labelText(resource)} 1\n`;
  for (const scope of resourceMetrics.scopeMetrics) {
    const scoped = { ...common, 'otel.scope.name': scope.scope.name, 'otel.scope.version': scope.scope.version ?? '' };
    const scopeKey = `${scope.scope.name}\n${scope.scope.version ?? ''}`;
    let labels = byScope.get(scopeKey);
    if (!labels) byScope.set(scopeKey, (labels = new WeakMap()));
    for (const data of scope.metrics) {
      if (data.dataPoints.length === 0) continue;
      const def = findMetric(data.descriptor.name);
      let name = def && catalogueNames.get(def);
      if (name === undefined) {
        name = def ? prometheusName(def) : fallbackName(data);
        if (def) catalogueNames.set(def, name);
      }
      out += `# HELP ${name} ${escapeHelp(data.descriptor.description)}\n# TYPE ${name} ${typeOf(data, def)}\n`;
      if (data.dataPointType === DataPointType.HISTOGRAM) {
        out += serializeHistogram(name, data, scoped);
        continue;
      }
      for (const point of data.dataPoints) {
        out += `${name}${seriesLabels(labels, point.attributes, scoped)} ${formatValue(point.value as number)}\n`;
      }
    }
  }
  return out;
}

export interface PrometheusEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

export async function startPrometheusEndpoint(
  listen: ListenAddress,
  reader: PullReader,
  log: Logger,
): Promise<PrometheusEndpoint> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('see /metrics\n');
      return;
    }
    reader.collect().then(
      ({ resourceMetrics, errors }) => {
        for (const err of errors) log.warn('metric collection error during scrape', { error: String(err) });
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(req.method === 'HEAD' ? undefined : serializePrometheus(resourceMetrics));
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`collection failed: ${String(err)}\n`);
      },
    );
  });
  const bound = await listenOn(server, listen, 'the Prometheus endpoint', 'prometheus-listen');
  return {
    url: `http://${bound}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
