import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuildRepo } from '../../src/store/builds.js';
import { DurableQueue } from '../../src/store/durable-queue.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { purgeSnapshots } from '../../src/store/retention.js';
import { type Db, migrate, openStore, StoreError, storePath } from '../../src/store/store.js';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sysmon-store-'));
  db = openStore(storePath(dir));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('store', () => {
  it('opens in WAL mode at the newest schema version, and reopening changes nothing', () => {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const newest = MIGRATIONS[MIGRATIONS.length - 1].version;
    expect(db.pragma('user_version', { simple: true })).toBe(newest);
    new BuildRepo(db).create({ id: 'a', name: 'a' }, 1);
    db.close();
    db = openStore(storePath(dir));
    expect(new BuildRepo(db).get('a')?.name).toBe('a');
  });

  it('applies appended migrations in order and refuses a newer store', () => {
    const extra = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'test', sql: 'CREATE TABLE extra (x INTEGER);' }];
    expect(migrate(db, extra)).toBe(MIGRATIONS.length + 1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").get()).toEqual({ name: 'extra' });
    db.close();
    expect(() => openStore(storePath(dir))).toThrow(StoreError);
    expect(() => openStore(storePath(dir))).toThrow(/newer than this otel-sysmon understands/);
    db = new Database(storePath(dir));
  });

  it('keeps totals on write: build time over success and failed, exact or integrated CPU-seconds', () => {
    const repo = new BuildRepo(db);
    repo.create({ id: 'ok', name: 'ok' }, 0);
    repo.start('ok', 1_000);
    repo.addSnapshot('ok', { timestamp: 3_000, cpuPercent: 100, memoryMb: 10 }); // 1 core x 2 s
    repo.addSnapshot('ok', { timestamp: 4_000, cpuPercent: 400, memoryMb: 30 }); // 4 cores x 1 s
    repo.finish('ok', { status: 'success' }, 11_000);
    repo.create({ id: 'bad', name: 'bad' }, 0);
    repo.start('bad', 0);
    repo.finish('bad', { status: 'failed', cpuSeconds: 7.5, exitCode: 2 }, 5_000);
    repo.create({ id: 'ign', name: 'ign' }, 0);
    repo.finish('ign', { status: 'ignored' }, 9_000);
    expect(repo.totals()).toEqual({
      created: 3,
      success: 1,
      failed: 1,
      ignored: 1,
      skipped: 0,
      buildTimeMs: 10_000 + 5_000,
      cpuSeconds: 6 + 7.5,
      snapshots: 2,
    });
    expect(repo.get('ok')).toMatchObject({ cpuSeconds: 6, cpuSecondsExact: false, peakMemoryMb: 30 });
    expect(repo.get('bad')).toMatchObject({ cpuSeconds: 7.5, cpuSecondsExact: true, exitCode: 2 });
    expect(repo.snapshots('ok').map((s) => s.cpuPercent)).toEqual([100, 400]);
  });

  it('totals read between writes follow every write, ours and another connection’s', () => {
    const repo = new BuildRepo(db);
    const other = openStore(storePath(dir));
    try {
      const otherRepo = new BuildRepo(other);
      const created = () => repo.totals().created;
      expect(created()).toBe(0);
      repo.create({ id: 'a', name: 'a' }, 0);
      expect(created()).toBe(1);
      expect(created()).toBe(1);
      // wrap writes the store directly when no agent runs: its commits show up here too.
      otherRepo.create({ id: 'b', name: 'b' }, 0);
      expect(created()).toBe(2);
      repo.start('a', 0);
      repo.addSnapshot('a', { timestamp: 1_000, cpuPercent: 100, memoryMb: 1 });
      expect(repo.totals().snapshots).toBe(1);
      otherRepo.finish('b', { status: 'skipped' }, 2_000);
      repo.finish('a', { status: 'success', cpuSeconds: 2 }, 3_000);
      expect(repo.totals()).toMatchObject({ created: 2, success: 1, skipped: 1, cpuSeconds: 2, buildTimeMs: 3_000 });
    } finally {
      other.close();
    }
  });

  it('leaves state untouched when a write is refused', () => {
    const repo = new BuildRepo(db);
    repo.create({ id: 'x', name: 'x' }, 0);
    repo.finish('x', { status: 'skipped' }, 1);
    const before = repo.totals();
    expect(() => repo.create({ id: 'x', name: 'again' }, 2)).toThrow(/exists/);
    expect(() => repo.finish('x', { status: 'success' }, 3)).toThrow(/already finished/);
    expect(() => repo.addSnapshot('x', { timestamp: 4, cpuPercent: 1, memoryMb: 1 })).toThrow(/already finished/);
    expect(() => repo.start('missing', 5)).toThrow(/no build/);
    expect(repo.totals()).toEqual(before);
    expect(repo.get('x')?.name).toBe('x');
  });
});

describe('snapshot retention', () => {
  it('purges old snapshots in bounded batches and keeps totals and builds', async () => {
    const repo = new BuildRepo(db);
    repo.create({ id: 'old', name: 'old' }, 0);
    repo.start('old', 0);
    const insert = db.transaction(() => {
      for (let i = 1; i <= 5_000; i++) repo.addSnapshot('old', { timestamp: i * 1000, cpuPercent: 100, memoryMb: 1 });
    });
    insert();
    repo.finish('old', { status: 'success' }, 6_000_000);
    const totals = repo.totals();
    const batches: number[] = [];
    const counting = new Proxy(repo, {
      get(target, prop, receiver) {
        if (prop === 'purgeSnapshotsBefore') {
          return (cutoff: number, batch: number) => {
            const n = target.purgeSnapshotsBefore(cutoff, batch);
            batches.push(n);
            return n;
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    // Everything before t = 3,000.5 s goes: 3,000 rows in batches of 700.
    const deleted = await purgeSnapshots(counting, 3_000_500, { batch: 700 });
    expect(deleted).toBe(3_000);
    expect(Math.max(...batches)).toBeLessThanOrEqual(700);
    expect(batches.length).toBe(5);
    const left = repo.snapshots('old');
    expect(left).toHaveLength(2_000);
    expect(left[0].timestamp).toBe(3_001_000);
    expect(repo.totals()).toEqual(totals);
    expect(repo.get('old')?.cpuSeconds).toBeCloseTo(5_000, 6);
  });

  it('stops between batches when aborted', async () => {
    const repo = new BuildRepo(db);
    repo.create({ id: 'b', name: 'b' }, 0);
    db.transaction(() => {
      for (let i = 0; i < 100; i++) repo.addSnapshot('b', { timestamp: i, cpuPercent: 1, memoryMb: 1 });
    })();
    const abort = new AbortController();
    abort.abort();
    expect(await purgeSnapshots(repo, 1_000, { batch: 10, signal: abort.signal })).toBe(0);
    expect(await purgeSnapshots(repo, 1_000, { batch: 10 })).toBe(100);
  });
});

// The durable queue both spools share: partitions read oldest first, item counts, totals across a
// reopen, counted trims.
const text = (s: string) => Buffer.from(s);
const bodies = (entries: { body: Buffer }[]) => entries.map((e) => e.body.toString());

describe('DurableQueue', () => {
  it('reads each key oldest first up to a number of items, lists keys by their oldest entry, keeps totals across a reopen', () => {
    const q = new DurableQueue(db, 'bridge_spool');
    q.push({ key: 'b', items: 3, createdAt: 200, body: text('b1') }, { key: 'a', items: 2, createdAt: 200, body: text('a1') });
    q.push({ key: 'a', items: 2, createdAt: 100, body: text('a0') });
    q.push({ key: 'a', items: 2, createdAt: 300, body: text('a2') });
    expect(q.keys()).toEqual(['a', 'b']);
    expect(bodies(q.oldestOf('a', 4))).toEqual(['a0', 'a1']);
    expect(bodies(q.oldestOf('a', 5))).toEqual(['a0', 'a1']);
    expect(bodies(q.oldestOf('b', 1))).toEqual(['b1']);
    expect(q.oldestOf('c', 10)).toEqual([]);
    expect(q.totals).toEqual({ entries: 4, items: 9, bytes: 8 });
    // Another queue in the same store is a separate table.
    expect(new DurableQueue(db, 'export_spool').empty).toBe(true);

    db.close();
    db = openStore(storePath(dir));
    const again = new DurableQueue(db, 'bridge_spool');
    expect(again.totals).toEqual({ entries: 4, items: 9, bytes: 8 });
    const [a0] = again.oldestOf('a', 1);
    expect(a0).toMatchObject({ key: 'a', items: 2, createdAt: 100 });
    expect(again.remove([a0.id, a0.id])).toEqual({ entries: 1, items: 2 });
    expect(again.keys()).toEqual(['b', 'a']);
    expect(again.totals).toEqual({ entries: 3, items: 7, bytes: 6 });
  });

  it('trims by age then by bytes, counting entries and items, never the one kept', () => {
    const q = new DurableQueue(db, 'bridge_spool');
    const ids = q.push(
      ...Array.from({ length: 6 }, (_, i) => ({ key: i % 2 ? 'odd' : 'even', items: i + 1, createdAt: 1000 * i, body: text('0123456789') })),
    );
    const trimmed = q.trim({ maxBytes: 25, maxAgeMs: 3500 }, 5000, ids[2]);
    // Age: entries 0 and 1 (items 1 + 2); bytes: 3 and 4 (items 4 + 5) go, 2 is kept, 5 is the newest.
    expect(trimmed).toEqual({ age: { entries: 2, items: 3 }, bytes: { entries: 2, items: 9 } });
    expect(q.totals).toEqual({ entries: 2, items: 9, bytes: 20 });
    expect([q.get(ids[2]), q.get(ids[5])].every(Boolean)).toBe(true);
    expect(q.expire(10_000)).toEqual({ entries: 2, items: 9 });
    expect(q.empty).toBe(true);
  });
});
