// The delivery loop against the real OTLP receiver on 127.0.0.1: straight sends while healthy, the
// spool during outages, replay oldest first interleaved with live exports, non-retryable refusals,
// partial success, throttling, the breaker's probes, hangs, bounds, and shutdown.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeMetricsRequest } from '../../src/otlp/proto.js';
import type { Delivery } from '../../src/telemetry/delivery.js';
import { createTransport } from '../../src/telemetry/delivery-exporter.js';
import type { Transport } from '../../src/telemetry/transport.js';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { otlpConfig, seqRequest, seqs, type TempStore, type TestDelivery, testDelivery, tempStore } from './harness.js';

let receiver: OtlpReceiver;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await receiver.start();
  receiver.setMode({ kind: 'ok' });
  receiver.requests.length = 0;
});

afterAll(async () => {
  await receiver.stop();
});

type Protocol = 'grpc' | 'http/protobuf';

function transport(protocol: Protocol): Transport {
  const endpoint = protocol === 'grpc' ? receiver.grpcEndpoint : receiver.httpEndpoint;
  return createTransport(otlpConfig(endpoint, protocol));
}

function setup(protocol: Protocol, options: Parameters<typeof testDelivery>[1] = {}): TestDelivery {
  const t = testDelivery(transport(protocol), options);
  cleanups.push(async () => {
    await t.delivery.stop(100);
    t.store.remove();
  });
  t.delivery.start();
  return t;
}

function accepted(d: Delivery, from: number, to: number, now = Date.now()): void {
  for (let seq = from; seq <= to; seq++) d.accept(seqRequest(seq), now + seq);
}

function okSeqs(): number[] {
  return seqs(receiver.requests.filter((r) => r.reply === 'ok'));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(['grpc', 'http/protobuf'] as const)('delivery over %s', (protocol) => {
  it('sends straight from memory while the collector accepts: byte for byte, no spool', async () => {
    const t = setup(protocol);
    const bodies = [seqRequest(1), seqRequest(2, 5), seqRequest(3)];
    for (const [i, body] of bodies.entries()) {
      t.delivery.accept(body, Date.now());
      expect(t.store.spool.size.requests).toBe(0);
      await waitFor(() => t.stats.sentLive === i + 1, { timeoutMs: 5000, what: `acknowledged send ${i + 1}` });
    }
    expect(seqs(receiver.requests)).toEqual([1, 2, 3]);
    receiver.requests.forEach((r, i) => {
      expect(r.bytes).toBe(bodies[i].byteLength);
      expect(r.request).toEqual(decodeMetricsRequest(bodies[i]));
    });
    expect(receiver.requests[0].headers['user-agent']).toMatch(/^otel-sysmon\/\d/);
    expect(t.stats.sentReplayed).toBe(0);
  });

  it('spools while the collector is down and replays everything in order once it is back', async () => {
    const t = setup(protocol);
    await receiver.stop();
    for (let seq = 1; seq <= 10; seq++) {
      t.delivery.accept(seqRequest(seq), Date.now());
      await sleep(15);
    }
    await waitFor(() => t.store.spool.size.requests === 10, { timeoutMs: 3000, what: 'ten spooled requests' });
    expect(t.stats.failed.get('unavailable')).toBeGreaterThanOrEqual(1);
    await receiver.start();
    await waitFor(() => t.store.spool.empty, { timeoutMs: 5000, what: 'the spool to drain' });
    expect(seqs(receiver.requests)).toEqual(range(1, 10));
    expect(t.stats.sentReplayed).toBe(10);
    const warnings = t.log.lines.filter((l) => l.includes('export failed: kept in the spool for retry'));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(2);
    expect(t.log.lines.some((l) => l.includes('collector accepts exports again'))).toBe(true);
    expect(t.log.lines.some((l) => l.includes('export spool drained'))).toBe(true);
  });

  it('drops a request the collector refuses for good: counted, logged once with its message, never retried', async () => {
    const t = setup(protocol);
    receiver.setMode(
      protocol === 'grpc'
        ? { kind: 'grpc-status', code: 3, message: 'metric name test.seq is not allowed here' }
        : { kind: 'http-status', status: 400, message: 'metric name test.seq is not allowed here' },
    );
    for (let seq = 1; seq <= 3; seq++) {
      t.delivery.accept(seqRequest(seq), Date.now());
      await receiver.waitForRequests(seq, 5000);
    }
    await waitFor(() => t.stats.dropped.get('non_retryable') === 3, { timeoutMs: 3000, what: 'three drops' });
    await sleep(300);
    expect(receiver.requests).toHaveLength(3);
    expect(t.stats.failed.get('rejected')).toBe(3);
    expect(t.store.spool.empty).toBe(true);
    const lines = t.log.lines.filter((l) => l.includes('collector refused an export for good'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('metric name test.seq is not allowed here');
    expect(lines[0]).toContain(protocol === 'grpc' ? 'INVALID_ARGUMENT' : 'HTTP 400');
  });

  it('honours partial success: rejected points counted and logged', async () => {
    const t = setup(protocol);
    receiver.setMode({ kind: 'partial', rejected: 2, message: '2 points had NaN values' });
    for (let seq = 1; seq <= 2; seq++) {
      t.delivery.accept(seqRequest(seq), Date.now());
      await receiver.waitForRequests(seq, 5000);
    }
    await waitFor(() => t.stats.sentLive + t.stats.sentReplayed === 2, { timeoutMs: 3000, what: 'two sends' });
    expect(t.stats.rejectedPoints).toBe(4);
    const lines = t.log.lines.filter((l) => l.includes('partial success'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('2 points had NaN values');
  });

  it('probes a failing collector with backed-off single requests (the oldest) instead of hammering it', async () => {
    const t = setup(protocol);
    receiver.setMode(protocol === 'grpc' ? { kind: 'grpc-status', code: 14, message: 'overloaded' } : { kind: 'http-status', status: 503 });
    const start = Date.now();
    t.delivery.accept(seqRequest(1), Date.now());
    for (let seq = 2; seq <= 5; seq++) {
      await sleep(200);
      t.delivery.accept(seqRequest(seq), Date.now());
    }
    await sleep(1500 - (Date.now() - start));
    const attempts = receiver.requests.length;
    // Backoff 40 ms doubling to 200 ms with equal jitter: ~12 attempts in 1.5 s; a retry loop would make hundreds.
    expect(attempts).toBeGreaterThanOrEqual(5);
    expect(attempts).toBeLessThanOrEqual(20);
    // Every probe carries the oldest request: the rest wait in the spool, one request in flight.
    expect(new Set(seqs(receiver.requests))).toEqual(new Set([1]));
    const gaps = receiver.requests.slice(1).map((r, i) => r.arrivedAt - receiver.requests[i].arrivedAt);
    expect(Math.max(...gaps.slice(-3))).toBeGreaterThanOrEqual(90);
    receiver.setMode({ kind: 'ok' });
    await waitFor(() => t.store.spool.empty, { timeoutMs: 3000, what: 'the spool to drain' });
    expect(okSeqs()).toEqual(range(1, 5));
    expect(t.stats.failed.get('unavailable')).toBe(attempts);
  });

  it('times out a collector that never answers, one request at a time, and delivers once it answers', async () => {
    const t = setup(protocol, { timeoutMs: 300 });
    receiver.setMode({ kind: 'hang' });
    const start = Date.now();
    for (let seq = 1; seq <= 6; seq++) {
      t.delivery.accept(seqRequest(seq), Date.now());
      await sleep(150);
    }
    const elapsed = Date.now() - start;
    // One request in flight, each held 300 ms: at most one arrival per timeout.
    expect(receiver.requests.length).toBeLessThanOrEqual(Math.ceil(elapsed / 300) + 1);
    expect(t.stats.failed.get('timeout')).toBeGreaterThanOrEqual(1);
    receiver.setMode({ kind: 'ok' });
    await waitFor(() => t.store.spool.empty && okSeqs().length === 6, { timeoutMs: 5000, what: 'all six delivered' });
    expect(okSeqs()).toEqual(range(1, 6));
  });
});

describe('delivery policy', () => {
  it('interleaves live exports with the backlog: neither starves, the backlog stays in order', async () => {
    const store = tempStore();
    for (let seq = 1; seq <= 8; seq++) store.spool.push(seqRequest(seq), Date.now() - 1000 + seq);
    receiver.setMode({ kind: 'slow', delayMs: 60 });
    const t = setup('grpc', { store });
    // Each live export is taken while the previous request is in flight.
    for (let live = 101; live <= 104; live++) {
      t.delivery.accept(seqRequest(live), Date.now());
      await waitFor(() => seqs(receiver.requests).includes(live), { timeoutMs: 3000, what: `live request ${live}` });
    }
    await waitFor(() => t.store.spool.empty, { timeoutMs: 5000, what: 'the spool to drain' });
    expect(seqs(receiver.requests)).toEqual([1, 101, 2, 102, 3, 103, 4, 104, 5, 6, 7, 8]);
    expect(t.log.lines.some((l) => l.includes('replaying spooled exports from a previous run') && l.includes('requests=8'))).toBe(true);
  });

  it('throttling: HTTP 429 with Retry-After waits as asked before the next attempt', async () => {
    const t = setup('http/protobuf');
    receiver.setMode({ kind: 'http-status', status: 429, retryAfterSeconds: 1 });
    t.delivery.accept(seqRequest(1), Date.now());
    await receiver.waitForRequests(1, 3000);
    receiver.setMode({ kind: 'ok' });
    await receiver.waitForRequests(2, 4000);
    expect(receiver.requests[1].arrivedAt - receiver.requests[0].arrivedAt).toBeGreaterThanOrEqual(950);
    expect(t.stats.failed.get('throttled')).toBe(1);
    await waitFor(() => t.store.spool.empty, { timeoutMs: 2000, what: 'the spool to drain' });
  });

  it.each([
    ['gRPC RESOURCE_EXHAUSTED', 'grpc', { kind: 'grpc-status', code: 8 }, 'throttled'],
    ['gRPC DEADLINE_EXCEEDED', 'grpc', { kind: 'grpc-status', code: 4 }, 'timeout'],
    ['HTTP 502', 'http/protobuf', { kind: 'http-status', status: 502 }, 'unavailable'],
    ['HTTP 504', 'http/protobuf', { kind: 'http-status', status: 504 }, 'unavailable'],
  ] as const)('retries %s', async (_name, protocol, mode, reason) => {
    const t = setup(protocol);
    receiver.setMode(mode);
    t.delivery.accept(seqRequest(1), Date.now());
    await receiver.waitForRequests(2, 3000);
    receiver.setMode({ kind: 'ok' });
    await waitFor(() => t.store.spool.empty && okSeqs().length === 1, { timeoutMs: 3000, what: 'delivery after retries' });
    expect(t.stats.failed.get(reason)).toBeGreaterThanOrEqual(2);
  });

  it('keeps the newest within --spool-max-bytes and the young within --spool-max-age, counting the drops', async () => {
    await receiver.stop();
    const size = seqRequest(1).byteLength;
    const t = setup('grpc', { bounds: { maxBytes: size * 3 } });
    accepted(t.delivery, 1, 8);
    await waitFor(() => t.stats.dropped.get('spool_bytes') === 5, { timeoutMs: 3000, what: 'five drops' });
    expect(t.log.lines.filter((l) => l.includes('export spool full'))).toHaveLength(1);
    await receiver.start();
    await waitFor(() => t.store.spool.empty, { timeoutMs: 5000, what: 'the spool to drain' });
    expect(seqs(receiver.requests)).toEqual([6, 7, 8]);

    let offset = 0;
    await receiver.stop();
    const aged = setup('grpc', { bounds: { maxAgeMs: 1000 }, now: () => Date.now() + offset });
    accepted(aged.delivery, 11, 12);
    await waitFor(() => aged.store.spool.size.requests === 2, { timeoutMs: 3000, what: 'two spooled' });
    offset = 5000;
    aged.delivery.accept(seqRequest(13), Date.now() + offset);
    expect(aged.stats.dropped.get('spool_age')).toBe(2);
    receiver.requests.length = 0;
    await receiver.start();
    await waitFor(() => aged.store.spool.empty, { timeoutMs: 5000, what: 'the spool to drain' });
    expect(seqs(receiver.requests)).toEqual([13]);
  });

  it('on stop, drains what the collector still takes; a hung request stays spooled for the next run', async () => {
    receiver.setMode({ kind: 'slow', delayMs: 50 });
    const drained = setup('grpc');
    accepted(drained.delivery, 1, 3);
    await drained.delivery.stop(3000);
    expect(seqs(receiver.requests)).toEqual([1, 2, 3]);
    expect(drained.store.spool.empty).toBe(true);

    receiver.requests.length = 0;
    receiver.setMode({ kind: 'hang' });
    const hung = setup('grpc');
    accepted(hung.delivery, 4, 5);
    const before = Date.now();
    await hung.delivery.stop(300);
    expect(Date.now() - before).toBeLessThan(1500);
    expect(() => hung.delivery.accept(seqRequest(6), Date.now())).toThrow(/stopped/);
    const store: TempStore = hung.store.reopen();
    expect(store.spool.size.requests).toBe(2);

    receiver.setMode({ kind: 'ok' });
    receiver.requests.length = 0;
    const next = setup('grpc', { store });
    await waitFor(() => next.store.spool.empty, { timeoutMs: 5000, what: 'the previous run to be replayed' });
    expect(seqs(receiver.requests)).toEqual([4, 5]);
  });
});
