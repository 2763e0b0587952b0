// Reference decoder for tests: ExportMetricsServiceRequest decoded by protobufjs reflection from the
// proto/ files, then converted to the plain shapes. src/otlp/decode.ts (the fast one-pass decoder the
// bridge and receiver use) must agree with it on every input.
import type {
  AttributeValue,
  Attributes,
  PlainExponentialBuckets,
  PlainMetric,
  PlainRequest,
  PlainResourceMetrics,
  Temporality,
} from '../../src/otlp/plain.js';
import { metricsRequestType } from '../../src/otlp/proto.js';

// --- decoded message shapes (protobufjs camelCase; int64/fixed64 arrive as Long with the long package) ---

interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned: boolean;
  toNumber(): number;
}
type Int64 = number | LongLike;

interface WireAnyValue {
  value?: 'stringValue' | 'boolValue' | 'intValue' | 'doubleValue' | 'arrayValue' | 'kvlistValue' | 'bytesValue';
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values?: WireAnyValue[] };
  kvlistValue?: { values?: WireKeyValue[] };
  bytesValue?: Uint8Array;
}
interface WireKeyValue {
  key?: string;
  value?: WireAnyValue | null;
}
interface WirePointBase {
  attributes?: WireKeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  flags?: number;
}
interface WireNumberPoint extends WirePointBase {
  value?: 'asDouble' | 'asInt';
  asDouble?: number;
  asInt?: Int64;
}
interface WireHistogramPoint extends WirePointBase {
  count?: Int64;
  sum?: number | null;
  min?: number | null;
  max?: number | null;
  bucketCounts?: Int64[];
  explicitBounds?: number[];
}
interface WireBuckets {
  offset?: number;
  bucketCounts?: Int64[];
}
interface WireExpHistogramPoint extends WireHistogramPoint {
  scale?: number;
  zeroCount?: Int64;
  zeroThreshold?: number;
  positive?: WireBuckets | null;
  negative?: WireBuckets | null;
}
interface WireSummaryPoint extends WirePointBase {
  count?: Int64;
  sum?: number;
  quantileValues?: { quantile?: number; value?: number }[];
}
interface WireMetric {
  name?: string;
  description?: string;
  unit?: string;
  data?: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
  gauge?: { dataPoints?: WireNumberPoint[] };
  sum?: { dataPoints?: WireNumberPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  histogram?: { dataPoints?: WireHistogramPoint[]; aggregationTemporality?: number };
  exponentialHistogram?: { dataPoints?: WireExpHistogramPoint[]; aggregationTemporality?: number };
  summary?: { dataPoints?: WireSummaryPoint[] };
}
interface WireRequest {
  resourceMetrics?: {
    resource?: { attributes?: WireKeyValue[]; droppedAttributesCount?: number } | null;
    schemaUrl?: string;
    scopeMetrics?: {
      scope?: { name?: string; version?: string; attributes?: WireKeyValue[] } | null;
      schemaUrl?: string;
      metrics?: WireMetric[];
    }[];
  }[];
}

// --- numbers ---

function num(v: Int64 | undefined | null): number {
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

function nanos(v: Int64 | undefined | null): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number') return BigInt(v);
  const unsigned = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return v.unsigned ? unsigned : BigInt.asIntN(64, unsigned);
}

// --- attributes ---

function anyValueToJs(v: WireAnyValue | null | undefined): AttributeValue {
  if (!v) return null;
  switch (v.value) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue ?? false;
    case 'intValue':
      return num(v.intValue);
    case 'doubleValue':
      return v.doubleValue ?? 0;
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(anyValueToJs);
    case 'kvlistValue':
      return attributesToRecord(v.kvlistValue?.values);
    case 'bytesValue':
      return new Uint8Array(v.bytesValue ?? []);
    default:
      return null;
  }
}

function attributesToRecord(list: WireKeyValue[] | undefined): Attributes {
  const out: Attributes = {};
  if (!list) return out;
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    out[kv.key ?? ''] = anyValueToJs(kv.value);
  }
  return out;
}

// --- metrics ---

function temporality(code: number | undefined): Temporality {
  return code === 1 ? 'delta' : code === 2 ? 'cumulative' : 'unspecified';
}

/** proto3 optional sum/min/max: present only when set. */
function optionalDoubles(p: { sum?: number | null; min?: number | null; max?: number | null }): { sum?: number; min?: number; max?: number } {
  const out: { sum?: number; min?: number; max?: number } = {};
  for (const k of ['sum', 'min', 'max'] as const) {
    const v = p[k];
    if (v !== null && v !== undefined) out[k] = v;
  }
  return out;
}

function numberPoints(points: WireNumberPoint[] | undefined) {
  const out = new Array(points?.length ?? 0);
  for (let i = 0; i < out.length; i++) {
    const p = points![i];
    const isInt = p.value === 'asInt';
    out[i] = {
      attributes: attributesToRecord(p.attributes),
      startTimeUnixNano: nanos(p.startTimeUnixNano),
      timeUnixNano: nanos(p.timeUnixNano),
      value: isInt ? num(p.asInt) : p.value === 'asDouble' ? (p.asDouble ?? 0) : NaN,
      valueType: isInt ? 'int' : p.value === 'asDouble' ? 'double' : 'none',
      flags: p.flags ?? 0,
    };
  }
  return out;
}

function buckets(b: WireBuckets | null | undefined): PlainExponentialBuckets {
  return { offset: b?.offset ?? 0, bucketCounts: (b?.bucketCounts ?? []).map(num) };
}

function metricToPlain(m: WireMetric): PlainMetric {
  const head = { name: m.name ?? '', description: m.description ?? '', unit: m.unit ?? '' };
  switch (m.data) {
    case 'gauge':
      return { ...head, type: 'gauge', points: numberPoints(m.gauge?.dataPoints) };
    case 'sum':
      return {
        ...head,
        type: 'sum',
        monotonic: m.sum?.isMonotonic ?? false,
        temporality: temporality(m.sum?.aggregationTemporality),
        points: numberPoints(m.sum?.dataPoints),
      };
    case 'histogram':
      return {
        ...head,
        type: 'histogram',
        temporality: temporality(m.histogram?.aggregationTemporality),
        points: (m.histogram?.dataPoints ?? []).map((p) => ({
          attributes: attributesToRecord(p.attributes),
          startTimeUnixNano: nanos(p.startTimeUnixNano),
          timeUnixNano: nanos(p.timeUnixNano),
          count: num(p.count),
          ...optionalDoubles(p),
          bucketCounts: (p.bucketCounts ?? []).map(num),
          explicitBounds: p.explicitBounds ?? [],
          flags: p.flags ?? 0,
        })),
      };
    case 'exponentialHistogram':
      return {
        ...head,
        type: 'exponential_histogram',
        temporality: temporality(m.exponentialHistogram?.aggregationTemporality),
        points: (m.exponentialHistogram?.dataPoints ?? []).map((p) => ({
          attributes: attributesToRecord(p.attributes),
          startTimeUnixNano: nanos(p.startTimeUnixNano),
          timeUnixNano: nanos(p.timeUnixNano),
          count: num(p.count),
          ...optionalDoubles(p),
          scale: p.scale ?? 0,
          zeroCount: num(p.zeroCount),
          zeroThreshold: p.zeroThreshold ?? 0,
          positive: buckets(p.positive),
          negative: buckets(p.negative),
          flags: p.flags ?? 0,
        })),
      };
    case 'summary':
      return {
        ...head,
        type: 'summary',
        points: (m.summary?.dataPoints ?? []).map((p) => ({
          attributes: attributesToRecord(p.attributes),
          startTimeUnixNano: nanos(p.startTimeUnixNano),
          timeUnixNano: nanos(p.timeUnixNano),
          count: num(p.count),
          sum: p.sum ?? 0,
          quantileValues: (p.quantileValues ?? []).map((q) => ({ quantile: q.quantile ?? 0, value: q.value ?? 0 })),
          flags: p.flags ?? 0,
        })),
      };
    default:
      return { ...head, type: 'empty', points: [] };
  }
}

/** Converts a decoded ExportMetricsServiceRequest message into plain JS objects. */
export function toPlainRequest(message: unknown): PlainRequest {
  const req = message as WireRequest;
  const resourceMetrics: PlainResourceMetrics[] = (req.resourceMetrics ?? []).map((rm) => ({
    resource: attributesToRecord(rm.resource?.attributes),
    schemaUrl: rm.schemaUrl ?? '',
    scopeMetrics: (rm.scopeMetrics ?? []).map((sm) => ({
      scope: {
        name: sm.scope?.name ?? '',
        version: sm.scope?.version ?? '',
        attributes: attributesToRecord(sm.scope?.attributes),
      },
      schemaUrl: sm.schemaUrl ?? '',
      metrics: (sm.metrics ?? []).map(metricToPlain),
    })),
  }));
  return { resourceMetrics };
}

/** Decodes with protobufjs reflection (throws protobufjs errors on malformed input). */
export function referenceDecode(bytes: Uint8Array): PlainRequest {
  return toPlainRequest(metricsRequestType().decode(bytes));
}
