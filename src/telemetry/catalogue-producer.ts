// Turns the agent's latest collection into OpenTelemetry metric data for one reader. It emits what the
// SDK's observable instruments would for the same observations (data point types, start times,
// temporality, monotonic resets; test/telemetry/catalogue-producer.test.ts compares the two), but
// without the SDK's per-point attribute hashing and accumulation maps, which cost more than reading
// /proc itself (README, Performance). It plugs into the SDK as a MetricProducer, the SDK's extension
// point for metrics that do not come from its own instruments.
import { type HrTime, ValueType } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type AggregationTemporalitySelector,
  type CollectionResult,
  DataPointType,
  type GaugeMetricData,
  InstrumentType,
  type MetricData,
  type MetricProducer,
  type ResourceMetrics,
  type ScopeMetrics,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { CATALOGUE, isMonotonic, type MetricDef, otlpType } from '../catalogue.js';
import type { Attributes, Collection } from '../collectors/types.js';

/** The scope every agent metric is reported under (the SDK meter for histograms uses the same). */
export interface ProducerScope {
  readonly name: string;
  readonly version: string;
  readonly schemaUrl?: string;
}

const OBSERVABLE_TYPE: Record<Exclude<MetricDef['instrument'], 'Histogram'>, InstrumentType> = {
  Counter: InstrumentType.OBSERVABLE_COUNTER,
  UpDownCounter: InstrumentType.OBSERVABLE_UP_DOWN_COUNTER,
  Gauge: InstrumentType.OBSERVABLE_GAUGE,
};

interface Series {
  /** Start of the current cumulative stream: first observation, or the last monotonic reset. */
  start: HrTime;
  /** The value this reader saw last. */
  last: number;
  /** The collection number in which this reader last reported the series. */
  reportedIn: number;
}

/** Per metric: its descriptor, data type and the series this reader has seen. */
interface MetricState {
  readonly kind: 'sum' | 'gauge';
  readonly monotonic: boolean;
  readonly descriptor: MetricData['descriptor'];
  readonly temporality: AggregationTemporality;
  readonly series: Map<string, Series>;
}

/** A series key independent of attribute order; attribute objects the collectors reuse are keyed once. */
class SeriesKeys {
  private readonly byObject = new WeakMap<Attributes, string>();

  of(attributes: Attributes): string {
    let key = this.byObject.get(attributes);
    if (key === undefined) {
      key = '';
      for (const k of Object.keys(attributes).sort()) {
        const v = attributes[k];
        key += `${k}\u0000${typeof v}\u0000${String(v)}\u0001`;
      }
      this.byObject.set(attributes, key);
    }
    return key;
  }
}

export class CatalogueProducer implements MetricProducer {
  private readonly metrics = new Map<string, MetricState>();
  private readonly keys = new SeriesKeys();
  private collections = 0;
  private previousTime: HrTime | undefined;

  constructor(
    private readonly latest: () => Collection | undefined,
    temporality: AggregationTemporalitySelector,
    private readonly scope: ProducerScope,
  ) {
    for (const def of CATALOGUE as readonly MetricDef[]) {
      if (def.instrument === 'Histogram') continue;
      const type = OBSERVABLE_TYPE[def.instrument];
      this.metrics.set(def.name, {
        kind: otlpType(def) === 'gauge' ? 'gauge' : 'sum',
        monotonic: isMonotonic(def),
        descriptor: { name: def.name, description: def.description, unit: def.unit, valueType: def.valueType === 'int' ? ValueType.INT : ValueType.DOUBLE },
        temporality: temporality(type),
        series: new Map(),
      });
    }
  }

  async collect(): Promise<CollectionResult> {
    const collection = this.latest();
    const metrics: MetricData[] = [];
    if (collection) {
      const now = millisToHrTime(collection.timeMs);
      const n = ++this.collections;
      for (const [name, points] of collection.points) {
        const state = this.metrics.get(name);
        if (!state || points.length === 0) continue;
        metrics.push(this.metricData(state, points, now, n));
      }
      this.previousTime = now;
    }
    return {
      resourceMetrics: { resource: emptyResource(), scopeMetrics: metrics.length ? [{ scope: this.scope, metrics }] : [] },
      errors: [],
    };
  }

  private metricData(
    state: MetricState,
    points: readonly { readonly attributes: Attributes; readonly value: number }[],
    now: HrTime,
    n: number,
  ): MetricData {
    const delta = state.temporality === AggregationTemporality.DELTA;
    const dataPoints: SumMetricData['dataPoints'] = [];
    for (const p of points) {
      const key = this.keys.of(p.attributes);
      let series = state.series.get(key);
      let value = p.value;
      let start: HrTime;
      if (!series) {
        series = { start: now, last: p.value, reportedIn: n };
        state.series.set(key, series);
        start = now;
      } else {
        // A monotonic counter that went down was reset (a reboot, a re-created device): a new stream.
        const reset = state.monotonic && p.value < series.last;
        if (reset) series.start = now;
        if (delta) {
          if (state.kind === 'sum' && !reset) value = p.value - series.last;
          // A delta interval starts at the reader's previous collection when it reported the series then.
          start = series.reportedIn === n - 1 && this.previousTime ? this.previousTime : now;
        } else {
          start = series.start;
        }
        series.last = p.value;
        series.reportedIn = n;
      }
      dataPoints.push({ attributes: p.attributes, startTime: start, endTime: now, value });
    }
    if (state.kind === 'gauge') {
      return {
        descriptor: state.descriptor,
        aggregationTemporality: state.temporality,
        dataPointType: DataPointType.GAUGE,
        dataPoints,
      } satisfies GaugeMetricData;
    }
    return {
      descriptor: state.descriptor,
      aggregationTemporality: state.temporality,
      dataPointType: DataPointType.SUM,
      dataPoints,
      isMonotonic: state.monotonic,
    } satisfies SumMetricData;
  }
}

/**
 * Merges scopes of equal name, version and schema URL into the first, in place: the SDK's meter
 * (histograms) and the catalogue producer report under the same scope, and one scope should arrive once.
 */
export function mergeSameScopes(resourceMetrics: ResourceMetrics): void {
  const list = resourceMetrics.scopeMetrics;
  if (list.length < 2) return;
  const byKey = new Map<string, ScopeMetrics>();
  const merged: ScopeMetrics[] = [];
  for (const sm of list) {
    const key = `${sm.scope.name}\u0000${sm.scope.version ?? ''}\u0000${sm.scope.schemaUrl ?? ''}`;
    const first = byKey.get(key);
    if (first) first.metrics.push(...sm.metrics);
    else {
      byKey.set(key, sm);
      merged.push(sm);
    }
  }
  resourceMetrics.scopeMetrics = merged;
}
