// The builds module inside a fake agent: catalogue metrics, host figures from collections,
// monitor files and retention through the module's own configuration.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findMetric } from '../../src/catalogue.js';
import type { Attributes, Collection, Point } from '../../src/collectors/types.js';
import { BuildRepo } from '../../src/store/builds.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
  vi.useRealTimers();
});

const GiB = 1024 ** 3;
function collection(load1: number, blocked: number, swapUsed: number, swapFree: number): Collection {
  const p = (value: number, attributes: Attributes = {}): Point => ({ value, attributes });
  return {
    timeMs: Date.now(),
    errors: [],
    points: new Map([
      ['system.cpu.load_average.1m', [p(load1)]],
      ['system.processes.count', [p(3, { status: 'running' }), p(blocked, { status: 'blocked' })]],
      ['system.cpu.logical.count', [p(4)]],
      ['system.memory.limit', [p(12 * GiB)]],
      [
        'system.paging.usage',
        [
          p(swapUsed, { 'system.paging.state': 'used', 'system.device': '/dev/sda2' }),
          p(swapFree, { 'system.paging.state': 'free', 'system.device': '/dev/sda2' }),
        ],
      ],
    ]) as Collection['points'],
  };
}

async function collect(harness: Harness) {
  const points: { metric: string; value: number; attributes: Attributes }[] = [];
  for (const producer of harness.producers) {
    await producer({ add: (metric, value, attributes = {}) => points.push({ metric, value, attributes }) }, collection(0, 0, 0, 0));
  }
  return points;
}

describe('builds module', () => {
  it('emits only catalogue metrics with the build figures', async () => {
    h = await startHarness({ maxWorkers: '8' });
    await h.post('/api/builds', { id: 'a', name: 'a' });
    await h.post('/api/builds', { id: 'b', name: 'b' });
    await h.post('/api/builds/a/start');
    await h.post('/api/builds/a/finish', { status: 'failed', cpu_seconds: 3 });
    await h.post('/api/builds/b/start');
    h.builds.service!.tickDynMax(); // what the module's 1 s timer does
    const points = await collect(h);
    for (const p of points) expect(findMetric(p.metric), p.metric).toBeDefined();
    const value = (metric: string, attrs: Attributes = {}) =>
      points.find((p) => p.metric === metric && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))?.value;
    expect(value('sysmon.build.cpu.time')).toBe(3);
    expect(value('sysmon.build.count', { outcome: 'failed' })).toBe(1);
    expect(value('sysmon.build.count', { outcome: 'success' })).toBe(0);
    const active = points.filter((p) => p.metric === 'cicd.pipeline.run.active');
    expect(active).toEqual([
      { metric: 'cicd.pipeline.run.active', value: 1, attributes: { 'cicd.pipeline.name': 'b', 'cicd.pipeline.run.state': 'executing' } },
    ]);
    expect(value('cicd.worker.count', { 'cicd.worker.state': 'busy' })).toBe(1);
    expect(value('sysmon.build.queue')).toBe(1);
    expect(value('sysmon.workers.dynamic_max')).toBe(2); // slow start 1, +1 at the first evaluation
    // a: pending at its start, executing (with its result and error.type) at its finish; b: pending.
    expect(h.durations.map((d) => d.attributes)).toEqual([
      { 'cicd.pipeline.name': 'a', 'cicd.pipeline.run.state': 'pending' },
      { 'cicd.pipeline.name': 'a', 'cicd.pipeline.run.state': 'executing', 'cicd.pipeline.result': 'failure', 'error.type': '_OTHER' },
      { 'cicd.pipeline.name': 'b', 'cicd.pipeline.run.state': 'pending' },
    ]);
  });

  it('caps distinct cicd.pipeline.name values at --pipeline-name-limit; later names share _other', async () => {
    h = await startHarness({ maxWorkers: '8', pipelineNameLimit: '2' });
    for (const name of ['ports/a', 'ports/b', 'ports/c', 'ports/d', 'ports/a']) {
      const created = await h.post('/api/builds', { name });
      await h.post(`/api/builds/${created.body.id}/start`);
    }
    const active = (await collect(h)).filter((p) => p.metric === 'cicd.pipeline.run.active');
    expect(active).toEqual([
      { metric: 'cicd.pipeline.run.active', value: 2, attributes: { 'cicd.pipeline.name': 'ports/a', 'cicd.pipeline.run.state': 'executing' } },
      { metric: 'cicd.pipeline.run.active', value: 1, attributes: { 'cicd.pipeline.name': 'ports/b', 'cicd.pipeline.run.state': 'executing' } },
      // ports/c and ports/d: one series, marked as the OpenTelemetry SDK marks its overflow series.
      {
        metric: 'cicd.pipeline.run.active',
        value: 2,
        attributes: { 'cicd.pipeline.name': '_other', 'cicd.pipeline.run.state': 'executing', 'otel.metric.overflow': true },
      },
    ]);
  });

  it('takes load, blocked tasks and swap from the agent collections', async () => {
    h = await startHarness({ maxWorkers: '8' });
    // load1 2, 3 runnable + 9 blocked tasks now: dsynth shows the raw load; the limit uses the adjusted 12.
    for (const l of h.listeners) l(collection(2, 9, 1 * GiB, 1 * GiB));
    const stats = (await h.get('/api/stats')).body;
    expect(stats).toMatchObject({ load: 2, adjustedLoad: 12, swapPercent: 50, maxWorkers: 8 });
    h.builds.writeMonitorFiles();
    const monitor = readFileSync(join(h.dir, 'stats', 'monitor.dat'), 'utf8');
    expect(monitor).toContain('Load=2.00\nSwap=50\nWorkers=0/8\n');
    const summary = JSON.parse(readFileSync(join(h.dir, 'Report', 'summary.json'), 'utf8'));
    expect(summary.stats).toMatchObject({ swapinfo: ' 50.0', load: '  2.0' });
    expect(summary.builders).toHaveLength(8);
  });

  it('leaves the monitor files alone while no run is active, and refreshes them while one is', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    h = await startHarness({ maxWorkers: '8' });
    const file = join(h.dir, 'stats', 'monitor.dat');
    const written = statSync(file).ino;
    // Idle: the load moves, minutes pass, nothing is rewritten (each write is a new file renamed over).
    for (const l of h.listeners) l(collection(3, 0, 0, 1 * GiB));
    vi.advanceTimersByTime(60_000);
    expect(statSync(file).ino).toBe(written);
    expect(readFileSync(file, 'utf8')).toContain('Load=0.00\n');
    // A build joins: written at once, then every 2 s with the host's figures.
    await h.post('/api/builds', { id: 'a', name: 'a' });
    expect(readFileSync(file, 'utf8')).toContain('Queued=1\n');
    for (const l of h.listeners) l(collection(5, 0, 0, 1 * GiB));
    vi.advanceTimersByTime(2_000);
    expect(readFileSync(file, 'utf8')).toContain('Load=5.00\n');
  });

  it('purges snapshots older than --snapshot-retention and keeps the totals', async () => {
    h = await startHarness({ snapshotRetention: '1h' });
    const repo = new BuildRepo(h.store.db);
    repo.create({ id: 'old', name: 'old' }, Date.now() - 3 * 3_600_000);
    repo.start('old', Date.now() - 3 * 3_600_000);
    for (let i = 0; i < 50; i++) {
      repo.addSnapshot('old', { timestamp: Date.now() - 2 * 3_600_000 + i * 1000, cpuPercent: 100, memoryMb: 1 });
    }
    repo.addSnapshot('old', { timestamp: Date.now() - 60_000, cpuPercent: 100, memoryMb: 1 });
    const before = repo.totals();
    expect(await h.builds.purge()).toBe(50);
    expect(repo.snapshots('old')).toHaveLength(1);
    expect(repo.totals()).toEqual(before);
    expect(existsSync(join(h.dir, 'otel-sysmon.db'))).toBe(true);
  });
});
