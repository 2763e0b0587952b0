import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, snapshotBody, startHarness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ maxWorkers: '4' });
});
afterEach(async () => {
  await h.stop();
});

describe('builds API end to end (real server, real SQLite)', () => {
  it('runs a build through queue, start, telemetry and finish, and totals follow', async () => {
    const created = await h.post('/api/builds', { id: 'b1', name: 'app', worker_id: 'w1' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: 'b1', status: 'queued' });
    expect(created.headers.get('location')).toBe('/api/builds/b1');

    expect((await h.post('/api/builds/b1/start')).body.status).toBe('running');
    const t0 = Date.now();
    const s1 = await h.post('/api/builds/b1/telemetry', snapshotBody(150, 512, new Date(t0 + 2000)), { 'X-Worker-Id': 'w1' });
    expect(s1).toMatchObject({ status: 200, body: { status: 'ok' } });
    // The seed worker's body, a second later: one per second is allowed.
    await new Promise((r) => setTimeout(r, 1050));
    const s2 = await h.post('/api/builds/b1/telemetry', snapshotBody(50, 700, new Date(t0 + 4000)), { 'X-Worker-Id': 'w1' });
    expect(s2.status).toBe(200);

    const snaps = await h.get('/api/builds/b1/snapshots');
    expect(snaps.body.snapshots.map((s: { cpu_percent: number }) => s.cpu_percent)).toEqual([150, 50]);

    const running = await h.get('/api/builds/b1');
    // 150 % over ~2 s since the start, then 50 % over 2 s.
    expect(running.body.cpu_seconds).toBeGreaterThan(3.5);
    expect(running.body.cpu_seconds).toBeLessThan(5.2);
    expect(running.body.peak_memory_mb).toBe(700);
    expect(running.body.cpu_seconds_exact).toBe(false);

    const fin = await h.post('/api/builds/b1/finish', { status: 'success', exit_code: 0, cpu_seconds: 12.5 });
    expect(fin.status).toBe(200);
    expect(fin.body).toMatchObject({ status: 'success', exit_code: 0, cpu_seconds: 12.5, cpu_seconds_exact: true });

    const stats = (await h.get('/api/stats')).body;
    expect(stats).toMatchObject({
      totalCpuSeconds: 12.5,
      // Seed 000's clients read totalCpuCycles: the same CPU-seconds under the deprecated name.
      totalCpuCycles: 12.5,
      queued: 1,
      built: 1,
      failed: 0,
      remaining: 0,
      activeWorkers: 0,
      maxWorkers: 4,
      allTime: { created: 1, built: 1 },
    });
    expect(stats.totalBuildTimeMs).toBeGreaterThanOrEqual(1000);
    expect(Object.keys(stats)).toEqual(
      expect.arrayContaining([
        'totalBuildTimeMs', 'totalCpuSeconds', 'queued', 'built', 'failed', 'ignored', 'skipped', 'remaining',
        'rate', 'impulse', 'activeWorkers', 'maxWorkers', 'dynMaxWorkers', 'elapsedSeconds',
      ]),
    );
    expect(h.durations.map((d) => (d.attributes as Record<string, unknown>)['cicd.pipeline.run.state'])).toEqual(['pending', 'executing']);
    expect(h.durations[1].attributes).toMatchObject({ 'cicd.pipeline.run.state': 'executing', 'cicd.pipeline.result': 'success' });
    expect(h.durations[1].attributes).not.toHaveProperty('error.type');
  });

  it('integrates CPU-seconds from snapshots when the finish gives none', async () => {
    await h.post('/api/builds', { id: 'b2', name: 'lib' });
    await h.post('/api/builds/b2/start');
    const start = Date.parse((await h.get('/api/builds/b2')).body.started_at);
    await h.post('/api/builds/b2/telemetry', snapshotBody(200, 10, new Date(start + 5000)));
    await new Promise((r) => setTimeout(r, 1010));
    await h.post('/api/builds/b2/telemetry', snapshotBody(100, 10, new Date(start + 10000)));
    const fin = await h.post('/api/builds/b2/finish', { status: 'failed', exit_code: 2 });
    // 2 cores x 5 s + 1 core x 5 s.
    expect(fin.body.cpu_seconds).toBeCloseTo(15, 6);
    expect((await h.get('/api/stats')).body).toMatchObject({ totalCpuSeconds: 15, totalCpuCycles: 15, failed: 1 });
    // A failure carries error.type: the exit code.
    expect(h.durations.at(-1)!.attributes).toEqual({
      'cicd.pipeline.name': 'lib',
      'cicd.pipeline.run.state': 'executing',
      'cicd.pipeline.result': 'failure',
      'error.type': '2',
    });
  });

  it('answers 409, 404, 429 with the error shape and stores nothing', async () => {
    await h.post('/api/builds', { id: 'dup', name: 'x' });
    const again = await h.post('/api/builds', { id: 'dup', name: 'x' });
    expect(again).toMatchObject({ status: 409, body: { field: 'id' } });
    expect(again.body.error).toMatch(/exists/);

    expect((await h.post('/api/builds/nope/start')).status).toBe(404);
    expect((await h.post('/api/builds/nope/telemetry', snapshotBody(1, 1))).status).toBe(404);
    expect((await h.get('/api/builds/nope')).status).toBe(404);

    await h.post('/api/builds/dup/start');
    expect((await h.post('/api/builds/dup/start')).status).toBe(409);
    expect((await h.post('/api/builds/dup/telemetry', snapshotBody(1, 1), { 'X-Worker-Id': 'w9' })).status).toBe(200);
    const fast = await h.post('/api/builds/dup/telemetry', snapshotBody(1, 1), { 'X-Worker-Id': 'w9' });
    expect(fast.status).toBe(429);
    expect(Number(fast.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await h.get('/api/builds/dup')).body.snapshot_count).toBe(1);

    await h.post('/api/builds/dup/finish', { status: 'skipped' });
    expect((await h.post('/api/builds/dup/finish', { status: 'success' })).status).toBe(409);
    await new Promise((r) => setTimeout(r, 1010));
    expect((await h.post('/api/builds/dup/telemetry', snapshotBody(1, 1), { 'X-Worker-Id': 'w9' })).status).toBe(409);
    expect((await h.get('/api/stats')).body).toMatchObject({ skipped: 1, allTime: { created: 1, skipped: 1 } });
  });

  it('rejects bad values naming the field', async () => {
    await h.post('/api/builds', { id: 'v', name: 'v' });
    await h.post('/api/builds/v/start');
    const cases: [unknown, string][] = [
      [{ ...(snapshotBody(-1, 1) as object) }, 'data.cpu_percent'],
      [snapshotBody(102401, 1), 'data.cpu_percent'],
      [snapshotBody(1, 16777217), 'data.memory_mb'],
      ['{"type":"cpu_snapshot","timestamp":"2020-01-01T00:00:00Z","data":{"cpu_percent":1e999,"memory_mb":1}}', 'data.cpu_percent'],
      [snapshotBody(1, 1, new Date(Date.now() - 25 * 3_600_000)), 'timestamp'],
      [{ type: 'cpu_snapshot', timestamp: 'yesterday', data: { cpu_percent: 1, memory_mb: 1 } }, 'timestamp'],
      [{ type: 'log', timestamp: new Date().toISOString(), data: {} }, 'type'],
    ];
    for (const [body, field] of cases) {
      const r = await h.post('/api/builds/v/telemetry', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.field).toBe(field);
    }
    expect((await h.post('/api/builds', { id: 'bad id!', name: 'x' })).body).toMatchObject({ field: 'id' });
    expect((await h.post('/api/builds', { name: '' })).body).toMatchObject({ field: 'name' });
    expect((await h.post('/api/builds/v/finish', { status: 'done' })).body).toMatchObject({ field: 'status' });
    expect((await h.post('/api/builds/v/telemetry', snapshotBody(1, 1), { 'X-Worker-Id': 'a,b' })).body).toMatchObject({
      field: 'X-Worker-Id',
    });
    expect((await h.get('/api/builds/v')).body.snapshot_count).toBe(0);
  });

  it('enforces body size, content type and JSON syntax', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(70 * 1024) });
    expect((await h.post('/api/builds', big)).status).toBe(413);
    expect((await h.post('/api/builds', 'name=x', { 'Content-Type': 'text/plain' })).status).toBe(415);
    const bad = await h.post('/api/builds', '{"name":');
    expect(bad).toMatchObject({ status: 400, body: { field: 'body' } });
    expect((await h.get('/api/nothing')).status).toBe(404);
    expect((await h.get('/api/stats')).body.allTime.created).toBe(0);
  });

  it('lists running builds and exposes request error rate and latency', async () => {
    await h.post('/api/builds', { id: 'r1', name: 'one' });
    await h.post('/api/builds', { id: 'r2', name: 'two' });
    await h.post('/api/builds/r2/start');
    const list = await h.get('/api/builds?status=running');
    expect(list.body.builds.map((b: { id: string }) => b.id)).toEqual(['r2']);
    expect((await h.get('/api/builds?status=bogus')).status).toBe(400);
    const stats = h.api.requestStats();
    expect(stats.requests).toBe(5);
    expect(stats.clientErrorRate).toBeCloseTo(1 / 5, 6);
    expect(stats.serverErrorRate).toBe(0);
    expect(stats.latencyP95Ms).toBeGreaterThan(0);
  });
});
