import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuildRepo } from '../../src/store/builds.js';
import { BACKSTOP_PAGES, BackgroundCheckpointer, OnDemandCheckpoints } from '../../src/store/checkpointer.js';
import { type Db, openStore, storePath } from '../../src/store/store.js';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sysmon-checkpoint-'));
  db = openStore(storePath(dir));
});
afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the first reported checkpoint that satisfies `done` (bounded). */
function checkpointWhere(
  seen: { log: number; checkpointed: number }[],
  done: (p: { log: number; checkpointed: number }) => boolean,
): Promise<{ log: number; checkpointed: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      const hit = seen.find(done);
      if (hit) resolve(hit);
      else if (Date.now() - started > 5000) reject(new Error(`no such checkpoint in ${JSON.stringify(seen)}`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

describe('BackgroundCheckpointer', () => {
  it('copies the write-ahead log into the database from its own thread while the writer only writes', async () => {
    const seen: { log: number; checkpointed: number }[] = [];
    const checkpointer = await BackgroundCheckpointer.start(db, { onCheckpoint: (p) => seen.push(p) });
    try {
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
      const repo = new BuildRepo(db);
      for (let i = 0; i < 200; i++) repo.create({ id: `b${i}`, name: `build ${i}` }, i);
      const done = await checkpointWhere(seen, (p) => p.log > 0 && p.checkpointed === p.log);
      expect(done.log).toBeGreaterThan(0);
      // The database file itself now holds the builds: a reader that ignores the log finds them.
      const copy = new Database(storePath(dir), { readonly: true });
      try {
        expect(copy.prepare('SELECT COUNT(*) AS n FROM builds').get()).toEqual({ n: 200 });
      } finally {
        copy.close();
      }
    } finally {
      await checkpointer.stop();
    }
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('keeps the log from growing: it is reset and reused once checkpointed', async () => {
    const checkpointer = await BackgroundCheckpointer.start(db);
    try {
      const repo = new BuildRepo(db);
      const wal = `${storePath(dir)}-wal`;
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 50; i++) repo.create({ id: `r${round}-${i}`, name: 'x' }, i);
        await new Promise((r) => setTimeout(r, 60));
      }
      // 1,000 separate commits of a few pages each would be ~16 MB of log without checkpoints.
      expect(statSync(wal).size).toBeLessThan(4 * 1024 * 1024);
      expect(repo.totals().created).toBe(1000);
    } finally {
      await checkpointer.stop();
    }
  });

  it('refuses to start on a database without a file, so the writer keeps checkpointing itself', async () => {
    const memory = new Database(':memory:');
    try {
      await expect(BackgroundCheckpointer.start(memory)).rejects.toThrow(/in-memory/);
    } finally {
      memory.close();
    }
    // The file was deleted under the open connection: the worker cannot open it.
    rmSync(storePath(dir));
    await expect(BackgroundCheckpointer.start(db)).rejects.toThrow(/unable to open|does not exist|SQLITE_CANTOPEN/i);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});

/** Waits (bounded) until `ok()` holds. */
async function until(ok: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!ok()) {
    if (Date.now() - started > 5000) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('OnDemandCheckpoints', () => {
  it('runs no worker while writes trickle: the writer checkpoints them itself at the next check', async () => {
    const checkpoints = new OnDemandCheckpoints(db, { checkEveryMs: 20, burstRowsPerSecond: 10_000, trickleRows: 3 });
    try {
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
      const repo = new BuildRepo(db);
      for (let i = 0; i < 5; i++) repo.create({ id: `t${i}`, name: 'trickle' }, i);
      for (let i = 0; i < 5; i++) checkpoints.check();
      expect(checkpoints.workerRunning).toBe(false);
      expect(repo.totals().created).toBe(5);
    } finally {
      await checkpoints.stop();
    }
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('sees a burst from the log file changing, without waiting for the periodic check', async () => {
    const checkpoints = new OnDemandCheckpoints(db, { checkEveryMs: 3_600_000, burstRowsPerSecond: 50 });
    try {
      // Checks from log changes come at most once a second.
      await new Promise((r) => setTimeout(r, 1100));
      const repo = new BuildRepo(db);
      for (let i = 0; i < 300; i++) repo.create({ id: `w${i}`, name: 'burst' }, i);
      await until(() => checkpoints.workerRunning, 'the worker runs');
    } finally {
      await checkpoints.stop();
    }
  });

  it('starts the worker on a burst of writes and stops it once the log stays unchanged', async () => {
    const checkpoints = new OnDemandCheckpoints(db, { checkEveryMs: 20, burstRowsPerSecond: 50, idleExitMs: 200 });
    try {
      const repo = new BuildRepo(db);
      for (let i = 0; i < 300; i++) repo.create({ id: `b${i}`, name: 'burst' }, i);
      await until(() => checkpoints.workerRunning, 'the worker runs');
      await until(() => !checkpoints.workerRunning, 'the worker stopped');
      expect(repo.totals().created).toBe(300);
    } finally {
      await checkpoints.stop();
    }
  });
});

