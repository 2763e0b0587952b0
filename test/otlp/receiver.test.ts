// The test receiver, proven against the official OpenTelemetry JS OTLP exporters (gRPC and HTTP/protobuf).
import { credentials } from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeRpcStatus } from '../../src/otlp/proto.js';
import { flattenMetrics, latestMetrics, OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { collectOnce, exportOnce } from '../helpers/sdk-metrics.js';
import { makeTestPki, type TestPki } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';

function sample(): Promise<ResourceMetrics> {
  return collectOnce(
    (meter) => {
      meter.createCounter('system.cpu.time', { unit: 's' }).add(12.5, { 'cpu.mode': 'idle', 'cpu.logical_number': 1 });
      meter.createGauge('system.cpu.frequency', { unit: 'Hz' }).record(1.8e9, { 'cpu.logical_number': 1 });
      meter.createUpDownCounter('system.memory.usage', { unit: 'By' }).add(4096, { 'system.memory.state': 'used' });
    },
    { 'service.name': 'receiver-test' },
  );
}

let metrics: ResourceMetrics;
let receiver: OtlpReceiver;
const exporters: PushMetricExporter[] = [];

function track<T extends PushMetricExporter>(e: T): T {
  exporters.push(e);
  return e;
}

beforeAll(async () => {
  metrics = await sample();
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  receiver.setMode({ kind: 'ok' });
  receiver.requests.length = 0;
  await Promise.all(exporters.splice(0).map((e) => e.shutdown()));
});

afterAll(async () => {
  await receiver.stop();
});

function assertSample(r: OtlpReceiver, transport: 'grpc' | 'http'): void {
  expect(r.requests).toHaveLength(1);
  expect(r.requests[0]).toMatchObject({ transport, points: 3, reply: 'ok' });
  const m = latestMetrics(r.requests);
  expect(m.get('system.cpu.time')).toMatchObject({ type: 'sum', monotonic: true, temporality: 'cumulative', unit: 's' });
  expect(m.get('system.cpu.time')!.points).toEqual([
    expect.objectContaining({ value: 12.5, attributes: { 'cpu.mode': 'idle', 'cpu.logical_number': 1 } }),
  ]);
  expect(m.get('system.cpu.frequency')).toMatchObject({ type: 'gauge', monotonic: false, temporality: undefined, unit: 'Hz' });
  expect(m.get('system.cpu.frequency')!.points[0].value).toBe(1.8e9);
  expect(m.get('system.memory.usage')).toMatchObject({ type: 'sum', monotonic: false, unit: 'By' });
  expect(m.get('system.memory.usage')!.resource['service.name']).toBe('receiver-test');
}

describe('OTLP test receiver with the official exporters', () => {
  it('receives gRPC exports', async () => {
    const exporter = track(new GrpcExporter({ url: receiver.grpcEndpoint, timeoutMillis: 5000 }));
    expect((await exportOnce(exporter, metrics)).code).toBe(ExportResultCode.SUCCESS);
    assertSample(receiver, 'grpc');
  });

  it('receives HTTP/protobuf exports', async () => {
    const exporter = track(new ProtoExporter({ url: receiver.httpEndpoint, timeoutMillis: 5000 }));
    expect((await exportOnce(exporter, metrics)).code).toBe(ExportResultCode.SUCCESS);
    assertSample(receiver, 'http');
    expect(receiver.requests[0].headers['content-type']).toBe('application/x-protobuf');
  });

  it('accepts gzip-compressed exports on both transports (a Collector compresses by default)', async () => {
    const g = track(new GrpcExporter({ url: receiver.grpcEndpoint, compression: CompressionAlgorithm.GZIP, timeoutMillis: 5000 }));
    expect((await exportOnce(g, metrics)).code).toBe(ExportResultCode.SUCCESS);
    const h = track(new ProtoExporter({ url: receiver.httpEndpoint, compression: CompressionAlgorithm.GZIP, timeoutMillis: 5000 }));
    expect((await exportOnce(h, metrics)).code).toBe(ExportResultCode.SUCCESS);
    expect(receiver.requests.map((r) => [r.transport, r.points])).toEqual([
      ['grpc', 3],
      ['http', 3],
    ]);
    expect(receiver.requests[1].headers['content-encoding']).toBe('gzip');
  });

  it('records the arrival time and the gRPC metadata', async () => {
    const t0 = Date.now();
    const exporter = track(new GrpcExporter({ url: receiver.grpcEndpoint, timeoutMillis: 5000 }));
    await exportOnce(exporter, metrics);
    expect(receiver.requests[0].arrivedAt).toBeGreaterThanOrEqual(t0);
    expect(receiver.requests[0].arrivedAt).toBeLessThanOrEqual(Date.now());
    expect(receiver.requests[0].headers['user-agent']).toMatch(/OTel-OTLP-Exporter-JavaScript|grpc-node/);
  });

  it('answers a given gRPC status: the exporter fails', async () => {
    receiver.setMode({ kind: 'grpc-status', code: 3, message: 'rejected by test' });
    const exporter = track(new GrpcExporter({ url: receiver.grpcEndpoint, timeoutMillis: 5000 }));
    const result = await exportOnce(exporter, metrics);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(String(result.error?.message)).toContain('rejected by test');
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0].reply).toBe('error');
  });

  it('answers a given HTTP status with a google.rpc.Status body', async () => {
    receiver.setMode({ kind: 'http-status', status: 400, message: 'bad points' });
    const exporter = track(new ProtoExporter({ url: receiver.httpEndpoint, timeoutMillis: 5000 }));
    expect((await exportOnce(exporter, metrics)).code).toBe(ExportResultCode.FAILED);

    const body = ProtobufMetricsSerializer.serializeRequest(metrics)!;
    const res = await fetch(receiver.httpEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    expect(res.status).toBe(400);
    expect(decodeRpcStatus(new Uint8Array(await res.arrayBuffer()))).toEqual({ code: 3, message: 'bad points' });
  });

  it('sends Retry-After with a 503', async () => {
    receiver.setMode({ kind: 'http-status', status: 503, retryAfterSeconds: 7 });
    const body = ProtobufMetricsSerializer.serializeRequest(metrics)!;
    const res = await fetch(receiver.httpEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('answers partial success over both transports', async () => {
    receiver.setMode({ kind: 'partial', rejected: 2, message: 'two points too old' });
    const grpcExporter = track(new GrpcExporter({ url: receiver.grpcEndpoint, timeoutMillis: 5000 }));
    // OTLP: partial success is a success for the sender (nothing to retry).
    expect((await exportOnce(grpcExporter, metrics)).code).toBe(ExportResultCode.SUCCESS);

    const body = ProtobufMetricsSerializer.serializeRequest(metrics)!;
    const res = await fetch(receiver.httpEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    expect(res.status).toBe(200);
    expect(ProtobufMetricsSerializer.deserializeResponse(new Uint8Array(await res.arrayBuffer()))).toEqual({
      partialSuccess: { rejectedDataPoints: 2, errorMessage: 'two points too old' },
    });
    expect(receiver.requests.map((r) => r.transport)).toEqual(['grpc', 'http']);
  });

  it('hangs: accepts the request and never answers, so the exporter times out', async () => {
    receiver.setMode({ kind: 'hang' });
    const exporter = track(new GrpcExporter({ url: receiver.grpcEndpoint, timeoutMillis: 400 }));
    const result = await exportOnce(exporter, metrics);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(receiver.requests.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses what is not OTLP protobuf on HTTP', async () => {
    const post = (headers: Record<string, string>, body: string | Uint8Array, path = '/v1/metrics') =>
      fetch(`http://127.0.0.1:${receiver.httpPort}${path}`, { method: 'POST', headers, body });
    expect((await post({ 'content-type': 'application/json' }, '{}')).status).toBe(415);
    expect((await post({ 'content-type': 'application/x-protobuf' }, 'x', '/v1/traces')).status).toBe(404);
    const bad = await post({ 'content-type': 'application/x-protobuf' }, new Uint8Array([0x0a, 0x50, 0x01]));
    expect(bad.status).toBe(400);
    expect(decodeRpcStatus(new Uint8Array(await bad.arrayBuffer())).message).toMatch(/not an OTLP ExportMetricsServiceRequest/);
    expect(receiver.requests).toHaveLength(0);
  });

  it('goes down and comes back up on the same ports', async () => {
    const grpcPort = receiver.grpcPort;
    const httpPort = receiver.httpPort;
    await receiver.stop();
    const down = track(new GrpcExporter({ url: receiver.grpcEndpoint, timeoutMillis: 500 }));
    expect((await exportOnce(down, metrics)).code).toBe(ExportResultCode.FAILED);
    await expect(fetch(receiver.httpEndpoint, { method: 'POST' })).rejects.toThrow();

    await receiver.start();
    expect([receiver.grpcPort, receiver.httpPort]).toEqual([grpcPort, httpPort]);
    const up = track(new GrpcExporter({ url: receiver.grpcEndpoint, timeoutMillis: 5000 }));
    // grpc-js keeps the failed connection in reconnect backoff (about 1 s): the collector is back when
    // an export gets through, as for a real agent.
    await waitFor(async () => (await exportOnce(up, metrics)).code === ExportResultCode.SUCCESS, {
      timeoutMs: 8000,
      intervalMs: 200,
      what: 'an export to the restarted receiver',
    });
    expect(receiver.requests).toHaveLength(1);
    expect(flattenMetrics(receiver.requests).map((m) => m.name).sort()).toEqual([
      'system.cpu.frequency',
      'system.cpu.time',
      'system.memory.usage',
    ]);
  });
});

describe('OTLP test receiver over TLS', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });

  it('serves gRPC and HTTP over TLS', async () => {
    const r = await startOtlpReceiver({ tls: { key: pki.serverKey, cert: pki.serverCert } });
    try {
      const g = track(new GrpcExporter({ url: r.grpcEndpoint, credentials: credentials.createSsl(pki.ca), timeoutMillis: 5000 }));
      expect((await exportOnce(g, metrics)).code).toBe(ExportResultCode.SUCCESS);
      const h = track(new ProtoExporter({ url: r.httpEndpoint, httpAgentOptions: { ca: pki.ca }, timeoutMillis: 5000 }));
      expect((await exportOnce(h, metrics)).code).toBe(ExportResultCode.SUCCESS);
      expect(r.requests.map((q) => q.transport)).toEqual(['grpc', 'http']);
      expect(r.grpcEndpoint.startsWith('https://')).toBe(true);
    } finally {
      await r.stop();
    }
  });

  it('requires a client certificate with mTLS', async () => {
    const r = await startOtlpReceiver({ tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requireClientCert: true } });
    try {
      const anonymous = track(new GrpcExporter({ url: r.grpcEndpoint, credentials: credentials.createSsl(pki.ca), timeoutMillis: 800 }));
      expect((await exportOnce(anonymous, metrics)).code).toBe(ExportResultCode.FAILED);
      const anonymousHttp = track(new ProtoExporter({ url: r.httpEndpoint, httpAgentOptions: { ca: pki.ca }, timeoutMillis: 800 }));
      expect((await exportOnce(anonymousHttp, metrics)).code).toBe(ExportResultCode.FAILED);
      expect(r.requests).toHaveLength(0);

      const withCert = track(
        new GrpcExporter({
          url: r.grpcEndpoint,
          credentials: credentials.createSsl(pki.ca, pki.clientKey, pki.clientCert),
          timeoutMillis: 5000,
        }),
      );
      expect((await exportOnce(withCert, metrics)).code).toBe(ExportResultCode.SUCCESS);
      const withCertHttp = track(
        new ProtoExporter({ url: r.httpEndpoint, httpAgentOptions: { ca: pki.ca, key: pki.clientKey, cert: pki.clientCert }, timeoutMillis: 5000 }),
      );
      expect((await exportOnce(withCertHttp, metrics)).code).toBe(ExportResultCode.SUCCESS);
      expect(r.requests).toHaveLength(2);
    } finally {
      await r.stop();
    }
  });
});
