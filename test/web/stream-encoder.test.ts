// The event stream's encoding: after the full state, metrics whose series are unchanged travel as
// values only (as the name alone when the values are unchanged too, as a list lined up with the
// previous message's metrics when all are), frequency reports, collector errors and the scheduler's
// status only when they changed, and the page's decoder gets back exactly the state the agent had.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MetricName } from '../../src/catalogue.js';
import type { CpuFrequencyReport } from '../../src/collectors/frequency/types.js';
import type { Attributes, Collection, CollectorError, Point } from '../../src/collectors/types.js';
import { decodeMessage, type LiveMessage } from '../../src/web/client/stream.js';
import { BuildService } from '../../src/builds/service.js';
import type { Assessment } from '../../src/scheduler/quiet.js';
import { LeaseRepo } from '../../src/scheduler/lease-repo.js';
import { BuildRepo } from '../../src/store/builds.js';
import { LeaseScheduler } from '../../src/scheduler/scheduler.js';
import { openStore } from '../../src/store/store.js';
import type { EventStream } from '../../src/web/event-stream.js';
import { liveState, type LiveSources, StreamEncoder } from '../../src/web/live-state.js';
import { Pusher } from '../../src/web/pusher.js';
import { ManualClock } from '../scheduler/manual-clock.js';

const cpu0: Attributes = { 'cpu.logical_number': 0 };
const cpu1: Attributes = { 'cpu.logical_number': 1 };

function collection(timeMs: number, points: Record<string, Point[]>, errors: CollectorError[] = []): Collection {
  return { timeMs, points: new Map(Object.entries(points) as [MetricName, Point[]][]), errors };
}

function sources(
  current: () => Collection,
  frequency: () => CpuFrequencyReport[] = () => [],
  scheduler?: LeaseScheduler,
  more: Partial<LiveSources> = {},
): LiveSources {
  return {
    intervalMs: 1000,
    resource: { 'host.name': 'test-host' },
    latest: current,
    frequencyReports: frequency,
    builds: () => undefined,
    scheduler: () => scheduler,
    assessment: () => undefined,
    health: () => undefined,
    now: () => scheduler?.now() ?? 1_700_000_000_000,
    ...more,
  };
}

describe('StreamEncoder and decodeMessage', () => {
  it('sends values only for unchanged series, the full metric when its series change, and decodes to the agent state', () => {
    let c = collection(1000, {
      'system.cpu.frequency': [{ attributes: cpu0, value: 2.4e9 }, { attributes: cpu1, value: 2.5e9 }],
      'system.cpu.load_average.1m': [{ attributes: {}, value: 0.5 }],
    });
    const s = sources(() => c);
    const encoder = new StreamEncoder(s);
    let page = decodeMessage(JSON.parse(encoder.full()) as LiveMessage, undefined);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));

    // Same attribute objects: values only.
    c = collection(2000, {
      'system.cpu.frequency': [{ attributes: cpu0, value: 2.6e9 }, { attributes: cpu1, value: 2.7e9 }],
      'system.cpu.load_average.1m': [{ attributes: c.points.get('system.cpu.load_average.1m' as MetricName)![0].attributes, value: 0.75 }],
    });
    const second = JSON.parse(encoder.next()) as LiveMessage;
    expect(second.resource).toBeUndefined();
    // The same metrics in the same order: values lined up with the previous message's metrics, no names.
    expect(second.metrics).toBeUndefined();
    expect(second.values).toEqual([[2.6e9, 2.7e9], [0.75]]);
    page = decodeMessage(second, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));

    // A CPU went away (its series changed): that metric goes out whole; a new metric too.
    c = collection(3000, {
      'system.cpu.frequency': [{ attributes: cpu1, value: 2.8e9 }],
      'system.memory.limit': [{ attributes: {}, value: 1024 }],
    });
    const third = JSON.parse(encoder.next()) as LiveMessage;
    expect(third.values).toBeUndefined();
    expect(third.metrics!.map((m) => (typeof m === 'string' ? 'name' : 'values' in m ? 'values' : 'full'))).toEqual(['full', 'full']);
    page = decodeMessage(third, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));
  });

  it('sends the name alone for unchanged values, and frequency reports and errors only when they change', () => {
    const load: Attributes = {};
    const report = (hz: number): CpuFrequencyReport => ({ cpu: 0, source: 'cpuinfo', hz, tried: [{ source: 'cpuinfo', ok: true, reason: 'cpu MHz from /proc/cpuinfo' }], series: 'cpuinfo' });
    let reports = [report(2.4e9)];
    let c = collection(1000, {
      'system.cpu.frequency': [{ attributes: cpu0, value: 2.4e9 }],
      'system.cpu.load_average.1m': [{ attributes: load, value: 0.5 }],
    });
    const s = sources(
      () => c,
      () => reports,
    );
    const encoder = new StreamEncoder(s);
    let page = decodeMessage(JSON.parse(encoder.full()) as LiveMessage, undefined);

    // The frequency unchanged (a new but equal report), the load changed.
    reports = [report(2.4e9)];
    c = collection(2000, {
      'system.cpu.frequency': [{ attributes: cpu0, value: 2.4e9 }],
      'system.cpu.load_average.1m': [{ attributes: load, value: 0.75 }],
    });
    const second = JSON.parse(encoder.next()) as LiveMessage;
    expect(second.values).toEqual([0, [0.75]]);
    expect(second.frequency).toBeUndefined();
    expect(second.errors).toBeUndefined();
    page = decodeMessage(second, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));
    expect(page.frequency[0].hz).toBe(2.4e9);

    // The frequency moved, a collector failed: the frequencies alone and the errors go out.
    reports = [report(2.6e9)];
    c = collection(
      3000,
      {
        'system.cpu.frequency': [{ attributes: cpu0, value: 2.6e9 }],
        'system.cpu.load_average.1m': [{ attributes: load, value: 0.75 }],
      },
      [{ collector: 'pressure', message: 'no /proc/pressure' }],
    );
    const third = JSON.parse(encoder.next()) as LiveMessage;
    expect(third.values).toEqual([[2.6e9], 0]);
    expect(third.frequency).toBeUndefined();
    expect(third.frequency_hz).toEqual([2.6e9]);
    expect(third.errors).toEqual([{ collector: 'pressure', message: 'no /proc/pressure' }]);
    page = decodeMessage(third, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));

    // The collector recovered: the empty error list goes out, so the page stops showing the failure.
    c = collection(4000, {
      'system.cpu.frequency': [{ attributes: cpu0, value: 2.6e9 }],
      'system.cpu.load_average.1m': [{ attributes: load, value: 0.75 }],
    });
    const fourth = JSON.parse(encoder.next()) as LiveMessage;
    expect(fourth.errors).toEqual([]);
    expect(fourth.frequency).toBeUndefined();
    page = decodeMessage(fourth, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));

    // A metric appears: the list goes out by name, unchanged ones as the name alone.
    c = collection(5000, {
      'system.cpu.frequency': [{ attributes: cpu0, value: 2.6e9 }],
      'system.cpu.load_average.1m': [{ attributes: load, value: 0.8 }],
      'system.memory.limit': [{ attributes: {}, value: 1024 }],
    });
    const fifth = JSON.parse(encoder.next()) as LiveMessage;
    expect(fifth.metrics).toEqual([
      'system.cpu.frequency',
      { name: 'system.cpu.load_average.1m', values: [0.8] },
      { name: 'system.memory.limit', unit: 'By', type: 'sum', monotonic: false, points: [{ attributes: {}, value: 1024 }] },
    ]);
    page = decodeMessage(fifth, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));

    // The chain's outcome changed (cpuinfo now fails, nothing published): the reports go out whole.
    reports = [{ cpu: 0, source: null, hz: null, tried: [{ source: 'cpuinfo', ok: false, reason: 'no cpu MHz line' }], series: null }];
    const sixth = JSON.parse(encoder.next()) as LiveMessage;
    expect(sixth.frequency).toEqual(reports);
    expect(sixth.frequency_hz).toBeUndefined();
    page = decodeMessage(sixth, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));
    // The first metric moved, the second changed its series: the steady check fails half-way and
    // must leave the reference as the page knows it, so the first goes out as its new values.
    c = collection(6000, {
      'system.cpu.frequency': [{ attributes: cpu0, value: 2.9e9 }],
      'system.cpu.load_average.1m': [{ attributes: {}, value: 0.8 }],
      'system.memory.limit': c.points.get('system.memory.limit' as MetricName)!,
    });
    const seventh = JSON.parse(encoder.next()) as LiveMessage;
    expect(seventh.metrics!.map((m) => (typeof m === 'string' ? 'name' : 'values' in m ? 'values' : 'full'))).toEqual(['values', 'full', 'name']);
    page = decodeMessage(seventh, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));
  });

  it("sends the scheduler's status only when it changed or moves with the clock", () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysmon-stream-'));
    const db = openStore(join(dir, 'store.db'));
    try {
      const clock = new ManualClock();
      const scheduler = new LeaseScheduler(
        { capacityUnits: 100, headroomUnits: 20, ttlMs: 30_000, maxLeases: 10, maxPerAddon: 10, cooldownMs: 60_000, intervalMs: 10_000, queueMax: 50 },
        { log: new LeaseRepo(db), clock },
      );
      scheduler.start();
      scheduler.observe({ state: 'QUIET', score: 90, msUntilQuiet: 0 });
      const load: Attributes = {};
      let c = collection(1000, { 'system.cpu.load_average.1m': [{ attributes: load, value: 0.5 }] });
      const s = sources(() => c, () => [], scheduler);
      const encoder = new StreamEncoder(s);
      let page = decodeMessage(JSON.parse(encoder.full()) as LiveMessage, undefined);
      // The page's view of the status is the agent's but for when it was generated.
      const same = () => {
        const { generated_at: _a, ...agent } = JSON.parse(JSON.stringify(liveState(s).scheduler));
        const { generated_at: _b, ...shown } = page.scheduler!;
        expect(shown).toEqual(agent);
      };
      const next = (): LiveMessage => {
        clock.advance(10_000);
        c = collection(clock.now(), { 'system.cpu.load_average.1m': [{ attributes: load, value: Math.random() }] });
        const m = JSON.parse(encoder.next()) as LiveMessage;
        page = decodeMessage(m, page);
        same();
        return m;
      };
      // Idle: left out.
      expect(next().scheduler).toBeUndefined();
      expect(next().scheduler).toBeUndefined();
      // A lease: sent once, then left out again.
      const lease = scheduler.request({ addonId: 'a', jobType: 'j', costUnits: 10, priority: 'NORMAL', expectedDurationSec: undefined, constraints: { cpu_heavy: true, disk_write_heavy: false, network_heavy: false } }, false).lease!;
      expect(next().scheduler?.active.map((l) => l.lease_id)).toEqual([lease.id]);
      expect(next().scheduler).toBeUndefined();
      // A heartbeat moves its expiry: sent.
      scheduler.heartbeat(lease.id);
      expect(next().scheduler?.active[0].expires_at).toBe(new Date(clock.now() - 10_000 + 30_000).toISOString());
      // PANIC starts a cool-down, which moves with the clock: sent every time until it ends.
      scheduler.observe({ state: 'PANIC', score: 0, msUntilQuiet: 60_000 });
      scheduler.observe({ state: 'QUIET', score: 90, msUntilQuiet: 0 });
      expect(next().scheduler?.cooldown.active).toBe(true);
      expect(next().scheduler?.cooldown.active).toBe(true);
      // (the lease expires meanwhile, without heartbeats: sent anyway)
      for (let i = 0; i < 3; i++) expect(next().scheduler?.cooldown.active).toBe(true);
      // The cool-down (60 s) ends: sent once more, without it.
      expect(next().scheduler?.cooldown.active).toBe(false);
      expect(next().scheduler).toBeUndefined();
      scheduler.close();
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("sends the builds' figures when they change, the host's load alone while no run is active, and the quiet state and health when they change", () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysmon-stream-'));
    const file = join(dir, 'store.db');
    const db = openStore(file);
    const other = openStore(file);
    try {
      let nowMs = 1_700_000_000_000;
      const service = new BuildService(new BuildRepo(db), { maxWorkers: 4, runIdleTimeoutMs: 30_000, now: () => nowMs });
      const load: Attributes = {};
      let c = collection(nowMs, { 'system.cpu.load_average.1m': [{ attributes: load, value: 0.5 }] });
      let assessment: Assessment = { atMs: nowMs, state: 'QUIET', rawState: 'QUIET', score: 78, sinceMs: nowMs, pending: undefined, reasons: ['all inputs within quiet thresholds'], inputs: {} } as unknown as Assessment;
      const s = sources(() => c, () => [], undefined, {
        builds: () => service,
        assessment: () => assessment,
        health: () => ({ status: assessment.state === 'BUSY' ? 'warn' : 'ok', reasons: [`quiet state ${assessment.state}`] }),
        now: () => nowMs,
      });
      const encoder = new StreamEncoder(s);
      let page = decodeMessage(JSON.parse(encoder.full()) as LiveMessage, undefined);
      const next = (loadValue: number): LiveMessage => {
        nowMs += 10_000;
        c = collection(nowMs, { 'system.cpu.load_average.1m': [{ attributes: load, value: loadValue }] });
        service.observeHost(c);
        // As the builds metrics producer does at every collection (it notices other processes' writes).
        service.repo.totals();
        const m = JSON.parse(encoder.next()) as LiveMessage;
        page = decodeMessage(m, page);
        // What the page holds is the agent's state (the quiet inputs aside: the page does not show them).
        const live = JSON.parse(JSON.stringify(liveState(s)));
        expect(page.builds).toEqual(live.builds);
        expect(page.health).toEqual(live.health);
        expect({ ...page.quiet, inputs: 0, assessed_at: 0 }).toEqual({ ...live.quiet, inputs: 0, assessed_at: 0 });
        return m;
      };
      next(0.5);
      // Idle, the load moves: it goes alone; the quiet state and health are left out.
      const idle = next(0.75);
      expect(idle.builds).toBeUndefined();
      expect(idle.builds_host).toEqual({ load: 0.75, adjustedLoad: 0.75, swapPercent: null });
      expect(idle.quiet).toBeUndefined();
      expect(idle.health).toBeUndefined();
      const still = next(0.75);
      expect(still.builds_host).toBeUndefined();
      // A build starts: the run moves with the clock, sent whole every time.
      const b = service.create({ name: 'pkg' });
      service.start(b.id);
      expect(next(0.8).builds?.stats.activeWorkers).toBe(1);
      expect(next(0.8).builds?.stats.runActive).toBe(true);
      service.finish(b.id, { status: 'success' });
      expect(next(0.8).builds?.stats.allTime.built).toBe(1);
      // While the run lasts, sent every time; once it has ended, once more, then left out.
      for (let i = 0; i < 5 && service.runView().active; i++) expect(next(0.8).builds).toBeDefined();
      expect(service.runView().active).toBe(false);
      next(0.8);
      expect(next(0.8).builds).toBeUndefined();
      // Another process records a build in the same store: the totals change, the figures go out.
      const theirs = new BuildRepo(other);
      theirs.create({ id: 'theirs', name: 'elsewhere', workerId: undefined }, nowMs);
      expect(next(0.8).builds?.stats.allTime.created).toBe(2);
      expect(next(0.8).builds).toBeUndefined();
      // The quiet state changes: it goes out, and the health with it.
      assessment = { ...assessment, state: 'BUSY', score: 40, sinceMs: nowMs, reasons: ['load above 0.7 per CPU'] };
      const busy = next(0.9);
      expect(busy.quiet?.state).toBe('BUSY');
      expect(busy.health?.status).toBe('warn');
    } finally {
      other.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pushes every collection: a steady one with the next, in one write; a change at once', () => {
    const load: Attributes = {};
    let t = 1000;
    let c = collection(t, { 'system.cpu.load_average.1m': [{ attributes: load, value: 0.5 }] });
    const s = sources(() => c);
    const encoder = new StreamEncoder(s);
    const writes: string[][] = [];
    let open = 0;
    const events = {
      get size() {
        return open;
      },
      publish: (data: () => string | readonly string[]) => {
        if (open === 0) return;
        const d = data();
        writes.push(typeof d === 'string' ? [d] : [...d]);
      },
    } as unknown as EventStream;
    const pusher = new Pusher(events, encoder);
    let series = load;
    const collect = (value: number, attributes = series): void => {
      t += 1000;
      series = attributes;
      c = collection(t, { 'system.cpu.load_average.1m': [{ attributes, value }] });
      pusher.collected();
    };
    // No tab: nothing is built or held.
    collect(0.6);
    expect(writes).toEqual([]);
    open = 1;
    pusher.flush();
    let page = decodeMessage(JSON.parse(encoder.full()) as LiveMessage, undefined);
    const shown: number[] = [];
    const read = (): void => {
      for (const m of writes.shift() ?? []) {
        page = decodeMessage(JSON.parse(m) as LiveMessage, page);
        shown.push(page.metrics[0].points[0].value);
      }
    };
    // Steady: held, then sent with the next collection, each as its own message.
    collect(0.7);
    expect(writes).toEqual([]);
    collect(0.8);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(2);
    read();
    expect(shown).toEqual([0.7, 0.8]);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));
    // A series changed (a new attribute object) while one is held: both go at once.
    collect(0.9);
    collect(1.0, {});
    read();
    expect(shown).toEqual([0.7, 0.8, 0.9, 1.0]);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));
    // A tab attaching: the open tabs get the held one first.
    collect(1.1);
    expect(writes).toEqual([]);
    pusher.flush();
    read();
    expect(shown.at(-1)).toBe(1.1);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));
  });
});
