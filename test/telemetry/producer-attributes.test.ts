// The agent's own producers hand out one attribute object per series, the same at every collection,
// as the collectors do: exporters and the web page's event stream key series by that object, so a new
// one every collection reads as a new series (the page's stream then sends every metric whole).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CollectionSink } from '../../src/collectors/collect.js';
import type { Collection } from '../../src/collectors/types.js';
import { emitScheduler } from '../../src/scheduler/metrics.js';
import { LeaseRepo } from '../../src/scheduler/lease-repo.js';
import { LeaseScheduler } from '../../src/scheduler/scheduler.js';
import { openStore } from '../../src/store/store.js';
import { ExportStats, exportMetricsProducer } from '../../src/telemetry/spool-metrics.js';
import { ManualClock } from '../scheduler/manual-clock.js';

function twice(produce: (sink: CollectionSink) => void): [CollectionSink['points'], CollectionSink['points']] {
  const a = new CollectionSink();
  const b = new CollectionSink();
  produce(a);
  produce(b);
  return [a.points, b.points];
}

function expectSameSeries([a, b]: [CollectionSink['points'], CollectionSink['points']]): number {
  let series = 0;
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [name, points] of a) {
    const again = b.get(name)!;
    expect(again.length, name).toBe(points.length);
    points.forEach((p, i) => expect(again[i].attributes, `${name} ${JSON.stringify(p.attributes)}`).toBe(p.attributes));
    series += points.length;
  }
  return series;
}

describe('producer attributes', () => {
  it('sysmon.export.* reuses its attribute objects', () => {
    const stats = new ExportStats();
    stats.fail('unavailable');
    stats.drop('spool_bytes', 2);
    const produce = exportMetricsProducer(stats, () => ({ bytes: 10, requests: 1 }));
    const empty = {} as Collection;
    expect(expectSameSeries(twice((sink) => produce(sink, empty)))).toBeGreaterThan(4);
  });

  it('sysmon.scheduler.decisions reuses its attribute objects', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysmon-attrs-'));
    const db = openStore(join(dir, 'store.db'));
    try {
      const s = new LeaseScheduler(
        { capacityUnits: 100, headroomUnits: 20, ttlMs: 30_000, maxLeases: 10, maxPerAddon: 10, cooldownMs: 60_000, intervalMs: 10_000, queueMax: 50 },
        { log: new LeaseRepo(db), clock: new ManualClock() },
      );
      s.start();
      s.observe({ state: 'QUIET', score: 90, msUntilQuiet: 0 });
      const req = { addonId: 'a', jobType: 'j', priority: 'NORMAL' as const, expectedDurationSec: undefined, constraints: { cpu_heavy: true, disk_write_heavy: false, network_heavy: false } };
      s.request({ ...req, costUnits: 70 }, false);
      s.request({ ...req, costUnits: 70 }, false);
      const [a, b] = twice((sink) => emitScheduler(sink, s));
      expect(a.get('sysmon.scheduler.decisions')).toHaveLength(2);
      expectSameSeries([a, b]);
      s.close();
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
