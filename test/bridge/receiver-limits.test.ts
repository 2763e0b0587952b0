// The bridge's OTLP receiver under hostile bodies: senders are authorized before their body is read,
// request bytes in memory across all requests stay within one bound (RESOURCE_EXHAUSTED / 429 with
// Retry-After beyond it), a body over 32 MiB gets its 413 instead of a reset, and compressed bodies are
// inflated within the same limits. Every request gets an answer.
import { Client, credentials, Metadata, status as grpcStatus } from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Bridge, type BridgeOptions, createBridge } from '../../src/bridge/bridge.js';
import { silentLogger } from '../../src/log.js';
import { decodeRpcStatus, METRICS_EXPORT_PATH } from '../../src/otlp/proto.js';
import { FakeProton, startFakeProton } from '../helpers/fake-proton.js';

const MiB = 1024 * 1024;
let dir: string;
let proton: FakeProton;
const bridges: Bridge[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sysmon-limits-'));
  proton = await startFakeProton({ user: 'writer', password: 'pw' });
});

afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.stop()));
  await proton.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startBridge(overrides: Partial<BridgeOptions> = {}): Promise<Bridge> {
  const bridge = createBridge({
    grpc: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    proton: { url: new URL(proton.url), database: 'default', user: 'writer', password: 'pw', timeoutMs: 2000 },
    createStreams: false,
    dataDir: dir,
    spoolMaxBytes: 10_000_000,
    spoolMaxAgeMs: 3_600_000,
    batchRows: 1000,
    batchDelayMs: 20,
    log: silentLogger,
    ...overrides,
  });
  bridges.push(bridge);
  await bridge.start();
  return bridge;
}

/**
 * A valid ExportMetricsServiceRequest of `size` bytes: an unknown field (number 99) the decoder skips,
 * so a large body costs the receiver its bytes but no rows.
 */
function paddedExport(size: number): Buffer {
  const header = [0x9a, 0x06]; // field 99, wire type 2
  let len = size - header.length - 4;
  const varint: number[] = [];
  for (let i = 0; i < 4; i++, len = Math.floor(len / 128)) varint.push((len & 0x7f) | (i < 3 ? 0x80 : 0));
  const body = Buffer.alloc(size);
  Buffer.from([...header, ...varint]).copy(body);
  return body;
}

interface Answer {
  status: number;
  retryAfter?: string;
  grpcCode?: number;
  error?: string;
}

/** POSTs with node:http (Content-Length, or chunked when `chunked`); resolves with the answer or the socket error. */
function post(b: Bridge, body: Buffer, headers: Record<string, string> = {}, chunked = false): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: b.httpPort,
        method: 'POST',
        path: '/v1/metrics',
        headers: { 'content-type': 'application/x-protobuf', ...(chunked ? {} : { 'content-length': body.length }), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks);
          const isProto = res.headers['content-type'] === 'application/x-protobuf' && res.statusCode !== 200;
          resolve({
            status: res.statusCode!,
            retryAfter: res.headers['retry-after'],
            grpcCode: isProto ? decodeRpcStatus(new Uint8Array(text)).code : undefined,
          });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: 0, error: err.code ?? err.message }));
    if (chunked) {
      // Write in pieces so no Content-Length can be derived.
      for (let i = 0; i < body.length; i += MiB) req.write(body.subarray(i, Math.min(body.length, i + MiB)));
      req.end();
    } else req.end(body);
  });
}

function grpcExport(b: Bridge, body: Buffer, metadata = new Metadata()): Promise<{ code: number; details: string }> {
  const client = new Client(`127.0.0.1:${b.grpcPort}`, credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * MiB });
  return new Promise((resolve) => {
    client.makeUnaryRequest(METRICS_EXPORT_PATH, (x: Buffer) => x, (x: Buffer) => x, body, metadata, (err) => {
      client.close();
      resolve(err ? { code: err.code, details: err.details } : { code: grpcStatus.OK, details: '' });
    });
  });
}

describe('bridge receiver limits', () => {
  it('answers 16 parallel 31 MB bodies, each with 200 or 429 + Retry-After, holding at most the in-flight bound', async () => {
    const bridge = await startBridge();
    const body = paddedExport(31 * 1_000_000);
    const answers = await Promise.all(Array.from({ length: 16 }, () => post(bridge, body)));
    expect(answers.every((a) => a.status === 200 || (a.status === 429 && a.retryAfter === '1' && a.grpcCode === grpcStatus.RESOURCE_EXHAUSTED))).toBe(true);
    const ok = answers.filter((a) => a.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(1);
    const c = bridge.counters();
    expect(c.inFlightLimitBytes).toBe(64 * MiB);
    expect(c.inFlightPeakBytes).toBeGreaterThanOrEqual(body.length);
    expect(c.inFlightPeakBytes).toBeLessThanOrEqual(c.inFlightLimitBytes);
    expect(c.inFlightBytes).toBe(0);
    expect(c.throttledRequests).toBe(16 - ok);
    expect(c.receivedRequests).toBe(ok);
    // Refused senders come back: the same body is taken once the others are done.
    expect((await post(bridge, body)).status).toBe(200);
  });

  it('answers a body over 32 MiB with 413, with or without Content-Length, and stays usable', async () => {
    const bridge = await startBridge();
    const big = paddedExport(32 * MiB + 1);
    expect(await post(bridge, big)).toMatchObject({ status: 413 });
    expect(await post(bridge, big, {}, true)).toMatchObject({ status: 413 });
    expect(await post(bridge, paddedExport(32 * MiB))).toMatchObject({ status: 200 });
    expect(bridge.counters().inFlightBytes).toBe(0);
  });

  it('inflates gzip within the same limits: a bomb over 32 MiB gets 413, corrupt gzip 400', async () => {
    const bridge = await startBridge();
    const bomb = gzipSync(paddedExport(40 * MiB));
    expect(bomb.length).toBeLessThan(MiB);
    expect(await post(bridge, bomb, { 'content-encoding': 'gzip' })).toMatchObject({ status: 413 });
    expect(await post(bridge, gzipSync(paddedExport(MiB)), { 'content-encoding': 'gzip' })).toMatchObject({ status: 200 });
    expect(await post(bridge, Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' })).toMatchObject({
      status: 400,
      grpcCode: grpcStatus.INVALID_ARGUMENT,
    });
    expect(await post(bridge, Buffer.from('x'), { 'content-encoding': 'br' })).toMatchObject({ status: 400 });
    expect(bridge.counters().inFlightBytes).toBe(0);
  });

  it('refuses an unauthenticated sender before reading or inflating its body', async () => {
    const bridge = await startBridge({ token: 'tok-123456' });
    expect(await post(bridge, paddedExport(31 * 1_000_000))).toMatchObject({ status: 401, grpcCode: grpcStatus.UNAUTHENTICATED });
    expect(await post(bridge, gzipSync(paddedExport(20 * MiB)), { 'content-encoding': 'gzip' })).toMatchObject({ status: 401 });
    expect(bridge.counters().inFlightPeakBytes).toBe(0);
    expect(await post(bridge, paddedExport(1000), { authorization: 'Bearer tok-123456' })).toMatchObject({ status: 200 });
    expect(bridge.counters().inFlightPeakBytes).toBe(1000);
  });

  it('bounds gRPC too: over the in-flight bound RESOURCE_EXHAUSTED, over 32 MiB refused by size', async () => {
    const bridge = await startBridge({ maxInFlightBytes: 100_000 });
    expect(await grpcExport(bridge, paddedExport(50_000))).toMatchObject({ code: grpcStatus.OK });
    expect(await grpcExport(bridge, paddedExport(150_000))).toMatchObject({
      code: grpcStatus.RESOURCE_EXHAUSTED,
      details: expect.stringContaining('too many request bytes in flight'),
    });
    expect(await post(bridge, paddedExport(150_000))).toMatchObject({ status: 429, retryAfter: '1' });
    expect(await grpcExport(bridge, paddedExport(33 * MiB))).toMatchObject({ code: grpcStatus.RESOURCE_EXHAUSTED });
    const c = bridge.counters();
    expect(c).toMatchObject({ throttledRequests: 2, inFlightBytes: 0, receivedRequests: 1 });
    expect(c.inFlightPeakBytes).toBeLessThanOrEqual(100_000);
  });
});
