// A full store: SQLite's max_page_count caps the database file, so writes fail with a real SQLITE_FULL
// (no root or small filesystem needed). The API answers 507 with Retry-After instead of 500, logs the
// condition once and its recovery once, keeps serving reads, stores nothing from a refused request,
// and writes again by itself once there is room. Where mounting is permitted (root), the same holds on
// a real 4 MiB tmpfs filled to the last byte, through the built CLI.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { type Harness, startHarness } from '../api/harness.js';
import { startCli } from '../support/cli.js';
import { waitFor } from '../helpers/wait.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const name = (i: number) => `build ${i} `.padEnd(250, 'x');

describe('a full store', () => {
  it('answers 507 + Retry-After, logs once, stores nothing refused, and recovers by itself', async () => {
    const lines: string[] = [];
    h = await startHarness({}, createLogger({ level: 'info', write: (l) => lines.push(l) }));
    const db = h.store.db;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);

    const answers: number[] = [];
    for (let i = 0; i < 200 && !answers.includes(507); i++) answers.push((await h.post('/api/builds', { id: `b${i}`, name: name(i) })).status);
    expect(answers.at(-1)).toBe(507);
    expect(answers.every((s) => s === 201 || s === 507)).toBe(true);
    const created = answers.filter((s) => s === 201).length;

    for (let i = 0; i < 20; i++) {
      const r = await h.post('/api/builds', { id: `full${i}`, name: name(i) });
      expect(r.status).toBe(507);
      expect(r.headers.get('retry-after')).toBe('10');
      expect(r.body).toEqual({ error: expect.stringMatching(/^store full: no space left/), field: 'store' });
    }
    // Reads still work, and nothing of the refused requests was stored.
    const stats = await h.get('/api/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.allTime.created).toBe(created);
    expect((await h.get('/api/builds/full3')).status).toBe(404);
    expect(lines.filter((l) => l.includes('store cannot write (no space left)'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('API handler failed'))).toEqual([]);

    db.pragma('max_page_count = 1073741823');
    expect((await h.post('/api/builds', { id: 'after', name: 'room again' })).status).toBe(201);
    expect((await h.post('/api/builds', { id: 'after2', name: 'room again' })).status).toBe(201);
    expect((await h.get('/api/stats')).body.allTime.created).toBe(created + 2);
    expect(lines.filter((l) => l.includes('store writes again'))).toHaveLength(1);
  });
});

/** Mounts a tmpfs of `size` at a new directory, or says why it cannot. */
function mountTmpfs(size: string): { dir: string } | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: 'not root: mounting a small tmpfs needs root' };
  const dir = mkdtempSync(join(tmpdir(), 'sysmon-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) return { dir };
  rmSync(dir, { recursive: true, force: true });
  return { skip: `mount -t tmpfs not permitted here: ${(r.stderr || r.error?.message || '').trim()}` };
}

describe('a full filesystem (real tmpfs where mounting is permitted)', () => {
  it('the agent answers 507, keeps collecting, says what the spool drops, and writes again once space is freed', async (ctx) => {
    const mounted = mountTmpfs('4m');
    if ('skip' in mounted) {
      console.warn(`full-disk tmpfs test skipped: ${mounted.skip}`);
      ctx.skip();
      return;
    }
    const dir = mounted.dir;
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    // The collector is down (port 9 refuses): every export goes to the spool, which shares the full disk.
    const agent = startCli(
      ['run', '--otlp-endpoint', 'http://127.0.0.1:9', '--interval', '100ms', '--export-timeout', '300ms', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0'],
      {},
      { isolated: true },
    );
    try {
      const url = (await agent.waitFor(/local API listening url=(\S+)/))[1];
      const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
      const post = (id: string) =>
        fetch(`${url}/api/builds`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ id, name: name(0) }),
        }).catch((err: Error) => {
          throw new Error(`POST ${id}: ${err.message} (${String((err.cause as Error | undefined)?.message)}); agent exit ${agent.child.exitCode}, stderr:\n${agent.stderr()}`);
        });
      expect((await post('before')).status).toBe(201);
      // Fill the filesystem to the last block.
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=64k'], { stdio: 'ignore' });
      } catch {
        // dd stops with "No space left on device": that is the point.
      }
      const statuses: number[] = [];
      for (let i = 0; i < 300 && !statuses.includes(507); i++) statuses.push((await post(`full${i}`)).status);
      expect(statuses).toContain(507);
      expect(statuses.every((s) => s === 201 || s === 507 || s === 503)).toBe(true);
      const collections = () => Number(/collections=(\d+)/.exec(agent.stderr())?.[1] ?? 0);
      // A second of full disk: the agent keeps collecting, and says so once.
      await new Promise((r) => setTimeout(r, 1000));
      // Each writer says it once: the API's store, and the lease store when a PANIC is stored meanwhile.
      expect(agent.stderr().match(/ store cannot write \(no space left\): API writes/g)).toHaveLength(1);
      expect((agent.stderr().match(/lease store cannot write/g) ?? []).length).toBeLessThanOrEqual(1);
      // Exports the spool cannot take are dropped, counted and said (not silently lost, not a crash).
      await waitFor(() => /cannot write the export spool: dropped exports dropped=\d+/.test(agent.stderr()), { what: 'the spool saying what it drops' });

      rmSync(join(dir, 'filler'));
      await waitFor(async () => (await post(`after${Date.now()}`)).status === 201, { what: 'a write once space is back', timeoutMs: 10_000 });
      await waitFor(() => /store writes again/.test(agent.stderr()), { what: 'the recovery line' });
      expect(agent.child.exitCode).toBeNull();
      expect(await agent.stop('SIGTERM')).toBe(0);
      expect(collections()).toBeGreaterThanOrEqual(8);
      expect(agent.stderr()).not.toMatch(/API handler failed|internal error|metric producer failed|module stop failed/);
      expect((agent.stderr().match(/cannot write build monitor files/g) ?? []).length).toBeLessThanOrEqual(1);
    } finally {
      if (agent.child.exitCode === null) await agent.stop('SIGKILL');
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

