// Worked examples of dynamic max workers (DESIGN.md) with a fake clock.
import { describe, expect, it } from 'vitest';
import { DynamicMaxWorkers, initialDynMax, loadCap, swapCap } from '../../src/builds/dynmax.js';

const GiB = 1024 ** 3;
const idle = { load: 0.5, cpus: 4, swapUsedFraction: 0, memoryLimitBytes: 12 * GiB, runningMemoryBytes: 0, running: 0 };

describe('caps', () => {
  it('load ramps from M at 1.5n to 25 % of M at 5n', () => {
    expect(loadCap(8, 6, 4)).toBe(8); // 1.5n
    expect(loadCap(8, 13, 4)).toBe(5); // 8 - 6 * 7/14
    expect(loadCap(8, 20, 4)).toBe(2); // 5n
    expect(loadCap(8, 100, 4)).toBe(2);
  });

  it('swap ramps from M at 10 % to 25 % of M at 40 %', () => {
    expect(swapCap(8, 0.1)).toBe(8);
    expect(swapCap(8, 0.25)).toBe(5);
    expect(swapCap(8, 0.5)).toBe(2);
  });

  it('slow start: 1 below 16 workers, else a quarter', () => {
    expect(initialDynMax(8)).toBe(1);
    expect(initialDynMax(32)).toBe(8);
  });
});

describe('dynamic max workers', () => {
  it('ramps up by one per 5 s on an idle host and stops at M', () => {
    const d = new DynamicMaxWorkers(8);
    expect(d.value).toBe(1);
    const seen: number[] = [];
    for (let t = 0; t <= 40_000; t += 1_000) seen.push(d.evaluate(idle, t));
    // Evaluations at 0, 5, 10, ... s only.
    expect(seen.slice(0, 6)).toEqual([2, 2, 2, 2, 2, 3]);
    expect(d.value).toBe(8);
  });

  it('drops at once when the load climbs, and truncates the ramp like build.c', () => {
    const d = new DynamicMaxWorkers(8);
    for (let t = 0; t <= 40_000; t += 5_000) d.evaluate(idle, t);
    // 8 - 8 * 0.75 * (13 - 6) / 14 = 5.
    expect(d.evaluate({ ...idle, load: 13 }, 45_000)).toBe(5);
    expect(d.caps).toMatchObject({ load: 5 });
    expect(d.evaluate({ ...idle, load: 13 }, 46_000)).toBe(5); // not re-evaluated within 5 s
    expect(d.evaluate(idle, 50_000)).toBe(6); // back up one step
    // 8 - 8 * 0.75 * 7.5 / 14 = 4.79 -> 4 (an int assignment truncates).
    expect(loadCap(8, 13.5, 4)).toBe(4);
  });

  it('applies the swap cap even when load is low (the upstream quirk, fixed)', () => {
    const d = new DynamicMaxWorkers(8);
    for (let t = 0; t <= 40_000; t += 5_000) d.evaluate(idle, t);
    expect(d.evaluate({ ...idle, swapUsedFraction: 0.5 }, 45_000)).toBe(2);
    expect(d.caps).toEqual({ load: 8, swap: 2, memory: 8 });
  });

  it('memory as build.c: above the target running - 1; strictly above half running + 1 once per 30 s', () => {
    const d = new DynamicMaxWorkers(8);
    for (let t = 0; t <= 40_000; t += 5_000) d.evaluate(idle, t);
    expect(d.value).toBe(8);
    // Target = 12 GiB / 3 = 4 GiB. Six builds running over it: 5, whatever the previous limit was.
    expect(d.evaluate({ ...idle, runningMemoryBytes: 5 * GiB, running: 6 }, 45_000)).toBe(5);
    expect(d.caps.memory).toBe(5);
    expect(d.evaluate({ ...idle, runningMemoryBytes: 5 * GiB, running: 5 }, 50_000)).toBe(4);
    // Between half and the target, 4 running: the first evaluation grants running + 1 and starts the 30 s timer.
    const between = { ...idle, runningMemoryBytes: 3 * GiB, running: 4 };
    expect(d.evaluate(between, 55_000)).toBe(5);
    expect(d.evaluate(between, 60_000)).toBe(4); // running, until 30 s have passed
    expect(d.evaluate(between, 80_000)).toBe(4);
    expect(d.evaluate(between, 85_000)).toBe(5); // 30 s after the last grant
    // Exactly half the target is not "above half": no memory cap.
    expect(d.evaluate({ ...idle, runningMemoryBytes: 2 * GiB, running: 4 }, 90_000)).toBe(6);
    expect(d.caps.memory).toBe(8);
  });

  it('the 30 s timer restarts whenever the half-target branch grants, even if another cap binds', () => {
    const d = new DynamicMaxWorkers(8);
    for (let t = 0; t <= 40_000; t += 5_000) d.evaluate(idle, t);
    const between = { ...idle, runningMemoryBytes: 3 * GiB, running: 4 };
    // Load caps the value at 2 while the memory branch grants (running + 1 = 5) at 45 s.
    expect(d.evaluate({ ...between, load: 20 }, 45_000)).toBe(2);
    expect(d.caps.memory).toBe(5);
    // The grant was spent at 45 s: 5 s later memory holds at running (4), the limit climbs by one.
    expect(d.evaluate(between, 50_000)).toBe(3);
    expect(d.caps.memory).toBe(4);
  });

  it('restarts the slow start for a new run', () => {
    const d = new DynamicMaxWorkers(32);
    expect(d.value).toBe(8);
    for (let t = 0; t <= 200_000; t += 5_000) d.evaluate(idle, t);
    expect(d.value).toBe(32);
    d.restartSlowStart();
    expect(d.value).toBe(8);
    expect(d.evaluate(idle, 205_000)).toBe(9);
  });

  it('never goes below 1 or above M, and honours an explicit memory target', () => {
    const d = new DynamicMaxWorkers(2, 1 * GiB);
    expect(d.evaluate({ ...idle, load: 100 }, 0)).toBe(1);
    expect(d.evaluate({ ...idle, runningMemoryBytes: 2 * GiB, running: 1 }, 5_000)).toBe(1);
    for (let t = 10_000; t <= 60_000; t += 5_000) d.evaluate(idle, t);
    expect(d.value).toBe(2);
  });
});
