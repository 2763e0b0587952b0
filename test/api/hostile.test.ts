// 1,000 generated malformed or hostile requests: every answer is 4xx, none is 5xx, and nothing
// stored changes.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.post('/api/builds', { id: 'open', name: 'running build' });
  await h.post('/api/builds/open/start');
  await h.post('/api/builds', { id: 'done', name: 'finished build' });
  await h.post('/api/builds/done/start');
  await h.post('/api/builds/done/finish', { status: 'success' });
});
afterAll(async () => {
  await h.stop();
});

const nastyNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(-1, 102_401, 16_777_217, -0.0001, 1e308, -1e308),
  fc.constantFrom('1e999', '-1e999', 'NaN', 'Infinity', '"12"', 'null', 'true', '[]', '{}'),
);
const timestampText = fc.oneof(
  fc.constantFrom('"2000-01-01T00:00:00Z"', '"2999-01-01T00:00:00Z"', '"not a date"', '""', '0', 'null', '"2024-13-45T99:99:99Z"'),
  fc.string().map((s) => JSON.stringify(s)),
);

/** Telemetry bodies that are wrong in at least one field, as raw JSON text. */
const badTelemetry = fc
  .record({
    type: fc.constantFrom('"cpu_snapshot"', '"cpu"', '1', 'null', '"CPU_SNAPSHOT"'),
    cpu: nastyNumber.map(String),
    mem: nastyNumber.map(String),
    ts: timestampText,
  })
  .filter((r) => !(r.type === '"cpu_snapshot"'))
  .map((r) => `{"type":${r.type},"timestamp":${r.ts},"data":{"cpu_percent":${r.cpu},"memory_mb":${r.mem}}}`);

const outOfRangeTelemetry = fc
  .record({ cpu: nastyNumber, mem: fc.double({ min: 0, max: 1000, noNaN: true }) })
  .filter((r) => typeof r.cpu !== 'number' || !(r.cpu >= 0 && r.cpu <= 102_400))
  .map((r) => `{"type":"cpu_snapshot","timestamp":"${new Date().toISOString()}","data":{"cpu_percent":${String(r.cpu)},"memory_mb":${r.mem}}}`);

const garbage = fc.oneof(
  fc.string({ minLength: 1 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.constantFrom('{', '[', '"', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}', '[[[[[[[[[[]]]]]]]]]]', '\u0000'),
  fc.string().map((s) => '['.repeat(5000) + s),
);

const target = fc.constantFrom(
  { method: 'POST', path: '/api/builds' },
  { method: 'POST', path: '/api/builds/open/telemetry' },
  { method: 'POST', path: '/api/builds/done/telemetry' },
  { method: 'POST', path: '/api/builds/open/finish' },
  { method: 'POST', path: '/api/builds/ghost/start' },
  { method: 'POST', path: '/api/builds/%E0%A4%A/start' },
  { method: 'POST', path: '/api/builds/' + 'x'.repeat(200) + '/finish' },
  { method: 'PUT', path: '/api/builds' },
);

const request = fc.record({
  target,
  body: fc.oneof(badTelemetry, outOfRangeTelemetry, garbage),
  contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', ''),
  auth: fc.constantFrom('good', 'good', 'good', 'none', 'wrong', 'Basic'),
});

describe('hostile bodies', () => {
  it('answers 1,000 generated bad requests with 4xx only and changes no total', async () => {
    const before = await h.get('/api/stats');
    const openBefore = await h.get('/api/builds/open');
    const samples = fc.sample(request, { numRuns: 1000, seed: 4242 });
    const statuses = new Map<number, number>();
    // Finish bodies that happen to be valid would legitimately finish "open": keep it open by
    // making every finish body invalid (no status field survives the generators above).
    for (const r of samples) {
      const headers: Record<string, string> = {};
      if (r.contentType) headers['Content-Type'] = r.contentType;
      if (r.auth === 'good') headers.Authorization = `Bearer ${h.token}`;
      if (r.auth === 'wrong') headers.Authorization = `Bearer ${'x'.repeat(43)}`;
      if (r.auth === 'Basic') headers.Authorization = `Basic ${Buffer.from(`u:${h.token}`).toString('base64')}`;
      const res = await fetch(h.url + r.target.path, { method: r.target.method, headers, body: r.body });
      const json = (await res.json()) as { error?: string };
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `${r.target.method} ${r.target.path} ${r.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(typeof json.error).toBe('string');
    }
    const after = await h.get('/api/stats');
    // The clock and the worker limit (re-evaluated every 5 s while builds wait) move on their own.
    expect({ ...after.body, elapsedSeconds: 0, dynMaxWorkers: 0 }).toEqual({ ...before.body, elapsedSeconds: 0, dynMaxWorkers: 0 });
    expect((await h.get('/api/builds/open')).body).toEqual({ ...openBefore.body, duration_ms: expect.any(Number) });
    expect(h.store.db.prepare('SELECT COUNT(*) AS n FROM cpu_snapshots').get()).toEqual({ n: 0 });
    expect(h.api.requestStats(600_000).serverErrorRate).toBe(0);
    // The generators reach every kind of refusal.
    for (const code of [400, 401, 404, 405, 415]) expect(statuses.get(code) ?? 0, `status ${code}`).toBeGreaterThan(0);
  });
});
