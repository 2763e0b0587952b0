// The spool table itself: export order, sizes kept across reopening, and the byte and age bounds.
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { Breaker } from '../../src/telemetry/delivery-breaker.js';
import { seqRequest, tempStore, type TempStore } from './harness.js';

const stores: TempStore[] = [];
function store(): TempStore {
  const s = tempStore();
  stores.push(s);
  return s;
}

afterEach(() => {
  for (const s of stores.splice(0)) s.remove();
});

describe('Spool', () => {
  it('is created by a store migration, in WAL mode', () => {
    const { db } = store();
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'export_spool'").get()).toBeDefined();
  });

  it('gives requests back oldest first by export time, byte for byte, and keeps its size across a reopen', () => {
    const s = store();
    const a = seqRequest(1);
    const b = seqRequest(2, 10);
    const idB = s.spool.push(b, 2000);
    const idA = s.spool.push(a, 1000); // committed later, exported earlier (a live send that failed)
    expect(s.spool.size).toEqual({ requests: 2, bytes: a.byteLength + b.byteLength });
    expect(s.spool.oldest()).toMatchObject({ id: idA, createdAt: 1000 });
    expect(Buffer.from(s.spool.oldest()!.body).equals(Buffer.from(a))).toBe(true);

    const again = s.reopen();
    stores.push(again);
    expect(again.spool.size).toEqual({ requests: 2, bytes: a.byteLength + b.byteLength });
    again.spool.remove(idA);
    again.spool.remove(idA);
    expect(again.spool.size).toEqual({ requests: 1, bytes: b.byteLength });
    expect(Buffer.from(again.spool.get(idB)!.body).equals(Buffer.from(b))).toBe(true);
    again.spool.remove(idB);
    expect(again.spool.empty).toBe(true);
    expect(again.spool.oldest()).toBeUndefined();
  });

  it('drops the oldest requests beyond maxBytes, keeps the newest and never the one being sent', () => {
    const s = store();
    const body = seqRequest(0, 20);
    const ids = Array.from({ length: 10 }, (_, i) => s.spool.push(body, 1000 + i));
    const maxBytes = body.byteLength * 4;
    // ids[0] is in flight: it survives with the three newest; the six after it go.
    const trimmed = s.spool.trim({ maxBytes, maxAgeMs: 1e9 }, 2000, ids[0]);
    expect(trimmed).toEqual({ spool_bytes: 6, spool_age: 0 });
    expect(s.spool.size.bytes).toBeLessThanOrEqual(maxBytes);
    expect(s.spool.get(ids[0])).toBeDefined();
    expect([ids[7], ids[8], ids[9]].every((id) => s.spool.get(id))).toBe(true);
    expect(s.spool.get(ids[1])).toBeUndefined();

    // A single request larger than the whole bound cannot be kept either.
    const big = store();
    big.spool.push(seqRequest(1, 50), 1000);
    expect(big.spool.trim({ maxBytes: 100, maxAgeMs: 1e9 }, 1000)).toEqual({ spool_bytes: 1, spool_age: 0 });
    expect(big.spool.size).toEqual({ requests: 0, bytes: 0 });
  });

  it('drops requests older than maxAge', () => {
    const s = store();
    for (let i = 0; i < 5; i++) s.spool.push(seqRequest(i), 1000 * i);
    expect(s.spool.trim({ maxBytes: 1e9, maxAgeMs: 2500 }, 4000)).toEqual({ spool_bytes: 0, spool_age: 2 });
    expect(s.spool.oldest()!.createdAt).toBe(2000);
    expect(s.spool.size.requests).toBe(3);
  });
});

describe('Breaker', () => {
  it('backs off exponentially with equal jitter up to the cap, honours Retry-After, closes on success', () => {
    const low = new Breaker({ initialDelayMs: 100, maxDelayMs: 1000, random: () => 0 });
    const high = new Breaker({ initialDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 });
    const lows = Array.from({ length: 6 }, () => low.failed(0));
    const highs = Array.from({ length: 6 }, () => Math.round(high.failed(0)));
    expect(lows).toEqual([50, 100, 200, 400, 500, 500]);
    expect(highs).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(low.closed).toBe(false);
    expect(low.canSend(499)).toBe(false);
    expect(low.canSend(500)).toBe(true);
    expect(low.failed(1000, 30_000)).toBe(30_000);
    expect(low.failed(1000, 10 * 60_000)).toBe(60_000);
    low.succeeded();
    expect(low.closed).toBe(true);
    expect(low.canSend(0)).toBe(true);
    expect(low.failed(0)).toBe(50);
  });
});
