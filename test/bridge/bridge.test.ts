// The Proton bridge end to end in one process: the official OTLP exporters (gRPC and HTTP/protobuf) send
// known metrics, a local server implementing Proton's documented ingest and query contract records rows.
import { Client, credentials, Metadata, status as grpcStatus } from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Bridge, type BridgeOptions, createBridge } from '../../src/bridge/bridge.js';
import { type BridgeSpool, SqliteBridgeSpool } from '../../src/bridge/spool.js';
import { openStore, storePath } from '../../src/store/store.js';
import { STREAMS } from '../../src/bridge/streams.js';
import { createLogger } from '../../src/log.js';
import { toProtonRows } from '../../src/bridge/rows.js';
import { decodeMetricsRequest, decodeRpcStatus, encodeMetricsRequest, METRICS_EXPORT_PATH } from '../../src/otlp/proto.js';
import { FakeProton, startFakeProton } from '../helpers/fake-proton.js';
import { deepRequest } from '../helpers/nested-otlp.js';
import { collectOnce, exportOnce } from '../helpers/sdk-metrics.js';
import { waitFor } from '../helpers/wait.js';

const PASSWORD = 'pr0ton-s3cret-pw';
const RESOURCE = { 'service.name': 'otel-sysmon', 'host.name': 'vm1', 'host.id': 'machine-1', 'service.instance.id': 'inst-1' };

let dir: string;
let proton: FakeProton;
let logs: string[];
const bridges: Bridge[] = [];
const exporters: PushMetricExporter[] = [];
let known: ResourceMetrics;

beforeAll(async () => {
  known = await collectOnce((meter) => {
    meter.createCounter('system.cpu.time', { unit: 's' }).add(12.5, { 'cpu.mode': 'idle', 'cpu.logical_number': 0 });
    const util = meter.createGauge('system.cpu.utilization', { unit: '1' });
    util.record(0.2, { 'cpu.mode': 'user', 'cpu.logical_number': 0 });
    util.record(0.7, { 'cpu.mode': 'idle', 'cpu.logical_number': 0 });
    util.record(0.1, { 'cpu.mode': 'iowait', 'cpu.logical_number': 0 });
    util.record(0.6, { 'cpu.mode': 'user', 'cpu.logical_number': 1 });
    util.record(0.4, { 'cpu.mode': 'idle', 'cpu.logical_number': 1 });
    meter.createGauge('system.cpu.frequency', { unit: 'Hz' }).record(2.4e9, { 'cpu.logical_number': 0 });
    const d = meter.createHistogram('cicd.pipeline.run.duration', { unit: 's', advice: { explicitBucketBoundaries: [10, 60] } });
    for (const v of [5, 30, 30, 90]) d.record(v, { 'cicd.pipeline.result': 'success' });
  }, RESOURCE);
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sysmon-bridge-'));
  proton = await startFakeProton({ user: 'writer', password: PASSWORD });
  logs = [];
});

afterEach(async () => {
  await Promise.all(exporters.splice(0).map((e) => e.shutdown()));
  await Promise.all(bridges.splice(0).map((b) => b.stop()));
  await proton.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startBridge(overrides: Partial<BridgeOptions> = {}): Promise<Bridge> {
  const log = createLogger({ level: 'debug', write: (line) => logs.push(line) });
  const bridge = createBridge({
    grpc: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    proton: { url: new URL(proton.url), database: 'default', user: 'writer', password: PASSWORD, timeoutMs: 2000 },
    createStreams: true,
    dataDir: dir,
    spoolMaxBytes: 10_000_000,
    spoolMaxAgeMs: 3_600_000,
    batchRows: 1000,
    batchDelayMs: 20,
    backoffInitialMs: 20,
    backoffMaxMs: 200,
    log,
    ...overrides,
  });
  bridges.push(bridge);
  await bridge.start();
  return bridge;
}

const grpcExporter = (b: Bridge, extra: { metadata?: Metadata; timeoutMillis?: number } = {}) => {
  const e = new GrpcExporter({ url: `http://127.0.0.1:${b.grpcPort}`, timeoutMillis: 3000, ...extra });
  exporters.push(e);
  return e;
};

const httpExporter = (b: Bridge, headers?: Record<string, string>) => {
  const e = new ProtoExporter({ url: `http://127.0.0.1:${b.httpPort}/v1/metrics`, timeoutMillis: 3000, headers });
  exporters.push(e);
  return e;
};

const postOtlp = (b: Bridge, body: Uint8Array, headers: Record<string, string> = {}) =>
  fetch(`http://127.0.0.1:${b.httpPort}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', ...headers },
    body,
  });

function rawGrpcExport(b: Bridge, body: Buffer): Promise<{ code: number; details: string }> {
  const client = new Client(`127.0.0.1:${b.grpcPort}`, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      METRICS_EXPORT_PATH,
      (x: Buffer) => x,
      (x: Buffer) => x,
      body,
      (err) => {
        client.close();
        resolve(err ? { code: err.code, details: err.details } : { code: grpcStatus.OK, details: '' });
      },
    );
  });
}

const allRows = () => proton.rows('otel_metrics').length + proton.rows('cpu_metrics').length + proton.rows('otel_metrics_histogram').length;

describe('otel-sysmon bridge', () => {
  it('creates the streams and lands the exact rows of an OTLP/gRPC export', async () => {
    const bridge = await startBridge();
    expect((await exportOnce(grpcExporter(bridge), known)).code).toBe(ExportResultCode.SUCCESS);
    await waitFor(() => proton.rows('cpu_metrics').length === 2 && proton.rows('otel_metrics_histogram').length === 1, {
      what: 'rows in Proton',
    });

    expect(proton.queries.map((q) => [q.sql.split('(')[0].trim(), q.status])).toEqual([
      ['CREATE STREAM IF NOT EXISTS otel_metrics', 200],
      ['CREATE STREAM IF NOT EXISTS otel_metrics_histogram', 200],
      ['CREATE STREAM IF NOT EXISTS cpu_metrics', 200],
    ]);
    for (const name of Object.keys(STREAMS)) expect(proton.stream(name)!.columns.map((c) => c.name)).toEqual([...STREAMS[name as keyof typeof STREAMS]]);

    const metrics = proton.rows('otel_metrics');
    const ts = metrics[0].timestamp as string;
    expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const common = { resource_attributes: expect.objectContaining(RESOURCE), host_name: 'vm1', service_name: 'otel-sysmon', scope_name: 'test-scope' };
    expect(metrics).toEqual(
      expect.arrayContaining([
        {
          timestamp: ts,
          start_timestamp: expect.any(String),
          metric_name: 'system.cpu.time',
          metric_unit: 's',
          metric_type: 'sum',
          is_monotonic: true,
          temporality: 'cumulative',
          value: 12.5,
          attributes: { 'cpu.mode': 'idle', 'cpu.logical_number': '0' },
          ...common,
        },
        expect.objectContaining({ metric_name: 'system.cpu.frequency', metric_type: 'gauge', value: 2.4e9, attributes: { 'cpu.logical_number': '0' } }),
      ]),
    );
    expect(metrics).toHaveLength(1 + 5 + 1);

    expect(proton.rows('cpu_metrics')).toEqual([
      { timestamp: ts, host_id: 'machine-1', agent_id: 'inst-1', core_id: 0, usage_percent: expect.closeTo(20, 9), frequency_hz: 2.4e9, label: 'cpu0', cluster: '' },
      { timestamp: ts, host_id: 'machine-1', agent_id: 'inst-1', core_id: 1, usage_percent: expect.closeTo(60, 9), frequency_hz: null, label: 'cpu1', cluster: '' },
    ]);
    expect(proton.rows('otel_metrics_histogram')).toEqual([
      {
        timestamp: ts,
        start_timestamp: expect.any(String),
        metric_name: 'cicd.pipeline.run.duration',
        metric_unit: 's',
        temporality: 'cumulative',
        count: 4,
        sum: 155,
        min: 5,
        max: 90,
        explicit_bounds: [10, 60],
        bucket_counts: [1, 2, 1],
        attributes: { 'cicd.pipeline.result': 'success' },
        ...common,
      },
    ]);
    // Credentials went in Proton's headers and nowhere into the logs.
    expect(proton.ingests[0].headers).toMatchObject({ 'x-proton-user': 'writer', 'x-proton-key': PASSWORD, 'x-proton-database': 'default' });
    expect(logs.join('\n')).not.toContain(PASSWORD);
    expect(bridge.spool.stats()).toMatchObject({ records: 0, rows: 0, deadRecords: 0 });
  });

  it('writes straight to a healthy Proton without touching the spool, grouping concurrent exports', async () => {
    const inner = SqliteBridgeSpool.open(dir, 10_000_000);
    let appends = 0;
    const spool: BridgeSpool = {
      append: (batches, now) => {
        appends++;
        inner.append(batches, now);
      },
      oldest: (stream, maxRows) => inner.oldest(stream, maxRows),
      remove: (ids) => inner.remove(ids),
      deadLetter: (rec, reason, now) => inner.deadLetter(rec, reason, now),
      expire: (before) => inner.expire(before),
      pendingStreams: () => inner.pendingStreams(),
      get pendingBytes() {
        return inner.pendingBytes;
      },
      stats: () => inner.stats(),
      close: () => inner.close(),
    };
    const bridge = await startBridge({ spool });
    await waitFor(() => proton.queries.length === 3, { what: 'DDL' });
    const exporter = grpcExporter(bridge);
    const results = await Promise.all(Array.from({ length: 8 }, () => exportOnce(exporter, known)));
    expect(results.every((r) => r.code === ExportResultCode.SUCCESS)).toBe(true);
    // Acknowledged means inserted: the rows are there without waiting.
    expect(allRows()).toBe(80);
    expect(appends).toBe(0);
    expect(proton.ingests.length).toBeLessThanOrEqual(8 * 3);
    expect(bridge.counters()).toMatchObject({ sentRows: 80, receivedRequests: 8 });
  });

  it('lands OTLP/HTTP exports the same way, and re-running the DDL is harmless', async () => {
    await startBridge();
    const second = await startBridge({ dataDir: mkdtempSync(join(dir, 'second-')) });
    expect((await exportOnce(httpExporter(second), known)).code).toBe(ExportResultCode.SUCCESS);
    await waitFor(() => proton.rows('cpu_metrics').length === 2, { what: 'cpu rows' });
    expect(proton.rows('otel_metrics')).toHaveLength(7);
    expect(proton.queries).toHaveLength(6);
    expect(proton.queries.every((q) => q.status === 200)).toBe(true);
  });

  it('creates the database and writes into it with --database', async () => {
    const bridge = await startBridge({
      proton: { url: new URL(proton.url), database: 'metrics', user: 'writer', password: PASSWORD },
    });
    await exportOnce(grpcExporter(bridge), known);
    await waitFor(() => proton.rows('cpu_metrics', 'metrics').length === 2, { what: 'rows in database metrics' });
    expect(proton.queries[0]).toMatchObject({ sql: 'CREATE DATABASE IF NOT EXISTS metrics', database: 'default', status: 200 });
    expect(proton.rows('otel_metrics')).toHaveLength(0);
  });

  it('retries with backoff while Proton answers 5xx, acknowledging the export at once', async () => {
    const bridge = await startBridge();
    await waitFor(() => proton.queries.length === 3, { what: 'DDL' });
    proton.setMode({ kind: 'status', status: 503, times: 3 });
    expect((await exportOnce(grpcExporter(bridge), known)).code).toBe(ExportResultCode.SUCCESS);
    await waitFor(() => allRows() === 10, { what: 'rows after Proton recovered' });
    expect(proton.ingests.filter((i) => i.status === 503)).toHaveLength(3);
    expect(bridge.counters()).toMatchObject({ sentRows: 10, deadRecords: 0 });
    expect(logs.filter((l) => l.includes('cannot deliver rows to Proton'))).toHaveLength(1);
    expect(logs.some((l) => l.includes('Proton accepts rows again'))).toBe(true);
  });

  it('spools while Proton is down and delivers everything, once, when it is back', async () => {
    const bridge = await startBridge();
    await waitFor(() => proton.queries.length === 3, { what: 'DDL' });
    await proton.stop();
    const exporter = grpcExporter(bridge);
    expect((await exportOnce(exporter, known)).code).toBe(ExportResultCode.SUCCESS);
    expect((await exportOnce(exporter, known)).code).toBe(ExportResultCode.SUCCESS);
    expect(bridge.spool.stats().rows).toBe(20);
    await proton.start();
    await waitFor(() => allRows() === 20, { what: 'spooled rows delivered' });
    // Proton holds the rows before its answer reaches the sender, which then removes them from the spool.
    await waitFor(() => bridge.spool.stats().rows === 0, { what: 'the spool emptied once Proton acknowledged' });
    expect(allRows()).toBe(20);
  });

  it('keeps acknowledged rows across a bridge restart', async () => {
    const first = await startBridge();
    await waitFor(() => proton.queries.length === 3, { what: 'DDL' });
    await proton.stop();
    expect((await exportOnce(grpcExporter(first), known)).code).toBe(ExportResultCode.SUCCESS);
    await first.stop();
    bridges.splice(bridges.indexOf(first), 1);
    await proton.start();
    await startBridge();
    await waitFor(() => allRows() === 10, { what: 'rows spooled before the restart' });
  });

  it('tells the sender to retry (UNAVAILABLE) only when the spool is full', async () => {
    const body = ProtobufMetricsSerializer.serializeRequest(known)!;
    const size = toProtonRows(decodeMetricsRequest(body)).batches.reduce((n, b) => n + Buffer.byteLength(b.text), 0);
    // Room for one export, not two.
    const bridge = await startBridge({ spoolMaxBytes: Math.floor(size * 1.5) });
    await waitFor(() => proton.queries.length === 3, { what: 'DDL' });
    await proton.stop();
    expect((await postOtlp(bridge, body)).status).toBe(200);
    const full = await postOtlp(bridge, body);
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('5');
    expect(decodeRpcStatus(new Uint8Array(await full.arrayBuffer()))).toMatchObject({ code: grpcStatus.UNAVAILABLE, message: expect.stringContaining('spool full') });
    const viaGrpc = await rawGrpcExport(bridge, Buffer.from(body));
    expect(viaGrpc.code).toBe(grpcStatus.UNAVAILABLE);
    expect(bridge.counters()).toMatchObject({ receivedRequests: 3, refusedRequests: 2 });
  });

  it('says once that the spool cannot write (a full disk), answers UNAVAILABLE, and takes exports again once there is room', async () => {
    const db = openStore(storePath(dir));
    const bridge = await startBridge({ spool: new SqliteBridgeSpool(db, 10_000_000) });
    await waitFor(() => proton.queries.length === 3, { what: 'DDL' });
    await proton.stop();
    // SQLite's page cap makes the store full for real (SQLITE_FULL), as a full disk would.
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const body = ProtobufMetricsSerializer.serializeRequest(known)!;
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await postOtlp(bridge, body)).status);
    expect(statuses.slice(-10)).toEqual(Array(10).fill(503));
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(logs.filter((l) => l.includes('bridge spool cannot write (no space left)'))).toHaveLength(1);
    expect(logs.filter((l) => l.includes('cannot spool rows'))).toEqual([]);
    db.pragma('max_page_count = 1073741823');
    expect((await postOtlp(bridge, body)).status).toBe(200);
    expect(logs.filter((l) => l.includes('bridge spool writes again'))).toHaveLength(1);
  });

  it('answers INVALID_ARGUMENT for a payload that is not OTLP and writes nothing', async () => {
    const bridge = await startBridge();
    const garbage = Buffer.from([0x0a, 0x50, 0x01, 0x02]);
    const viaGrpc = await rawGrpcExport(bridge, garbage);
    expect(viaGrpc.code).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(viaGrpc.details).toMatch(/not an OTLP ExportMetricsServiceRequest/);
    const viaHttp = await postOtlp(bridge, garbage);
    expect(viaHttp.status).toBe(400);
    expect(bridge.spool.stats().records).toBe(0);
    expect(bridge.counters().receivedRequests).toBe(0);
    expect(proton.ingests).toHaveLength(0);
  });

  it('answers INVALID_ARGUMENT / 400 to attribute values nested 10,000 and 100,000 levels deep, writing nothing', async () => {
    const bridge = await startBridge();
    for (const levels of [10_000, 100_000]) {
      const deep = deepRequest(levels);
      const viaGrpc = await rawGrpcExport(bridge, deep);
      expect(viaGrpc).toMatchObject({ code: grpcStatus.INVALID_ARGUMENT, details: expect.stringMatching(/attribute value nested deeper than \d+ levels/) });
      const viaHttp = await postOtlp(bridge, deep);
      expect(viaHttp.status).toBe(400);
      expect(decodeRpcStatus(new Uint8Array(await viaHttp.arrayBuffer())).code).toBe(grpcStatus.INVALID_ARGUMENT);
    }
    expect(bridge.counters().receivedRequests).toBe(0);
    expect(bridge.spool.stats().records).toBe(0);
    expect(proton.ingests).toHaveLength(0);
  });

  it('answers partial success for points it cannot store, storing the rest', async () => {
    const bridge = await startBridge();
    const t = BigInt(Date.now()) * 1_000_000n;
    const body = encodeMetricsRequest({
      resourceMetrics: [
        {
          resource: RESOURCE,
          schemaUrl: '',
          scopeMetrics: [
            {
              scope: { name: 's', version: '', attributes: {} },
              schemaUrl: '',
              metrics: [
                { name: 'ok', description: '', unit: '1', type: 'gauge', points: [{ attributes: {}, startTimeUnixNano: 0n, timeUnixNano: t, value: 1, valueType: 'double', flags: 0 }] },
                {
                  name: 'latency',
                  description: '',
                  unit: 's',
                  type: 'summary',
                  points: [{ attributes: {}, startTimeUnixNano: 0n, timeUnixNano: t, count: 2, sum: 3, quantileValues: [], flags: 0 }],
                },
              ],
            },
          ],
        },
      ],
    });
    const res = await postOtlp(bridge, body);
    expect(res.status).toBe(200);
    expect(ProtobufMetricsSerializer.deserializeResponse(new Uint8Array(await res.arrayBuffer()))).toEqual({
      partialSuccess: { rejectedDataPoints: 1, errorMessage: '1 point not stored: 1 summaries are not stored' },
    });
    await waitFor(() => proton.rows('otel_metrics').length === 1, { what: 'the storable point' });
  });

  it('sets aside records Proton refuses as bad data and keeps delivering the rest', async () => {
    const bridge = await startBridge();
    await waitFor(() => proton.queries.length === 3, { what: 'DDL' });
    proton.setMode({ kind: 'status', status: 400 });
    await exportOnce(grpcExporter(bridge), known);
    await waitFor(() => bridge.spool.stats().deadRecords === 3, { what: 'refused records in dead_letter' });
    expect(logs.filter((l) => l.includes('Proton refused rows as invalid'))).toHaveLength(3);
    proton.setMode({ kind: 'ok' });
    await exportOnce(grpcExporter(bridge), known);
    await waitFor(() => allRows() === 10, { what: 'later rows delivered' });
  });

  it('requires the bearer token when one is configured', async () => {
    const bridge = await startBridge({ token: 'tok-123456' });
    const anonymous = await rawGrpcExport(bridge, Buffer.from(ProtobufMetricsSerializer.serializeRequest(known)!));
    expect(anonymous.code).toBe(grpcStatus.UNAUTHENTICATED);
    expect((await postOtlp(bridge, ProtobufMetricsSerializer.serializeRequest(known)!, { authorization: 'Bearer wrong-token' })).status).toBe(401);

    const md = new Metadata();
    md.set('authorization', 'Bearer tok-123456');
    expect((await exportOnce(grpcExporter(bridge, { metadata: md }), known)).code).toBe(ExportResultCode.SUCCESS);
    expect((await exportOnce(httpExporter(bridge, { authorization: 'Bearer tok-123456' }), known)).code).toBe(ExportResultCode.SUCCESS);
    await waitFor(() => allRows() === 20, { what: 'rows from authorized exports' });
    expect(bridge.counters().receivedRequests).toBe(2);
  });

  it('fails for good when Proton refuses the DDL', async () => {
    const bridge = await startBridge({ proton: { url: new URL(proton.url), database: 'default', user: 'writer', password: 'wrong' } });
    await expect(bridge.fatal).rejects.toThrow(/cannot create Proton streams: Proton answered 401/);
  });
});
