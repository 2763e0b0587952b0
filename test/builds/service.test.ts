// The build tracker's dynamic max-workers hint with a fake clock: its own 5 s cadence while builds wait
// (build.c waitbuild()), the slow start again for every run, and the adjusted load it uses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BuildService } from '../../src/builds/service.js';
import type { Attributes, Collection, Point } from '../../src/collectors/types.js';
import { BuildRepo } from '../../src/store/builds.js';
import { openStore, storePath } from '../../src/store/store.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function tracker(maxWorkers: number) {
  const dir = mkdtempSync(join(tmpdir(), 'sysmon-service-'));
  dirs.push(dir);
  let nowMs = 1_700_000_000_000;
  const service = new BuildService(new BuildRepo(openStore(storePath(dir))), {
    maxWorkers,
    runIdleTimeoutMs: 600_000,
    now: () => nowMs,
  });
  /** Advances the clock second by second, ticking as the module's 1 s timer does. */
  const run = (seconds: number): void => {
    for (let i = 0; i < seconds; i++) {
      nowMs += 1000;
      service.tickDynMax();
    }
  };
  return { service, run };
}

function host(load1: number, running: number, blocked: number): Collection {
  const p = (value: number, attributes: Attributes = {}): Point => ({ value, attributes });
  return {
    timeMs: 0,
    errors: [],
    points: new Map([
      ['system.cpu.load_average.1m', [p(load1)]],
      ['system.processes.count', [p(running, { status: 'running' }), p(blocked, { status: 'blocked' })]],
      ['system.cpu.logical.count', [p(4)]],
    ]) as Collection['points'],
  };
}

describe('dynamic max workers in the tracker', () => {
  it('climbs one step per 5 s while builds wait, between host collections, and stays put when idle', () => {
    const { service, run } = tracker(8);
    service.observeHost(host(0.5, 1, 0));
    run(30);
    expect(service.dynMax.value).toBe(1); // no builds: not evaluated
    service.create({ name: 'a' });
    run(1);
    expect(service.dynMax.value).toBe(2); // first evaluation at once
    run(4);
    expect(service.dynMax.value).toBe(2);
    run(1);
    expect(service.dynMax.value).toBe(3); // 5 s later, with no new host collection in between
    run(25);
    expect(service.dynMax.value).toBe(8);
  });

  it('restarts the slow start when a new run begins', () => {
    const { service, run } = tracker(8);
    service.observeHost(host(0.5, 1, 0));
    const a = service.create({ name: 'a' });
    run(60);
    expect(service.dynMax.value).toBe(8);
    service.start(a.id);
    service.finish(a.id, { status: 'success' });
    run(601); // the run ends 600 s after its last build
    expect(service.runView().active).toBe(false);
    expect(service.dynMax.value).toBe(8);
    service.create({ name: 'b' });
    run(1);
    expect(service.dynMax.value).toBe(2); // back to 1, then +1 at the first evaluation
  });

  it('throttles on the adjusted load, and shows the raw load', () => {
    const { service, run } = tracker(8);
    service.create({ name: 'a' });
    run(60);
    // load1 6 (1.5n) looks fine, but 2 runnable + 18 blocked tasks now is 5n: the limit drops to 25 %.
    service.observeHost(host(6, 2, 18));
    run(5);
    expect(service.dynMax.value).toBe(2);
    expect(service.stats()).toMatchObject({ load: 6, adjustedLoad: 20, dynMaxWorkers: 2, totalCpuCycles: 0, totalCpuSeconds: 0 });
  });
});
