// A real OTLP metrics receiver for tests, on 127.0.0.1 (port 0 by default): gRPC and HTTP/protobuf,
// recording every decoded request with its arrival time, with fault modes (down/up on the same port,
// hang, a given gRPC or HTTP status, partial success) and optional TLS / mTLS.
import type { Attributes, PlainHistogramPoint, PlainMetric, PlainRequest, Temporality } from '../../src/otlp/plain.js';
import { countDataPoints } from '../../src/otlp/proto.js';
import { createOtlpServer, type OtlpReply, type OtlpServer, type OtlpTlsOptions } from '../../src/otlp/server.js';
import { sleep, waitFor } from './wait.js';

export interface ReceivedRequest {
  readonly transport: 'grpc' | 'http';
  /** Date.now() when the request was decoded. */
  readonly arrivedAt: number;
  readonly request: PlainRequest;
  readonly headers: Readonly<Record<string, string>>;
  readonly bytes: number;
  readonly points: number;
  /** What the receiver answered. */
  readonly reply: OtlpReply['kind'] | 'error';
}

/** How the receiver answers; the same mode applies to both transports. */
export type ReceiverMode =
  | { readonly kind: 'ok' }
  | { readonly kind: 'hang' }
  /** Accept, answering only after `delayMs` (a slow collector: keeps a request in flight that long). */
  | { readonly kind: 'slow'; readonly delayMs: number }
  /** Answer gRPC calls with this status code (HTTP gets httpStatus, default from the OTLP mapping). */
  | { readonly kind: 'grpc-status'; readonly code: number; readonly message?: string }
  | { readonly kind: 'http-status'; readonly status: number; readonly message?: string; readonly retryAfterSeconds?: number }
  | { readonly kind: 'partial'; readonly rejected: number; readonly message: string };

export interface ReceiverOptions {
  readonly grpc?: boolean;
  readonly http?: boolean;
  readonly tls?: OtlpTlsOptions;
  readonly host?: string;
}

// OTLP/HTTP status for a gRPC code, for modes given as a gRPC code (and the reverse).
const GRPC_TO_HTTP: Record<number, number> = { 3: 400, 7: 403, 8: 429, 13: 500, 14: 503, 16: 401 };
const HTTP_TO_GRPC: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 12, 429: 8, 500: 13, 502: 14, 503: 14, 504: 14 };

export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  private mode: ReceiverMode = { kind: 'ok' };
  private server: OtlpServer;
  private started = false;
  private readonly scheme: 'http' | 'https';
  private readonly host: string;

  constructor(private readonly options: ReceiverOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.scheme = options.tls ? 'https' : 'http';
    this.server = this.createServer();
  }

  /**
   * The ports are random but below the kernel's ephemeral range (32768+): the receiver goes down and
   * comes back on the same ports, and in the meantime any port-0 bind of a parallel test could take a
   * port from the ephemeral range, never one below it.
   */
  private createServer(): OtlpServer {
    const options = this.options;
    const port = () => 20_000 + Math.floor(Math.random() * 12_000);
    return createOtlpServer({
      grpc: options.grpc === false ? undefined : { host: this.host, port: port() },
      http: options.http === false ? undefined : { host: this.host, port: port() },
      tls: options.tls,
      handle: (exp) => {
        const reply = this.reply();
        this.requests.push({
          transport: exp.transport,
          arrivedAt: Date.now(),
          request: exp.request,
          headers: exp.headers,
          bytes: exp.bytes,
          points: countDataPoints(exp.request),
          reply: reply.kind,
        });
        const mode = this.mode;
        return mode.kind === 'slow' ? sleep(mode.delayMs).then(() => reply) : reply;
      },
    });
  }

  private reply(): OtlpReply {
    const m = this.mode;
    switch (m.kind) {
      case 'ok':
      case 'slow':
        return { kind: 'ok' };
      case 'hang':
        return { kind: 'hang' };
      case 'partial':
        return { kind: 'ok', partialSuccess: { rejectedDataPoints: m.rejected, errorMessage: m.message } };
      case 'grpc-status':
        return { kind: 'error', grpcCode: m.code, httpStatus: GRPC_TO_HTTP[m.code] ?? 500, message: m.message ?? `test status ${m.code}` };
      case 'http-status':
        return {
          kind: 'error',
          grpcCode: HTTP_TO_GRPC[m.status] ?? 2,
          httpStatus: m.status,
          message: m.message ?? `test status ${m.status}`,
          retryAfterSeconds: m.retryAfterSeconds,
        };
    }
  }

  /** Starts listening (first call picks free ports; later calls reuse them: "collector back up"). */
  async start(): Promise<this> {
    if (this.started) {
      await this.server.start();
      return this;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.server.start();
        this.started = true;
        return this;
      } catch (err) {
        await this.server.stop();
        if (attempt >= 20) throw err;
        this.server = this.createServer();
      }
    }
  }

  /** Stops listening and drops connections and pending calls ("collector down"). */
  async stop(): Promise<void> {
    await this.server.stop();
  }

  setMode(mode: ReceiverMode): void {
    this.mode = mode;
  }

  get grpcPort(): number {
    if (this.server.grpcPort === undefined) throw new Error('receiver has no gRPC listener');
    return this.server.grpcPort;
  }

  get httpPort(): number {
    if (this.server.httpPort === undefined) throw new Error('receiver has no HTTP listener');
    return this.server.httpPort;
  }

  /** Endpoint for a gRPC OTLP exporter, e.g. http://127.0.0.1:43123. */
  get grpcEndpoint(): string {
    return `${this.scheme}://${this.host}:${this.grpcPort}`;
  }

  /** Endpoint for an HTTP/protobuf OTLP exporter, e.g. http://127.0.0.1:43124/v1/metrics. */
  get httpEndpoint(): string {
    return `${this.scheme}://${this.host}:${this.httpPort}/v1/metrics`;
  }

  /** Waits (bounded) until at least `count` requests arrived; returns them all. */
  async waitForRequests(count: number, timeoutMs = 10_000): Promise<ReceivedRequest[]> {
    await waitFor(() => this.requests.length >= count, { timeoutMs, what: `${count} OTLP request(s) (got ${this.requests.length})` });
    return this.requests;
  }

  /** Waits (bounded) until a received metric satisfies `predicate`; returns it. */
  async waitForMetric(predicate: (m: FlatMetric) => boolean, timeoutMs = 10_000, what = 'a matching metric'): Promise<FlatMetric> {
    return waitFor(() => flattenMetrics(this.requests).find(predicate), { timeoutMs, what });
  }
}

/** Creates and starts a receiver. */
export async function startOtlpReceiver(options: ReceiverOptions = {}): Promise<OtlpReceiver> {
  return new OtlpReceiver(options).start();
}

export interface FlatPoint {
  readonly attributes: Attributes;
  /** Number points: the value. Histograms: the count of observations (see `histogram`). */
  readonly value: number;
  readonly timeUnixNano: bigint;
  readonly startTimeUnixNano: bigint;
  readonly histogram?: Pick<PlainHistogramPoint, 'count' | 'sum' | 'min' | 'max' | 'bucketCounts' | 'explicitBounds'>;
}

export interface FlatMetric {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly type: PlainMetric['type'];
  /** Sums only; false otherwise. */
  readonly monotonic: boolean;
  /** Sums and histograms; undefined for gauges. */
  readonly temporality: Temporality | undefined;
  readonly points: FlatPoint[];
  readonly resource: Attributes;
  readonly scope: string;
  /** Index of the request it came from in the list passed in. */
  readonly requestIndex: number;
}

/** One entry per metric per request, with points reduced to what assertions need. */
export function flattenMetrics(requests: readonly (ReceivedRequest | PlainRequest)[]): FlatMetric[] {
  const out: FlatMetric[] = [];
  requests.forEach((r, requestIndex) => {
    const req = 'request' in r ? r.request : r;
    for (const rm of req.resourceMetrics) {
      for (const sm of rm.scopeMetrics) {
        for (const m of sm.metrics) {
          out.push({
            name: m.name,
            unit: m.unit,
            description: m.description,
            type: m.type,
            monotonic: m.type === 'sum' ? m.monotonic : false,
            temporality: 'temporality' in m ? m.temporality : undefined,
            points: flatPoints(m),
            resource: rm.resource,
            scope: sm.scope.name,
            requestIndex,
          });
        }
      }
    }
  });
  return out;
}

function flatPoints(m: PlainMetric): FlatPoint[] {
  switch (m.type) {
    case 'gauge':
    case 'sum':
      return m.points.map((p) => ({
        attributes: p.attributes,
        value: p.value,
        timeUnixNano: p.timeUnixNano,
        startTimeUnixNano: p.startTimeUnixNano,
      }));
    case 'histogram':
      return m.points.map((p) => ({
        attributes: p.attributes,
        value: p.count,
        timeUnixNano: p.timeUnixNano,
        startTimeUnixNano: p.startTimeUnixNano,
        histogram: { count: p.count, sum: p.sum, min: p.min, max: p.max, bucketCounts: p.bucketCounts, explicitBounds: p.explicitBounds },
      }));
    default:
      return m.points.map((p) => ({
        attributes: p.attributes,
        value: p.count,
        timeUnixNano: p.timeUnixNano,
        startTimeUnixNano: p.startTimeUnixNano,
      }));
  }
}

/** The most recent occurrence of each metric name. */
export function latestMetrics(requests: readonly (ReceivedRequest | PlainRequest)[]): Map<string, FlatMetric> {
  const latest = new Map<string, FlatMetric>();
  for (const m of flattenMetrics(requests)) latest.set(m.name, m);
  return latest;
}
