// Build ids are path segments: every id the API accepts must be reachable again at every path that
// embeds it, and ids made only of dots (which URL normalisation removes from a path) are refused.
// And the build state machine: a build that never started cannot finish as built or failed.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchedulerId } from '../../src/scheduler/schemas.js';
import { type Harness, snapshotBody, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.stop();
});

const ID_CHARS = [...'ABCXYZabcxyz0189._:-'];
const id = fc.oneof(
  fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 1, maxLength: 12 }),
  fc.integer({ min: 1, max: 6 }).map((n) => '.'.repeat(n)),
  fc.constantFrom('.', '..', '...', '.a', 'a.', '..a..', '-', ':', '_'),
);

describe('build ids', () => {
  it('accepts exactly the ids every path can reach again, and refuses dots-only ids with nothing stored', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(id, async (raw) => {
        // A suffix keeps accepted ids unique across runs without changing their shape.
        const unique = /^\.+$/.test(raw) ? raw : `${raw}-${n++}`;
        const before = (await h.get('/api/stats')).body.allTime.created;
        const created = await h.post('/api/builds', { id: unique, name: 'n' });
        if (/^\.+$/.test(unique)) {
          expect(created.status).toBe(400);
          expect(created.body).toEqual({ error: expect.stringContaining('not only dots'), field: 'id' });
          expect((await h.get('/api/stats')).body.allTime.created).toBe(before);
          expect(SchedulerId.safeParse(unique).success).toBe(false);
          return;
        }
        expect(created.status).toBe(201);
        const path = created.headers.get('location')!;
        expect((await h.get(path)).body).toMatchObject({ id: unique, status: 'queued' });
        expect((await h.post(`${path}/start`)).body).toMatchObject({ id: unique, status: 'running' });
        expect((await h.post(`${path}/telemetry`, snapshotBody(10, 10))).status).toBe(200);
        expect((await h.get(`${path}/snapshots`)).body.snapshots).toHaveLength(1);
        expect((await h.post(`${path}/finish`, { status: 'success' })).body).toMatchObject({ id: unique, status: 'success' });
      }),
      { numRuns: 120 },
    );
  });
});

describe('finishing a build that never started', () => {
  it('refuses success and failed with 409 naming the field, leaving the build queued and the totals alone', async () => {
    await h.post('/api/builds', { id: 'never-started', name: 'q' });
    const before = (await h.get('/api/stats')).body;
    for (const status of ['success', 'failed']) {
      const r = await h.post('/api/builds/never-started/finish', { status, exit_code: 0 });
      expect(r.status).toBe(409);
      expect(r.body).toEqual({
        error: `build "never-started" is queued: start it before finishing it as ${status} (only ignored and skipped end a build that never started)`,
        field: 'status',
      });
    }
    expect((await h.get('/api/builds/never-started')).body).toMatchObject({ status: 'queued', started_at: null, finished_at: null });
    expect((await h.get('/api/stats')).body).toEqual(before);
  });

  it('lets ignored and skipped end a queued build, with no build time', async () => {
    for (const status of ['ignored', 'skipped']) {
      await h.post('/api/builds', { id: `q-${status}`, name: 'q' });
      const r = await h.post(`/api/builds/q-${status}/finish`, { status });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status, started_at: null });
    }
  });
});
