import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addSample, emptyAggregate, mergeAggregate, pointJson } from '../../src/history/aggregate.js';
import { health } from '../../src/history/health.js';
import { HistoryRecorder, type HistorySettings } from '../../src/history/recorder.js';
import { HistoryRepo } from '../../src/history/repo.js';
import type { Assessment } from '../../src/scheduler/quiet.js';
import type { QuietState } from '../../src/scheduler/types.js';
import { type Db, openStore } from '../../src/store/store.js';
import { type SchedulerHarness, startSchedulerHarness } from './harness.js';
import { ManualClock } from './manual-clock.js';

const MIN = 60_000;
const SETTINGS: HistorySettings = { intervalMs: 10_000, retentionMs: 7 * 86_400_000, rollupStepMs: 5 * MIN, rollupRetentionMs: 90 * 86_400_000 };

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function storeDb(): { db: Db; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sysmon-hist-'));
  const file = join(dir, 'store.db');
  const db = openStore(file);
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanup.unshift(() => db.open && db.close());
  return { db, file };
}

function assessment(atMs: number, state: QuietState, score: number): Assessment {
  return { atMs, score, state, rawState: state, sinceMs: 0, pending: undefined, reasons: [], inputs: { api_requests: 0, api_rps: 0 }, host: { psi: {} } };
}

function recorder(db: Db, clock: ManualClock, settings = SETTINGS) {
  let n = 0;
  return new HistoryRecorder(new HistoryRepo(db), settings, clock, () => {
    n++;
    return {
      quiet: { score: 50 + (n % 2) * 10, state: n % 3 === 0 ? 'BUSY' : 'QUIET' },
      host: { mem_pct: n },
      api: {},
      scheduler: {},
      process: {},
      disk: {},
      network: {},
    };
  });
}

describe('history aggregation', () => {
  it('averages numbers, keeps the worst state and the last string, and merges rollups', () => {
    const a = emptyAggregate();
    addSample(a, { score: 80, state: 'QUIET', note: 'x', reasons: ['ignored'] });
    addSample(a, { score: 40, state: 'BUSY', note: 'y' });
    const b = emptyAggregate();
    addSample(b, { score: 90, state: 'NORMAL' });
    mergeAggregate(a, b);
    expect(pointJson(0, a)).toEqual({
      t: '1970-01-01T00:00:00.000Z',
      samples: 3,
      avg: { score: 70 },
      min: { score: 40 },
      max: { score: 90 },
      state: 'BUSY',
      note: 'y',
    });
  });
});

describe('history recorder', () => {
  it('samples every group at most once per interval and rolls up completed buckets', () => {
    const { db } = storeDb();
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const r = recorder(db, clock);
    // One assessment every 2 s for 12 minutes: a sample every 10 s.
    for (let t = 0; t < 12 * MIN; t += 2000) r.observe(assessment(clock.now() + t, 'QUIET', 90));
    const start = clock.now();
    expect(r.repo.samples('host', start, start + 12 * MIN)).toHaveLength(72);
    expect(r.repo.samples('quiet', start, start + 12 * MIN)[0].payload).toEqual({ score: 60, state: 'QUIET' });
    // Buckets 12:00 and 12:05 are complete; 12:10 is still filling.
    const rollups = r.repo.rollups('host', start, start + 12 * MIN);
    expect(rollups.map((x) => x.bucketStart - start)).toEqual([0, 5 * MIN]);
    expect(rollups[0].aggregate.samples).toBe(30);
    expect(rollups[0].aggregate.numbers.mem_pct).toMatchObject({ min: 1, max: 30, n: 30 });
    expect(r.repo.rollups('quiet', start, start + MIN)[0].aggregate.states.state).toBe('BUSY');
  });

  it('rolls up buckets a previous run left behind', () => {
    const { db } = storeDb();
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const start = clock.now();
    const repo = new HistoryRepo(db);
    repo.addSamples(start + 1000, { host: { mem_pct: 10 } });
    repo.addSamples(start + 6 * MIN, { host: { mem_pct: 20 } });
    const r = new HistoryRecorder(repo, SETTINGS, clock, () => ({ quiet: {}, host: { mem_pct: 30 }, api: {}, scheduler: {}, process: {}, disk: {}, network: {} }));
    r.observe(assessment(start + 60 * MIN, 'QUIET', 90));
    expect(repo.rollups('host', start, start + 60 * MIN).map((x) => [(x.bucketStart - start) / MIN, x.aggregate.numbers.mem_pct.sum])).toEqual([
      [0, 10],
      [5, 20],
    ]);
  });

  it('purges raw samples and lease events after the retention, rollups and streaks after theirs', async () => {
    const { db } = storeDb();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const repo = new HistoryRepo(db);
    const day = 86_400_000;
    const now = clock.now();
    for (const age of [1, 6, 8, 30, 100]) {
      repo.addSamples(now - age * day, { host: { mem_pct: age } });
      repo.putRollup('host', { bucketStart: now - age * day, bucketMs: 5 * MIN, aggregate: emptyAggregate() });
      repo.insertStreak({ startAt: now - age * day - 1000, endAt: now - age * day, open: false, avgScore: 90, minScore: 80, samples: 2 });
      db.prepare("INSERT INTO lease_events (at, event, addon_id, reason) VALUES (?, 'deny', 'a', 'x')").run(now - age * day);
    }
    const r = new HistoryRecorder(repo, SETTINGS, clock, () => ({ quiet: {}, host: {}, api: {}, scheduler: {}, process: {}, disk: {}, network: {} }));
    const deleted = await r.purge();
    expect(deleted).toMatchObject({ stats_samples: 3, lease_events: 3, stats_rollups: 1, quiet_streaks: 1 });
    expect(repo.samples('host', 0, now).map((s) => s.payload.mem_pct)).toEqual([6, 1]);
    expect(repo.rollups('host', 0, now)).toHaveLength(4);
  });

  it('tracks quiet streaks with average and minimum score, and closes one left open by a restart', () => {
    const { db, file } = storeDb();
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    const t0 = clock.now();
    const r = recorder(db, clock);
    const feed = (offsetMin: number, state: QuietState, score: number) => r.observe(assessment(t0 + offsetMin * MIN, state, score));
    feed(0, 'BUSY', 30);
    feed(1, 'QUIET', 80);
    feed(2, 'QUIET', 90);
    feed(3, 'QUIET', 100);
    feed(4, 'NORMAL', 60);
    feed(5, 'QUIET', 76);
    feed(6, 'QUIET', 78);
    const list = r.streaks.list(t0 - 1);
    expect(list.map((s) => [(s.startAt - t0) / MIN, (s.endAt - t0) / MIN, s.avgScore, s.minScore, s.open])).toEqual([
      [1, 4, 90, 80, false],
      [5, 6, 77, 76, true],
    ]);
    r.flush();
    db.close();
    // The next run sees the open streak as ended at its last stored observation.
    const again = new HistoryRecorder(new HistoryRepo(openStore(file)), SETTINGS, clock, () => ({ quiet: {}, host: {}, api: {}, scheduler: {}, process: {}, disk: {}, network: {} }));
    cleanup.unshift(() => again.repo.db.close());
    expect(again.streaks.list(t0).map((s) => [(s.endAt - t0) / MIN, s.open])).toEqual([
      [4, false],
      [6, false],
    ]);
  });
});

describe('health rollup', () => {
  const base = { nowMs: 100_000, intervalMs: 10_000, collectorErrors: [], cooldownUntilMs: undefined, historyError: undefined };
  it.each([
    ['QUIET', 'ok', ['quiet state QUIET, score 90']],
    ['NORMAL', 'ok', ['quiet state NORMAL, score 90']],
    ['BUSY', 'warn', ['quiet state BUSY: r1']],
    ['PANIC', 'error', ['quiet state PANIC: r1']],
  ] as const)('%s -> %s', (state, status, reasons) => {
    const a = { ...assessment(95_000, state, 90), reasons: ['r1'] };
    expect(health({ ...base, assessment: a })).toEqual({ status, reasons });
  });

  it('is an error without a fresh collection and warns on collector errors, cool-down and store failures', () => {
    expect(health({ ...base, assessment: undefined }).status).toBe('error');
    expect(health({ ...base, assessment: assessment(60_000, 'QUIET', 90) })).toEqual({ status: 'error', reasons: ['no collection for 40s'] });
    const warn = health({
      ...base,
      assessment: assessment(99_000, 'QUIET', 90),
      collectorErrors: [{ collector: 'pressure', message: 'EACCES' }],
      cooldownUntilMs: 130_000,
      historyError: 'disk I/O error',
    });
    expect(warn).toEqual({
      status: 'warn',
      reasons: ['cooling down after PANIC for 30s more', '1 collector error(s): pressure: EACCES', 'history store failing: disk I/O error'],
    });
  });
});

describe('system-stats API', () => {
  let h: SchedulerHarness;
  afterEach(async () => h && (await h.stop()));

  it('system-stats disk (per mount, busiest disk) and network (per interface) groups, current and history', async () => {
    h = await startSchedulerHarness({ historyInterval: '10s' });
    const fs = (mount: string, used: number, free: number) => {
      const a = { 'system.device': '/dev/vda', 'system.filesystem.type': 'ext4', 'system.filesystem.mode': 'rw', 'system.filesystem.mountpoint': mount };
      return { utilization: { attributes: a, value: used }, free: { attributes: { ...a, 'system.filesystem.state': 'free' }, value: free } };
    };
    const host = (i: number) => ({
      'system.disk.io_time': [
        { attributes: { 'system.device': 'vda' }, value: 100 + 5 * i },
        { attributes: { 'system.device': 'vdb' }, value: 7 + 0.2 * i },
      ],
      'system.filesystem.utilization': [fs('/', 0.25, 0).utilization, fs('/var/lib/otel-sysmon', 0.5, 0).utilization],
      'system.filesystem.usage': [fs('/', 0, 3 * 1048576).free, fs('/var/lib/otel-sysmon', 0, 1048576).free],
      'system.network.io': [
        { attributes: { 'network.interface.name': 'eth0', 'network.io.direction': 'receive' }, value: 1000 + 20_000 * i },
        { attributes: { 'network.interface.name': 'eth0', 'network.io.direction': 'transmit' }, value: 5000 * i },
      ],
    });
    for (let i = 0; i < 3; i++) {
      await h.collect('QUIET', host(i));
      h.clock.advance(10_000);
    }
    const current = (await h.get('/api/system-stats/current')).body;
    // vda was busy 5 s of each 10 s; vdb 0.2 s.
    expect(current.disk).toEqual({ io_busy_pct: 50, '/:used_pct': 25, '/:free_mb': 3, '/var/lib/otel-sysmon:used_pct': 50, '/var/lib/otel-sysmon:free_mb': 1 });
    expect(current.network).toEqual({ 'eth0:rx_bytes_per_s': 2000, 'eth0:tx_bytes_per_s': 500 });
    expect(current.quiet.inputs.disk_io_busy_pct).toBe(50);
    expect(current.quiet).toMatchObject({ state: 'NORMAL', reasons: ['disk busy 50% > 20% (NORMAL)'] });
    const history = (await h.get('/api/system-stats/history?group=network&range=5m&step=1m')).body;
    expect(history.points.at(-1)).toMatchObject({ avg: { 'eth0:rx_bytes_per_s': 2000 } });
  });

  it('serves current, history, health and quiet streaks', async () => {
    h = await startSchedulerHarness({ historyInterval: '10s' });
    const start = h.clock.now();
    // 350 s from 12:00:00: the 12:00 rollup bucket completes at 12:05.
    for (let i = 0; i < 35; i++) {
      await h.collect(i < 20 ? 'QUIET' : 'BUSY');
      h.clock.advance(10_000);
    }
    const current = (await h.get('/api/system-stats/current')).body;
    expect(current).toMatchObject({
      quiet: { state: 'BUSY', inputs: { mem_pct: 85, disk_free_pct: 50 } },
      host: { mem_pct: 85, disk_free_pct: 50 },
      scheduler: { capacity_limit: 40, capacity_used: 0, leases_active: 0, queued: 0 },
      errors: [],
    });
    expect(current.process.rss_mb).toBeGreaterThan(1);
    expect(Object.keys(current.api)).toEqual(['requests', 'rps', 'error_pct', 'client_error_pct', 'p95_ms']);

    const history = (await h.get('/api/system-stats/history?group=quiet&range=5m&step=1m')).body;
    expect(history).toMatchObject({ group: 'quiet', range_sec: 300, step_sec: 60, source: 'raw' });
    expect(history.points.length).toBeGreaterThanOrEqual(5);
    expect(history.points.at(-1)).toMatchObject({ state: 'BUSY', avg: { mem_pct: 85 } });
    expect(history.points.reduce((n: number, p: { samples: number }) => n + p.samples, 0)).toBe(30);
    const host = (await h.get('/api/system-stats/history?group=host&range=30d&step=1h')).body;
    expect(host).toMatchObject({ source: 'rollup', step_sec: 3600 });
    expect(host.points).toHaveLength(1);
    expect(host.points[0]).toMatchObject({ t: new Date(start).toISOString(), samples: 30, min: { mem_pct: 40 }, max: { mem_pct: 85 } });

    const streaks = (await h.get('/api/system-stats/quiet-streaks')).body;
    expect(streaks).toMatchObject({ count: 1, quiet_sec: 200, longest_sec: 200 });
    expect(streaks.streaks[0]).toMatchObject({ start: new Date(start).toISOString(), open: false, min_score: 84 });

    const healthy = (await h.get('/api/system-stats/health')).body;
    expect(healthy).toMatchObject({
      status: 'warn',
      reasons: ['quiet state BUSY: memory 85% > 80% (BUSY)'],
      quiet: { state: 'BUSY' },
      quiet_streaks_24h: { count: 1, quiet_sec: 200, longest_sec: 200 },
    });
    // Three intervals without a collection: the agent is not measuring any more.
    h.clock.advance(30_000);
    const stale = (await h.get('/api/system-stats/health')).body;
    expect(stale.status).toBe('error');
    expect(stale.reasons[0]).toBe('no collection for 40s');
  });

  it.each([
    ['group=nope', 'group'],
    ['group=quiet&range=soon', 'range'],
    ['group=quiet&range=365d', 'range'],
    ['group=quiet&range=1h&step=0s', 'step'],
    ['group=quiet&range=1h&step=2h', 'step'],
    ['group=quiet&range=30d&step=1s', 'step'],
  ])('refuses history?%s naming %s', async (query, field) => {
    h = await startSchedulerHarness();
    const r = await h.get(`/api/system-stats/history?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.field).toBe(field);
  });
});
