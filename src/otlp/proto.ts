// OTLP metrics wire format: the proto definitions under proto/ loaded once with protobufjs; encoding of
// ExportMetricsServiceRequest (from the plain shapes of plain.ts) and of responses with partial_success.
// Requests are decoded by decode.ts, a one-pass decoder for the bridge's throughput, re-exported here.
//
// Time fields (fixed64 *_time_unix_nano) are bigint nanoseconds: a Unix time in ns (~1.7e18) is far
// above Number.MAX_SAFE_INTEGER, and a number would round it to 256 ns steps, so round trips would not
// be exact. Counts and int64 values are numbers (exact up to 2^53, which metric values stay within).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { OtlpDecodeError } from './decode.js';
import type { AttributeValue, Attributes, PlainMetric, PlainRequest, Temporality } from './plain.js';

export const METRICS_SERVICE = 'opentelemetry.proto.collector.metrics.v1.MetricsService';
export const METRICS_EXPORT_PATH = `/${METRICS_SERVICE}/Export`;

export { decodeMetricsRequest } from './decode.js';
export { OtlpDecodeError };

// The proto folder is at the repository root: three levels above src/otlp/, four above dist/src/otlp/.
function protoDir(): string {
  for (const rel of ['../../proto/', '../../../proto/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}opentelemetry/proto/collector/metrics/v1/metrics_service.proto`)) return dir;
  }
  throw new Error('OTLP proto definitions not found (expected proto/ at the package root)');
}

interface Types {
  readonly request: protobuf.Type;
  readonly response: protobuf.Type;
  readonly status: protobuf.Type;
}

let types: Types | undefined;

function load(): Types {
  if (types) return types;
  const dir = protoDir();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => dir + target;
  root.loadSync('opentelemetry/proto/collector/metrics/v1/metrics_service.proto');
  // google.rpc.Status (code = 1, message = 2; details = 3 left out): the body of OTLP/HTTP error replies.
  const status = new protobuf.Type('Status')
    .add(new protobuf.Field('code', 1, 'int32'))
    .add(new protobuf.Field('message', 2, 'string'));
  root.define('google.rpc').add(status);
  root.resolveAll();
  const pkg = 'opentelemetry.proto.collector.metrics.v1';
  types = {
    request: root.lookupType(`${pkg}.ExportMetricsServiceRequest`),
    response: root.lookupType(`${pkg}.ExportMetricsServiceResponse`),
    status,
  };
  return types;
}

// --- plain -> protobufjs message objects (for encoding) ---

interface WireAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number;
  doubleValue?: number;
  arrayValue?: { values: WireAnyValue[] };
  kvlistValue?: { values: WireKeyValue[] };
  bytesValue?: Uint8Array;
}
interface WireKeyValue {
  key: string;
  value: WireAnyValue;
}

/** bigint ns -> the {low, high} form protobufjs writes for fixed64. */
function longBits(ns: bigint): { low: number; high: number; unsigned: boolean } {
  const u = BigInt.asUintN(64, ns);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: true };
}

/** Nanoseconds since the epoch -> milliseconds (for Date and SQL timestamps). */
export function nanosToMillis(ns: bigint): number {
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}

function jsToAnyValue(v: AttributeValue): WireAnyValue {
  if (v === null || v === undefined) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
  if (v instanceof Uint8Array) return { bytesValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(jsToAnyValue) } };
  return { kvlistValue: { values: recordToAttributes(v) } };
}

function recordToAttributes(attrs: Attributes | undefined): WireKeyValue[] {
  if (!attrs) return [];
  return Object.keys(attrs).map((key) => ({ key, value: jsToAnyValue(attrs[key]) }));
}

function temporalityCode(t: Temporality | undefined): number {
  return t === 'delta' ? 1 : t === 'cumulative' ? 2 : 0;
}

function pointHead(p: { attributes: Attributes; startTimeUnixNano: bigint; timeUnixNano: bigint; flags?: number }) {
  return {
    attributes: recordToAttributes(p.attributes),
    startTimeUnixNano: longBits(p.startTimeUnixNano),
    timeUnixNano: longBits(p.timeUnixNano),
    flags: p.flags ?? 0,
  };
}

function stats(p: { count: number; sum?: number; min?: number; max?: number }) {
  return { count: p.count, sum: p.sum, min: p.min, max: p.max };
}

function metricToWire(m: PlainMetric): Record<string, unknown> {
  const head = { name: m.name, description: m.description, unit: m.unit };
  const nums = (points: PlainMetric['points']) =>
    (points as Extract<PlainMetric, { type: 'gauge' }>['points']).map((p) => ({
      ...pointHead(p),
      ...(p.valueType === 'int' ? { asInt: p.value } : p.valueType === 'double' ? { asDouble: p.value } : {}),
    }));
  switch (m.type) {
    case 'gauge':
      return { ...head, gauge: { dataPoints: nums(m.points) } };
    case 'sum':
      return {
        ...head,
        sum: { dataPoints: nums(m.points), aggregationTemporality: temporalityCode(m.temporality), isMonotonic: m.monotonic },
      };
    case 'histogram':
      return {
        ...head,
        histogram: {
          aggregationTemporality: temporalityCode(m.temporality),
          dataPoints: m.points.map((p) => ({
            ...pointHead(p),
            ...stats(p),
            bucketCounts: p.bucketCounts,
            explicitBounds: p.explicitBounds,
          })),
        },
      };
    case 'exponential_histogram':
      return {
        ...head,
        exponentialHistogram: {
          aggregationTemporality: temporalityCode(m.temporality),
          dataPoints: m.points.map((p) => ({
            ...pointHead(p),
            ...stats(p),
            scale: p.scale,
            zeroCount: p.zeroCount,
            zeroThreshold: p.zeroThreshold,
            positive: p.positive,
            negative: p.negative,
          })),
        },
      };
    case 'summary':
      return {
        ...head,
        summary: {
          dataPoints: m.points.map((p) => ({ ...pointHead(p), count: p.count, sum: p.sum, quantileValues: p.quantileValues })),
        },
      };
    default:
      return head;
  }
}

function requestToWire(req: PlainRequest): Record<string, unknown> {
  return {
    resourceMetrics: req.resourceMetrics.map((rm) => ({
      resource: { attributes: recordToAttributes(rm.resource) },
      schemaUrl: rm.schemaUrl,
      scopeMetrics: rm.scopeMetrics.map((sm) => ({
        scope: { name: sm.scope.name, version: sm.scope.version, attributes: recordToAttributes(sm.scope.attributes) },
        schemaUrl: sm.schemaUrl,
        metrics: sm.metrics.map(metricToWire),
      })),
    })),
  };
}

/** Encodes plain objects (as returned by decodeMetricsRequest) as an ExportMetricsServiceRequest. */
export function encodeMetricsRequest(req: PlainRequest): Uint8Array {
  const { request } = load();
  return request.encode(request.fromObject(requestToWire(req))).finish();
}

export interface PartialSuccess {
  readonly rejectedDataPoints: number;
  readonly errorMessage: string;
}

export interface MetricsResponse {
  /** Absent when the server accepted everything and had nothing to say. */
  readonly partialSuccess?: PartialSuccess;
}

export function encodeMetricsResponse(response: MetricsResponse = {}): Uint8Array {
  const { response: type } = load();
  const ps = response.partialSuccess;
  const body = ps ? { partialSuccess: { rejectedDataPoints: ps.rejectedDataPoints, errorMessage: ps.errorMessage } } : {};
  return type.encode(type.fromObject(body)).finish();
}

export function decodeMetricsResponse(bytes: Uint8Array): MetricsResponse {
  let msg: { partialSuccess?: { rejectedDataPoints?: number | { toNumber(): number }; errorMessage?: string } | null };
  try {
    msg = load().response.decode(bytes) as typeof msg;
  } catch (err) {
    throw new OtlpDecodeError(`not an OTLP ExportMetricsServiceResponse: ${(err as Error).message}`);
  }
  if (!msg.partialSuccess) return {};
  return {
    partialSuccess: {
      rejectedDataPoints: Number(msg.partialSuccess.rejectedDataPoints ?? 0),
      errorMessage: msg.partialSuccess.errorMessage ?? '',
    },
  };
}

/** google.rpc.Status bytes, the body OTLP/HTTP servers send with an error status. */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  const { status } = load();
  return status.encode(status.fromObject({ code, message })).finish();
}

export function decodeRpcStatus(bytes: Uint8Array): { code: number; message: string } {
  const msg = load().status.decode(bytes) as unknown as { code?: number; message?: string };
  return { code: msg.code ?? 0, message: msg.message ?? '' };
}

/** The protobufjs type of ExportMetricsServiceRequest (tests decode with it as a reference). */
export function metricsRequestType(): protobuf.Type {
  return load().request;
}

/** Number of data points in a request, of every type (what partial_success.rejected_data_points counts). */
export function countDataPoints(req: PlainRequest): number {
  let n = 0;
  for (const rm of req.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += m.points.length;
  return n;
}
