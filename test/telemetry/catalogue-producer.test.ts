// The catalogue producer must report exactly what the SDK's own observable instruments would for the
// same observations: here both run side by side over a scripted series of collections (series that
// appear, vanish and come back, a counter reset, attributes in another key order) in both temporalities.
import { type Observable, ValueType } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CATALOGUE, type MetricDef, type MetricName } from '../../src/catalogue.js';
import { CollectionSink } from '../../src/collectors/collect.js';
import type { Attributes, Collection } from '../../src/collectors/types.js';
import { CatalogueProducer, mergeSameScopes } from '../../src/telemetry/catalogue-producer.js';

type Observation = [MetricName, number, Attributes?];

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

/** Collections 10 s apart. Fresh attribute objects every time, as a producer's literals would be. */
const SCRIPT: Observation[][] = [
  [
    ['system.cpu.time', 10.5, { 'cpu.mode': 'user', 'cpu.logical_number': 0 }],
    ['system.cpu.time', 3.25, { 'cpu.mode': 'system', 'cpu.logical_number': 0 }],
    ['system.memory.usage', 4096, { 'system.memory.state': 'used' }],
    ['system.cpu.frequency', 2.4e9, { 'cpu.logical_number': 0 }],
    ['system.cpu.frequency', 2.6e9, { 'cpu.logical_number': 1 }],
    ['system.cpu.load_average.1m', 0.5],
  ],
  [
    // Same series, attributes in the other key order.
    ['system.cpu.time', 12.75, { 'cpu.logical_number': 0, 'cpu.mode': 'user' }],
    ['system.cpu.time', 3.5, { 'cpu.mode': 'system', 'cpu.logical_number': 0 }],
    ['system.memory.usage', 2048, { 'system.memory.state': 'used' }],
    ['system.cpu.frequency', 2.5e9, { 'cpu.logical_number': 0 }],
    ['system.cpu.load_average.1m', 0.75],
    // A series that first appears now.
    ['system.paging.operations', 7, { 'system.paging.direction': 'in' }],
  ],
  [
    // The user counter was reset (it went down); CPU 1's frequency and paging are gone.
    ['system.cpu.time', 1.5, { 'cpu.mode': 'user', 'cpu.logical_number': 0 }],
    ['system.cpu.time', 4, { 'cpu.mode': 'system', 'cpu.logical_number': 0 }],
    ['system.memory.usage', 3072, { 'system.memory.state': 'used' }],
    ['system.cpu.frequency', 2.7e9, { 'cpu.logical_number': 0 }],
  ],
  [
    ['system.cpu.time', 2, { 'cpu.mode': 'user', 'cpu.logical_number': 0 }],
    ['system.cpu.time', 4.5, { 'cpu.mode': 'system', 'cpu.logical_number': 0 }],
    ['system.memory.usage', 3072, { 'system.memory.state': 'used' }],
    // CPU 1 and paging come back.
    ['system.cpu.frequency', 2.8e9, { 'cpu.logical_number': 1 }],
    ['system.paging.operations', 9, { 'system.paging.direction': 'in' }],
    ['system.cpu.load_average.1m', 1],
  ],
];

function collectionAt(i: number): Collection {
  const sink = new CollectionSink();
  for (const [name, value, attributes] of SCRIPT[i]) sink.add(name, value, attributes === undefined ? undefined : { ...attributes });
  return { timeMs: T0 + i * 10_000, points: sink.points, errors: [] };
}

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** The reference: the SDK's observable instruments, one per catalogue metric, one batch callback. */
function sdkReference(temporality: AggregationTemporality, latest: () => Collection) {
  const reader = new Reader({ aggregationTemporalitySelector: () => temporality });
  const meter = new MeterProvider({ readers: [reader] }).getMeter('otel-sysmon', '1.0.0');
  const observables = new Map<string, Observable>();
  for (const def of CATALOGUE as readonly MetricDef[]) {
    const options = { unit: def.unit, description: def.description, valueType: def.valueType === 'int' ? ValueType.INT : ValueType.DOUBLE };
    if (def.instrument === 'Counter') observables.set(def.name, meter.createObservableCounter(def.name, options));
    if (def.instrument === 'UpDownCounter') observables.set(def.name, meter.createObservableUpDownCounter(def.name, options));
    if (def.instrument === 'Gauge') observables.set(def.name, meter.createObservableGauge(def.name, options));
  }
  meter.addBatchObservableCallback((result) => {
    for (const [name, points] of latest().points) {
      for (const p of points) result.observe(observables.get(name)!, p.value, p.attributes);
    }
  }, [...observables.values()]);
  return reader;
}

interface Row {
  metric: string;
  type: string;
  temporality: AggregationTemporality;
  monotonic?: boolean;
  unit: string;
  attributes: string;
  value: number;
  startMs: number;
  endMs: number;
  valueType: ValueType;
}

function rows(rm: ResourceMetrics, observed?: Collection): Row[] {
  const out: Row[] = [];
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics as MetricData[]) {
      const seen = observed?.points.get(m.descriptor.name as MetricName);
      for (const p of m.dataPoints) {
        const attributes = JSON.stringify(Object.entries(p.attributes).sort());
        // The SDK keeps repeating series a callback stopped observing (opentelemetry-js #4096).
        if (observed && !seen?.some((o) => JSON.stringify(Object.entries(o.attributes).sort()) === attributes)) continue;
        out.push({
          metric: m.descriptor.name,
          type: DataPointType[m.dataPointType],
          temporality: m.aggregationTemporality,
          monotonic: m.dataPointType === DataPointType.SUM ? m.isMonotonic : undefined,
          unit: m.descriptor.unit,
          valueType: m.descriptor.valueType,
          attributes,
          // The SDK sums cumulative values from deltas, which can differ in the last bit.
          value: Number((p.value as number).toPrecision(12)),
          startMs: hrTimeToMilliseconds(p.startTime),
          endMs: hrTimeToMilliseconds(p.endTime),
        });
      }
    }
  }
  return out.sort((a, b) => (a.metric + a.attributes).localeCompare(b.metric + b.attributes));
}

describe('CatalogueProducer', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
  afterEach(() => vi.useRealTimers());

  for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
    it(`reports what the SDK's observable instruments report (${AggregationTemporality[temporality]})`, async () => {
      let current = collectionAt(0);
      const reference = sdkReference(temporality, () => current);
      const producer = new CatalogueProducer(() => current, () => temporality, { name: 'otel-sysmon', version: '1.0.0' });
      for (let i = 0; i < SCRIPT.length; i++) {
        current = collectionAt(i);
        // The SDK stamps a collection with Date.now(); the producer with the collection's time.
        vi.setSystemTime(current.timeMs);
        const expected = rows((await reference.collect()).resourceMetrics, current);
        const actual = rows((await producer.collect()).resourceMetrics);
        expect(actual, `collection ${i}`).toEqual(expected);
        expect(actual.length, `collection ${i}`).toBe(SCRIPT[i].length);
      }
    });
  }

  it('starts cumulative streams at their first observation or last reset, delta intervals at the previous collection', async () => {
    let current = collectionAt(0);
    const cumulative = new CatalogueProducer(() => current, () => AggregationTemporality.CUMULATIVE, { name: 's', version: '1' });
    const delta = new CatalogueProducer(() => current, () => AggregationTemporality.DELTA, { name: 's', version: '1' });
    const user = (r: Row[]) => r.find((x) => x.metric === 'system.cpu.time' && x.attributes.includes('"user"'))!;
    const seen: { cumulative: Row; delta: Row }[] = [];
    for (let i = 0; i < SCRIPT.length; i++) {
      current = collectionAt(i);
      seen.push({ cumulative: user(rows((await cumulative.collect()).resourceMetrics)), delta: user(rows((await delta.collect()).resourceMetrics)) });
    }
    expect(seen.map((s) => [s.cumulative.value, s.cumulative.startMs - T0])).toEqual([
      [10.5, 0],
      [12.75, 0],
      [1.5, 20_000], // reset: a new stream starts at the collection that saw it
      [2, 20_000],
    ]);
    expect(seen.map((s) => [s.delta.value, s.delta.startMs - T0, s.delta.endMs - T0])).toEqual([
      [10.5, 0, 0],
      [2.25, 0, 10_000],
      [1.5, 10_000, 20_000],
      [0.5, 20_000, 30_000],
    ]);
  });

  it('reports nothing before the first collection', async () => {
    const producer = new CatalogueProducer(() => undefined, () => AggregationTemporality.CUMULATIVE, { name: 's', version: '1' });
    expect((await producer.collect()).resourceMetrics.scopeMetrics).toEqual([]);
  });
});

describe('mergeSameScopes', () => {
  it('folds scopes of equal name and version into the first and keeps others apart', () => {
    const metric = (name: string) => ({ descriptor: { name } }) as unknown as MetricData;
    const rm = {
      resource: {},
      scopeMetrics: [
        { scope: { name: 'otel-sysmon', version: '1' }, metrics: [metric('a')] },
        { scope: { name: 'other', version: '1' }, metrics: [metric('b')] },
        { scope: { name: 'otel-sysmon', version: '1' }, metrics: [metric('c')] },
        { scope: { name: 'otel-sysmon', version: '2' }, metrics: [metric('d')] },
      ],
    } as unknown as ResourceMetrics;
    mergeSameScopes(rm);
    expect(rm.scopeMetrics.map((s) => [s.scope.name, s.scope.version, s.metrics.map((m) => m.descriptor.name)])).toEqual([
      ['otel-sysmon', '1', ['a', 'c']],
      ['other', '1', ['b']],
      ['otel-sysmon', '2', ['d']],
    ]);
  });
});
