import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SchedulerHarness, startSchedulerHarness } from './harness.js';

let h: SchedulerHarness;
beforeEach(async () => {
  h = await startSchedulerHarness({ schedulerMaxLeases: '100', schedulerMaxPerAddon: '100' });
  await h.collect('QUIET');
});
afterEach(async () => {
  await h.stop();
});

const REQUEST = '/api/scheduler/lease/request';
const seedRequest = {
  addon_id: 'media-indexer',
  job_type: 'thumbnail_rebuild',
  cost_units: 30,
  cost_class: null,
  expected_duration_sec: 600,
  priority: 'NORMAL',
  constraints: { cpu_heavy: true, disk_write_heavy: true, network_heavy: false },
};

/** What a bad request must leave alone: decisions, leases, capacity and the event log. */
async function observable() {
  const status = (await h.get('/api/scheduler/status')).body;
  const events = h.module.leases!.events(10_000).length;
  return { decisions: status.decisions, active: status.active, used: status.capacity.used_units, queue: status.queue, events };
}

describe('scheduler API (seed 002 paths and models)', () => {
  it('grants, heartbeats, reports and releases a lease', async () => {
    const granted = await h.post(REQUEST, seedRequest);
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({
      approved: true,
      retry_after_sec: null,
      reason: 'Approved: used=0, requested=30, capacity=80',
      limits: { heartbeat_ttl_sec: 30, heartbeat_interval_sec: 10, cost_units: 30 },
      quiet_state: 'QUIET',
    });
    const id = granted.body.lease_id as string;
    h.clock.advance(20_000);
    const beat = await h.post(`/api/scheduler/lease/${id}/heartbeat`);
    expect(beat.body).toMatchObject({ lease_id: id, state: 'ACTIVE', expires_at: new Date(h.clock.now() + 30_000).toISOString() });
    const report = await h.post(`/api/scheduler/lease/${id}/report`, { progress_pct: 50, message: 'half', items_done: 120 });
    expect(report.body.report).toEqual({ progress_pct: 50, message: 'half', items_done: 120 });
    const released = await h.post(`/api/scheduler/lease/${id}/release`, { exit_code: 0, wall_seconds: 42 });
    expect(released.body).toMatchObject({ state: 'RELEASED', report: { progress_pct: 50, exit_code: 0 } });
    const record = await h.get(`/api/scheduler/lease/${id}`);
    expect(record.body).toMatchObject({
      lease_id: id,
      addon_id: 'media-indexer',
      job_type: 'thumbnail_rebuild',
      cost_units: 30,
      priority: 'NORMAL',
      constraints: { cpu_heavy: true, disk_write_heavy: true, network_heavy: false },
      expected_duration_sec: 600,
      state: 'RELEASED',
    });
    const status = (await h.get('/api/scheduler/status')).body;
    expect(status.quiet).toMatchObject({ state: 'QUIET', reasons: ['all inputs within quiet thresholds'] });
    expect(status.recent[0].lease_id).toBe(id);
    expect(status.addons['media-indexer']).toMatchObject({ requests: 1, granted: 1, denied: 0, last_result: 'approved' });
  });

  it('takes priority in any case and maps the legacy cost_class to units', async () => {
    await h.collect('BUSY');
    const r = await h.post(REQUEST, { addon_id: 'a', cost_class: 'low', priority: 'high' });
    expect(r.body).toMatchObject({ approved: true, limits: { cost_units: 10 }, reason: 'Approved: used=0, requested=10, capacity=40' });
    const lease = await h.get(`/api/scheduler/lease/${r.body.lease_id}`);
    expect(lease.body.priority).toBe('HIGH');
    const soft = await h.post(REQUEST, { addon_id: 'a', cost_units: 5, priority: 'Normal' });
    expect(soft.body).toMatchObject({ approved: false, lease_id: null, reason: 'System is BUSY; waiting for QUIET', retry_after_sec: 10 });
    expect(soft.headers.get('retry-after')).toBe('10');
  });

  it('refuses every write without the token', async () => {
    const r = await h.post(REQUEST, seedRequest, false);
    expect(r.status).toBe(401);
    expect(r.body.field).toBe('Authorization');
  });

  describe('bad requests get a 4xx naming the field and change nothing', () => {
    const cases: [string, () => Promise<{ status: number; body: any }>, number, string][] = [
      ['cost 0', () => h.post(REQUEST, { ...seedRequest, cost_units: 0 }), 400, 'cost_units'],
      ['cost 101', () => h.post(REQUEST, { ...seedRequest, cost_units: 101 }), 400, 'cost_units'],
      ['fractional cost', () => h.post(REQUEST, { ...seedRequest, cost_units: 2.5 }), 400, 'cost_units'],
      ['cost as a string', () => h.post(REQUEST, { ...seedRequest, cost_units: '5' }), 400, 'cost_units'],
      ['cost above what the host ever grants', () => h.post(REQUEST, { ...seedRequest, cost_units: 81 }), 409, 'cost_units'],
      ['unknown priority', () => h.post(REQUEST, { ...seedRequest, priority: 'urgent' }), 400, 'priority'],
      ['unknown cost_class', () => h.post(REQUEST, { addon_id: 'a', cost_class: 'HUGE' }), 400, 'cost_class'],
      ['missing addon_id', () => h.post(REQUEST, { cost_units: 10 }), 400, 'addon_id'],
      ['addon_id with spaces', () => h.post(REQUEST, { addon_id: 'my addon', cost_units: 10 }), 400, 'addon_id'],
      ['constraints not booleans', () => h.post(REQUEST, { ...seedRequest, constraints: { cpu_heavy: 'yes' } }), 400, 'constraints.cpu_heavy'],
      ['no body', () => h.post(REQUEST), 400, 'body'],
      ['body not JSON', () => h.post(REQUEST, '{"addon_id": '), 400, 'body'],
      ['heartbeat on an unknown lease id', () => h.post('/api/scheduler/lease/not-a-lease/heartbeat'), 404, 'lease_id'],
      ['release of an unknown lease id', () => h.post('/api/scheduler/lease/not-a-lease/release'), 404, 'lease_id'],
      ['revoke of an unknown lease id', () => h.post('/api/scheduler/lease/not-a-lease/revoke'), 404, 'lease_id'],
      ['GET of an unknown lease id', () => h.get('/api/scheduler/lease/not-a-lease'), 404, 'lease_id'],
      ['malformed lease id', () => h.post('/api/scheduler/lease/a%20b/heartbeat'), 400, 'lease_id'],
      ['unknown queue id', () => h.get('/api/scheduler/queue/q-nope'), 404, 'queue_id'],
      ['queue poll too long', () => h.get('/api/scheduler/queue/q-nope?wait_sec=31'), 400, 'wait_sec'],
    ];
    it.each(cases)('%s', async (_name, send, status, field) => {
      const before = await observable();
      const r = await send();
      expect(r.status).toBe(status);
      expect(r.body.field).toBe(field);
      expect(typeof r.body.error).toBe('string');
      expect(await observable()).toEqual(before);
    });

    it('heartbeat, report and release on an expired lease: 409, nothing changes', async () => {
      const id = (await h.post(REQUEST, seedRequest)).body.lease_id;
      h.clock.advance(30_000);
      const before = await observable();
      for (const action of ['heartbeat', 'release', 'revoke']) {
        const r = await h.post(`/api/scheduler/lease/${id}/${action}`);
        expect(r.status).toBe(409);
        expect(r.body).toEqual({ error: `lease ${id} is EXPIRED: no heartbeat for 30s`, field: 'lease_id' });
      }
      const report = await h.post(`/api/scheduler/lease/${id}/report`, { progress_pct: 150 });
      expect(report.body.field).toBe('progress_pct');
      expect(await observable()).toEqual(before);
    });
  });

  it('never exceeds capacity with 100 simultaneous requests', async () => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => h.post(REQUEST, { addon_id: `addon-${i % 7}`, cost_units: 7 })),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const approved = answers.filter((a) => a.body.approved);
    // 80 units, 7 each: exactly 11 fit.
    expect(approved).toHaveLength(11);
    expect(new Set(approved.map((a) => a.body.lease_id)).size).toBe(11);
    const denied = answers.filter((a) => !a.body.approved);
    expect(new Set(denied.map((a) => a.body.reason))).toEqual(new Set(['Capacity exceeded: used=77, requested=7, capacity=80']));
    const status = (await h.get('/api/scheduler/status')).body;
    expect(status.capacity.used_units).toBe(77);
    expect(status.active).toHaveLength(11);
    expect(status.decisions).toEqual(
      expect.arrayContaining([
        { result: 'approved', reason: 'granted', count: 11 },
        { result: 'denied', reason: 'capacity', count: 89 },
      ]),
    );
  });

  it('queues a waiting request and answers its long poll as soon as capacity frees', async () => {
    const holder = (await h.post(REQUEST, { addon_id: 'big', cost_units: 70 })).body.lease_id;
    const queued = await h.post(REQUEST, { addon_id: 'w', cost_units: 20, wait: true });
    expect(queued.body).toMatchObject({
      approved: false,
      reason: 'Capacity exceeded: used=70, requested=20, capacity=80',
      queue: { position: 1, length: 1 },
    });
    const queueId = queued.body.queue.queue_id as string;
    expect(queued.body.queue.poll).toBe(`/api/scheduler/queue/${queueId}?wait_sec=25`);
    const second = await h.post(REQUEST, { addon_id: 'v', cost_units: 5, wait: true });
    expect(second.body.queue.position).toBe(2);
    expect(second.body.reason).toBe('Queued requests ahead: 1 waiting for capacity');
    const poll = h.get(`/api/scheduler/queue/${queueId}?wait_sec=20`);
    await new Promise((r) => setTimeout(r, 50));
    await h.post(`/api/scheduler/lease/${holder}/release`);
    const answer = await poll;
    // Approved: the release woke the poll (a poll that ran out its 20 s answers not approved).
    expect(answer.body).toMatchObject({ approved: true, limits: { heartbeat_ttl_sec: 30 } });
    expect((await h.get(`/api/scheduler/lease/${answer.body.lease_id}`)).body.addon_id).toBe('w');
    // The second waiter fitted too, in the same dispatch.
    expect((await h.get(`/api/scheduler/queue/${second.body.queue.queue_id}`)).body.approved).toBe(true);
    const cancel = await h.post(`/api/scheduler/queue/${queueId}/cancel`);
    expect(cancel.status).toBe(409);
  });

  it('does not let a pending long poll hold up the agent shutdown', async () => {
    await h.post(REQUEST, { addon_id: 'big', cost_units: 80 });
    const queued = await h.post(REQUEST, { addon_id: 'w', cost_units: 20, wait: true });
    const poll = h.get(`/api/scheduler/queue/${queued.body.queue.queue_id}?wait_sec=30`).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await h.stop();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await poll).toBeInstanceOf(Error);
  });

  it('revokes a lease: the holder learns it at its next heartbeat', async () => {
    const id = (await h.post(REQUEST, seedRequest)).body.lease_id;
    const revoked = await h.post(`/api/scheduler/lease/${id}/revoke`, { reason: 'operator needs the box' });
    expect(revoked.body).toMatchObject({ state: 'REVOKED', end_reason: 'revoked: operator needs the box' });
    const beat = await h.post(`/api/scheduler/lease/${id}/heartbeat`);
    expect(beat.status).toBe(409);
    expect(beat.body.error).toMatch(/REVOKED: revoked: operator needs the box/);
    expect((await h.get('/api/scheduler/status')).body.capacity.used_units).toBe(0);
  });

  it('persists grant, deny, release, expire and revoke events', async () => {
    const a = (await h.post(REQUEST, { addon_id: 'a', cost_units: 60 })).body.lease_id;
    await h.post(REQUEST, { addon_id: 'b', cost_units: 60 });
    await h.post(`/api/scheduler/lease/${a}/release`);
    const b = (await h.post(REQUEST, { addon_id: 'b', cost_units: 10 })).body.lease_id;
    await h.post(`/api/scheduler/lease/${b}/revoke`);
    await h.post(REQUEST, { addon_id: 'c', cost_units: 10 });
    h.clock.advance(30_000);
    const events = h.module.leases!.events(10);
    expect(events.map((e) => `${e.event}:${e.addonId}`)).toEqual(['expire:c', 'grant:c', 'revoke:b', 'grant:b', 'release:a', 'deny:b', 'grant:a']);
    expect(events[5].reason).toBe('Capacity exceeded: used=60, requested=60, capacity=80');
  });

  it('reports the sysmon.scheduler.* and sysmon.quiet.* metrics at each collection', async () => {
    await h.post(REQUEST, { addon_id: 'a', cost_units: 30 });
    await h.post(REQUEST, { addon_id: 'a', cost_units: 60 });
    const points = await h.collect('QUIET');
    const value = (name: string) => points.get(name)?.map((p) => [p.value, p.attributes]);
    expect(value('sysmon.scheduler.capacity.limit')).toEqual([[80, {}]]);
    expect(value('sysmon.scheduler.capacity.used')).toEqual([[30, {}]]);
    expect(value('sysmon.scheduler.leases.active')).toEqual([[1, {}]]);
    expect(value('sysmon.scheduler.decisions')).toEqual([
      [1, { result: 'approved', reason: 'granted' }],
      [1, { result: 'denied', reason: 'capacity' }],
    ]);
    expect(value('sysmon.quiet.state')).toContainEqual([1, { state: 'QUIET' }]);
    expect(points.get('sysmon.quiet.score')![0].value).toBeGreaterThanOrEqual(75);
  });
});
