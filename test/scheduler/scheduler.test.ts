import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { statusJson, statusMovesWithTime } from '../../src/scheduler/json.js';
import { LeaseRepo } from '../../src/scheduler/lease-repo.js';
import {
  LeaseNotFoundError,
  LeaseScheduler,
  LeaseStateError,
  SchedulerRequestError,
  type SchedulerSettings,
} from '../../src/scheduler/scheduler.js';
import type { LeaseRequest, Priority, QuietState } from '../../src/scheduler/types.js';
import { type Db, openStore } from '../../src/store/store.js';
import { ManualClock } from './manual-clock.js';

const SETTINGS: SchedulerSettings = {
  capacityUnits: 100,
  headroomUnits: 20,
  ttlMs: 30_000,
  maxLeases: 10,
  maxPerAddon: 10,
  cooldownMs: 120_000,
  intervalMs: 10_000,
  queueMax: 50,
};

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function storeFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sysmon-sched-'));
  dirs.push(dir);
  return join(dir, 'store.db');
}

function setup(over: Partial<SchedulerSettings> = {}, file = storeFile(), clock = new ManualClock()) {
  const db = openStore(file);
  dbs.push(db);
  const repo = new LeaseRepo(db);
  const s = new LeaseScheduler({ ...SETTINGS, ...over }, { log: repo, clock });
  const started = s.start();
  const quiet = (state: QuietState, msUntilQuiet = 0) => s.observe({ state, score: 50, msUntilQuiet });
  quiet('QUIET');
  return { s, repo, clock, file, db, quiet, started };
}

const req = (addonId: string, costUnits: number, priority: Priority = 'NORMAL'): LeaseRequest => ({
  addonId,
  jobType: 'test',
  costUnits,
  priority,
  expectedDurationSec: undefined,
  constraints: { cpu_heavy: true, disk_write_heavy: false, network_heavy: false },
});

describe('lease scheduler: expiry and lifecycle', () => {
  it('expires a lease without heartbeats after the TTL and frees its capacity at once', () => {
    const { s, clock, repo } = setup();
    const a = s.request(req('a', 60), false).lease!;
    expect(s.request(req('b', 30), false).decision.reason).toBe('Capacity exceeded: used=60, requested=30, capacity=80');
    clock.advance(29_999);
    expect(s.usedUnits()).toBe(60);
    clock.advance(1);
    // The timer fired at the deadline: the units are free and the lease is EXPIRED as of its deadline.
    expect(s.usedUnits()).toBe(0);
    expect(s.lease(a.id)).toMatchObject({ state: 'EXPIRED', endedAt: a.grantedAt + 30_000, endReason: 'no heartbeat for 30s' });
    expect(repo.events(1)[0]).toMatchObject({ event: 'expire', leaseId: a.id, at: a.grantedAt + 30_000 });
    expect(s.request(req('b', 30), false).decision.approved).toBe(true);
  });

  it('expires lapsed leases before deciding even when no timer ran', () => {
    const { s, clock } = setup();
    const a = s.request(req('a', 80), false).lease!;
    // Time passes but no timer runs, as with a stalled event loop.
    clock.jump(31_000);
    expect(s.request(req('b', 80), false).decision.approved).toBe(true);
    expect(s.lease(a.id)!.state).toBe('EXPIRED');
  });

  it('keeps a lease alive while it heartbeats, and refuses heartbeats on an ended or unknown lease', () => {
    const { s, clock, repo } = setup();
    const a = s.request(req('a', 10), false).lease!;
    for (let i = 0; i < 5; i++) {
      clock.advance(20_000);
      expect(s.heartbeat(a.id).expiresAt).toBe(clock.now() + 30_000);
    }
    expect(s.lease(a.id)!.state).toBe('ACTIVE');
    clock.advance(30_000);
    const events = repo.events(1000).length;
    expect(() => s.heartbeat(a.id)).toThrow(LeaseStateError);
    expect(() => s.heartbeat(a.id)).toThrow(/is EXPIRED: no heartbeat for 30s/);
    expect(() => s.heartbeat('never-granted')).toThrow(LeaseNotFoundError);
    expect(() => s.release(a.id, undefined)).toThrow(LeaseStateError);
    expect(repo.events(1000).length).toBe(events);
  });

  it('records reports, releases and revokes with their events', () => {
    const { s, clock, repo } = setup();
    const a = s.request(req('a', 10), false).lease!;
    clock.advance(25_000);
    s.report(a.id, { progress_pct: 40, message: 'halfway-ish' });
    clock.advance(25_000);
    expect(s.lease(a.id)!.state).toBe('ACTIVE');
    const released = s.release(a.id, { exit_code: 0, wall_seconds: 50 });
    expect(released).toMatchObject({ state: 'RELEASED', report: { progress_pct: 40, message: 'halfway-ish', exit_code: 0, wall_seconds: 50 } });
    const b = s.request(req('b', 10), false).lease!;
    expect(s.revoke(b.id, 'disk maintenance')).toMatchObject({ state: 'REVOKED', endReason: 'revoked: disk maintenance' });
    expect(() => s.heartbeat(b.id)).toThrow(/REVOKED: revoked: disk maintenance/);
    expect(repo.events(10).map((e) => e.event)).toEqual(['revoke', 'grant', 'release', 'report', 'grant']);
    expect(repo.find(a.id)).toMatchObject({ state: 'RELEASED', report: { progress_pct: 40, exit_code: 0 } });
    expect(s.recent().map((l) => l.id)).toEqual([b.id, a.id]);
  });

  it('refuses a cost the host can never grant (409) and a full queue (429), storing nothing', () => {
    const { s, repo } = setup({ queueMax: 1 });
    expect(() => s.request(req('a', 81), false)).toThrow(SchedulerRequestError);
    expect(() => s.request(req('a', 81), true)).toThrow(/exceeds the most this host ever grants \(80/);
    s.request(req('a', 80), false);
    s.request(req('b', 10), true);
    const before = repo.events(1000).length;
    try {
      s.request(req('c', 10), true);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ status: 429, field: 'wait' });
    }
    expect(repo.events(1000).length).toBe(before);
  });

  it('never grants beyond capacity or the caps, whatever the mix of requests', () => {
    const { s } = setup({ maxLeases: 6, maxPerAddon: 3 });
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    for (let i = 0; i < 500; i++) {
      const r = rand(10);
      if (r < 6) s.request(req(`addon-${rand(4)}`, 1 + rand(40)), false);
      else if (r < 9 && s.activeLeases().length) s.release(s.activeLeases()[rand(s.activeLeases().length)].id, undefined);
      expect(s.usedUnits()).toBeLessThanOrEqual(80);
      expect(s.activeLeases().length).toBeLessThanOrEqual(6);
      const perAddon = new Map<string, number>();
      for (const l of s.activeLeases()) perAddon.set(l.request.addonId, (perAddon.get(l.request.addonId) ?? 0) + 1);
      for (const n of perAddon.values()) expect(n).toBeLessThanOrEqual(3);
    }
  });
});

describe('lease scheduler: quiet state and cool-down', () => {
  it('refuses during PANIC and the cool-down after it, then lets waiting requests run when it ends', async () => {
    const { s, clock, quiet } = setup();
    quiet('PANIC', 30_000);
    expect(s.request(req('a', 10, 'HIGH'), false).decision).toMatchObject({
      reason: 'System is PANIC; waiting for QUIET',
      retryAfterSec: 150,
    });
    clock.advance(10_000);
    quiet('QUIET');
    const denied = s.request(req('a', 10, 'HIGH'), false).decision;
    // The cool-down runs from the last moment PANIC was in force (10 s ago).
    expect(denied).toMatchObject({ reason: 'Recent PANIC detected; cooling down', retryAfterSec: 110 });
    const queued = s.request(req('b', 10), true).queued!;
    expect(queued.status).toBe('waiting');
    const id = queued.status === 'waiting' ? queued.ticket.id : '';
    const polled = s.waitTicket(id, 200_000);
    clock.advance(109_999);
    expect(s.activeLeases()).toHaveLength(0);
    clock.advance(1);
    const view = await polled;
    expect(view.status).toBe('granted');
    expect(s.activeLeases()).toHaveLength(1);
  });

  it('lets HIGH priority run when the host is not QUIET, within the reduced capacity', () => {
    const { s, quiet } = setup();
    quiet('BUSY', 30_000);
    expect(s.request(req('a', 10), false).decision.reason).toBe('System is BUSY; waiting for QUIET');
    expect(s.request(req('a', 50, 'HIGH'), false).decision.reason).toBe('Capacity exceeded: used=0, requested=50, capacity=40');
    expect(s.request(req('a', 40, 'HIGH'), false).decision.approved).toBe(true);
  });
});

describe('lease scheduler: wait queue', () => {
  it('dispatches by priority and takes turns across addons as capacity frees', async () => {
    const { s } = setup();
    const holder = s.request(req('big', 80), false).lease!;
    const tickets: Record<string, string> = {};
    const enqueue = (name: string, addon: string, priority: Priority = 'NORMAL') => {
      const out = s.request(req(addon, 20, priority), true);
      expect(out.decision.approved).toBe(false);
      tickets[name] = out.queued!.status === 'waiting' ? out.queued!.ticket.id : '';
    };
    enqueue('a1', 'a');
    enqueue('a2', 'a');
    enqueue('a3', 'a');
    enqueue('b1', 'b');
    enqueue('h1', 'c', 'HIGH');
    expect(s.queued().map((q) => Object.keys(tickets).find((k) => tickets[k] === q.ticket.id))).toEqual(['h1', 'a1', 'b1', 'a2', 'a3']);
    const pos = s.ticket(tickets.a2);
    expect(pos.status === 'waiting' && [pos.position, pos.length]).toEqual([4, 5]);
    // A request that does not wait cannot jump the queue.
    expect(s.request(req('z', 1), false).decision.reason).toBe('Queued requests ahead: 5 waiting for capacity');
    s.release(holder.id, undefined);
    // 80 units free: the first four in queue order get 20 each.
    const grantedAddons = s.activeLeases().map((l) => `${l.request.addonId}:${l.request.priority}`);
    expect(grantedAddons).toEqual(['c:HIGH', 'a:NORMAL', 'b:NORMAL', 'a:NORMAL']);
    expect(s.ticket(tickets.a3).status).toBe('waiting');
    const granted = s.ticket(tickets.b1);
    expect(granted.status === 'granted' && granted.lease.request.addonId).toBe('b');
  });

  it('does not let a small request pass a large one that waits for capacity (no starvation)', () => {
    const { s } = setup();
    const first = s.request(req('x', 50), false).lease!;
    s.request(req('y', 20), false);
    s.request(req('big', 60), true);
    s.request(req('small', 5), true);
    s.release(first.id, undefined);
    // 60 free: big (60) is first in line and fits; small waits behind it.
    expect(s.activeLeases().map((l) => l.request.addonId).sort()).toEqual(['big', 'y']);
    expect(s.queued().map((q) => q.ticket.addonId)).toEqual(['small']);
  });

  it('skips an entry held back only by its own addon cap', () => {
    const { s } = setup({ maxPerAddon: 1 });
    const a = s.request(req('a', 70), false).lease!;
    s.request(req('a', 10), true);
    s.request(req('b', 20), true);
    s.release(a.id, undefined);
    expect(s.activeLeases().map((l) => l.request.addonId).sort()).toEqual(['a', 'b']);
    const c = s.request(req('c', 10), true);
    expect(c.decision.approved).toBe(true);
  });

  it('answers a long poll at once on grant, after its wait otherwise, and drops tickets nobody polls', async () => {
    const { s, clock } = setup();
    const holder = s.request(req('h', 80), false).lease!;
    const t1 = s.request(req('a', 10), true).queued!;
    const t2 = s.request(req('b', 10), true).queued!;
    const id1 = t1.status === 'waiting' ? t1.ticket.id : '';
    const id2 = t2.status === 'waiting' ? t2.ticket.id : '';
    const timedOut = s.waitTicket(id1, 5_000);
    clock.advance(5_000);
    expect((await timedOut).status).toBe('waiting');
    // id1 was polled at +5 s; id2 never: after the TTL id2 is dropped, id1 is kept until +35 s.
    clock.advance(25_000 - 1);
    s.heartbeat(holder.id);
    clock.advance(1);
    expect(() => s.ticket(id2)).toThrow(/no queued request with queue_id/);
    expect(s.ticket(id1).status).toBe('waiting');
    const waiting = s.waitTicket(id1, 25_000);
    clock.advance(10_000);
    s.release(holder.id, undefined);
    const view = await waiting;
    expect(view.status).toBe('granted');
    expect(() => s.cancelTicket(id1)).toThrow(/already granted/);
  });

  it('cancels a queued request', () => {
    const { s } = setup();
    s.request(req('h', 80), false);
    const t = s.request(req('a', 10), true).queued!;
    const id = t.status === 'waiting' ? t.ticket.id : '';
    s.cancelTicket(id);
    expect(s.queued()).toHaveLength(0);
    expect(() => s.cancelTicket(id)).toThrow(SchedulerRequestError);
  });

  it('keeps a per-addon decision summary and counts decisions by result and reason', () => {
    const { s, clock } = setup();
    s.request(req('a', 70), false);
    s.request(req('b', 20), false);
    s.request(req('b', 20), true);
    expect(s.addonSummaries().get('b')).toMatchObject({
      requests: 2,
      granted: 0,
      denied: 1,
      queued: 1,
      lastResult: 'queued',
      lastReason: 'Capacity exceeded: used=70, requested=20, capacity=80',
      retryNotBefore: clock.now() + 30_000,
    });
    expect(s.decisionCounts()).toEqual([
      { result: 'approved', reason: 'granted', count: 1 },
      { result: 'denied', reason: 'capacity', count: 1 },
      { result: 'queued', reason: 'capacity', count: 1 },
    ]);
  });
});

describe('lease scheduler: restart', () => {
  it('stores each decision within one event-loop turn, without waiting for it', async () => {
    const { s, file } = setup();
    const lease = s.request(req('a', 10), false).lease!;
    s.request(req('b', 80), false);
    // Another connection to the same store sees nothing yet: the writes are queued behind the decisions.
    const other = openStore(file);
    dbs.push(other);
    const count = () => other.prepare('SELECT COUNT(*) AS n FROM lease_events').get() as { n: number };
    expect(count().n).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(count().n).toBe(2);
    expect(new LeaseRepo(other).find(lease.id)!.state).toBe('ACTIVE');
  });


  it('restores leases still within their deadline and expires the others at their deadline', () => {
    const file = storeFile();
    const clock = new ManualClock();
    const first = setup({}, file, clock);
    const early = first.s.request(req('a', 10), false).lease!;
    clock.advance(20_000);
    const late = first.s.request(req('b', 20), false).lease!;
    first.s.close();
    first.db.close();
    dbs.splice(dbs.indexOf(first.db), 1);

    // Down for 15 s: early's deadline (+30 s) passed, late's (+50 s) did not.
    clock.jump(15_000);
    const second = setup({}, file, clock);
    expect(second.started.restored.map((l) => l.id)).toEqual([late.id]);
    expect(second.started.expired.map((l) => l.id)).toEqual([early.id]);
    expect(second.s.lease(early.id)).toMatchObject({
      state: 'EXPIRED',
      endedAt: early.grantedAt + 30_000,
      endReason: 'expired while the agent was down',
    });
    const restored = second.s.lease(late.id)!;
    expect(restored).toMatchObject({ state: 'ACTIVE', expiresAt: late.grantedAt + 30_000 });
    expect(second.s.usedUnits()).toBe(20);
    // Its holder keeps heartbeating as if nothing happened.
    expect(second.s.heartbeat(late.id).expiresAt).toBe(clock.now() + 30_000);
    expect(second.repo.events(3).map((e) => e.event)).toEqual(['restore', 'expire', 'grant']);
    // And the restored deadline is enforced.
    clock.advance(30_000);
    expect(second.s.lease(late.id)!.state).toBe('EXPIRED');
  });

  it('stores a lasting PANIC when it starts, every 30 s and when it ends, not at every assessment', () => {
    const { repo, clock, quiet } = setup();
    const start = clock.now();
    quiet('PANIC');
    expect(repo.lastPanicAt()).toBe(start);
    clock.advance(10_000);
    quiet('PANIC');
    expect(repo.lastPanicAt()).toBe(start);
    clock.advance(20_000);
    quiet('PANIC');
    expect(repo.lastPanicAt()).toBe(start + 30_000);
    clock.advance(10_000);
    quiet('PANIC');
    clock.advance(10_000);
    quiet('BUSY');
    // The cool-down runs from the last PANIC assessment.
    expect(repo.lastPanicAt()).toBe(start + 40_000);
  });

  it('keeps a cool-down across a restart', () => {
    const file = storeFile();
    const clock = new ManualClock();
    const first = setup({}, file, clock);
    first.quiet('PANIC');
    first.s.close();
    first.db.close();
    dbs.splice(dbs.indexOf(first.db), 1);
    clock.advance(60_000);
    const second = setup({}, file, clock);
    expect(second.s.request(req('a', 10, 'HIGH'), false).decision).toMatchObject({
      reason: 'Recent PANIC detected; cooling down',
      retryAfterSec: 60,
    });
  });
});

describe('lease scheduler: revision', () => {
  it('changes whenever the status changes, but for what moves with the clock', () => {
    const { s, clock, quiet } = setup({ ttlMs: 30_000, cooldownMs: 60_000 });
    // The status as a page shows it; generated_at is the clock, not the scheduler.
    const shown = () => {
      const { generated_at: _, ...rest } = statusJson(s, clock.now());
      return JSON.stringify(rest);
    };
    let before = { revision: s.revision, status: shown(), moves: statusMovesWithTime(s, clock.now()) };
    let changes = 0;
    const step = (what: string, act: () => unknown): void => {
      act();
      const now = { revision: s.revision, status: shown(), moves: statusMovesWithTime(s, clock.now()) };
      // A status that changed while neither side moved with the clock must come with a new revision.
      if (now.status !== before.status && !before.moves && !now.moves) expect(now.revision, what).not.toBe(before.revision);
      if (now.revision !== before.revision) changes++;
      before = now;
    };
    let lease = '';
    step('grant', () => (lease = s.request(req('a', 30), false).lease!.id));
    step('idle time', () => clock.advance(5_000));
    step('heartbeat', () => s.heartbeat(lease));
    step('report', () => s.report(lease, { progress_pct: 50 }));
    step('deny', () => s.request(req('b', 70), false));
    step('retry window over', () => {
      clock.advance(20_000);
      s.heartbeat(lease);
      clock.advance(11_000);
    });
    step('release', () => s.release(lease, undefined));
    step('grant again', () => (lease = s.request(req('a', 10), false).lease!.id));
    step('expire', () => clock.advance(31_000));
    step('BUSY', () => quiet('BUSY'));
    step('BUSY again', () => quiet('BUSY'));
    step('QUIET', () => quiet('QUIET'));
    step('grant a third', () => (lease = s.request(req('c', 10), false).lease!.id));
    step('revoke', () => s.revoke(lease, 'test'));
    step('PANIC', () => quiet('PANIC'));
    step('cool-down over', () => clock.advance(61_000));
    step('QUIET after', () => quiet('QUIET'));
    // Idle with nothing happening: same revision, nothing that moves with the clock.
    const idle = s.revision;
    step('idle', () => clock.advance(600_000));
    step('same state', () => quiet('QUIET'));
    expect(s.revision).toBe(idle);
    expect(statusMovesWithTime(s, clock.now())).toBe(false);
    expect(changes).toBeGreaterThanOrEqual(12);
  });

  it('moves with the clock while a request waits or a cool-down runs', () => {
    const { s, clock, quiet } = setup();
    expect(statusMovesWithTime(s, clock.now())).toBe(false);
    s.request(req('h', 80), false);
    const t = s.request(req('a', 10), true).queued!;
    expect(statusMovesWithTime(s, clock.now())).toBe(true);
    s.cancelTicket(t.status === 'waiting' ? t.ticket.id : '');
    // b's retry window (from the denial behind the queue) still runs.
    expect(statusMovesWithTime(s, clock.now())).toBe(true);
    clock.advance(31_000);
    s.request(req('x', 1), false);
    quiet('PANIC');
    expect(statusMovesWithTime(s, clock.now())).toBe(true);
  });
});
