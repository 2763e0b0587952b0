// Worked examples of dynamic max workers (DESIGN.md) with a fake clock.
import { describe, expect, it } from 'vitest';
import { DynamicMaxWorkers, initialDynMax, loadCap, swapCap } from '../../src/builds/dynmax.js';

const GiB = 1024 ** 3;
const idle = { load1: 0.5, blocked: 0, cpus: 4, swapUsedFraction: 0, memoryLimitBytes: 12 * GiB, runningMemoryBytes: 0 };

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

  it('drops at once when load + blocked tasks climbs, and counts blocked tasks', () => {
    const d = new DynamicMaxWorkers(8);
    for (let t = 0; t <= 40_000; t += 5_000) d.evaluate(idle, t);
    expect(d.evaluate({ ...idle, load1: 10, blocked: 3 }, 45_000)).toBe(5);
    expect(d.caps).toMatchObject({ load: 5 });
    expect(d.evaluate({ ...idle, load1: 10, blocked: 3 }, 46_000)).toBe(5); // not re-evaluated within 5 s
    expect(d.evaluate(idle, 50_000)).toBe(6); // back up one step
  });

  it('applies the swap cap even when load is low (the upstream quirk, fixed)', () => {
    const d = new DynamicMaxWorkers(8);
    for (let t = 0; t <= 40_000; t += 5_000) d.evaluate(idle, t);
    expect(d.evaluate({ ...idle, swapUsedFraction: 0.5 }, 45_000)).toBe(2);
    expect(d.caps).toEqual({ load: 8, swap: 2, memory: 8 });
  });

  it('shrinks by one above the memory target and grows at most one per 30 s between half and the target', () => {
    const d = new DynamicMaxWorkers(8);
    for (let t = 0; t <= 40_000; t += 5_000) d.evaluate(idle, t);
    // Target = 12 GiB / 3 = 4 GiB.
    expect(d.evaluate({ ...idle, runningMemoryBytes: 5 * GiB }, 45_000)).toBe(7);
    expect(d.evaluate({ ...idle, runningMemoryBytes: 5 * GiB }, 50_000)).toBe(6);
    const between = { ...idle, runningMemoryBytes: 3 * GiB };
    expect(d.evaluate(between, 55_000)).toBe(7);
    expect(d.evaluate(between, 60_000)).toBe(7);
    expect(d.evaluate(between, 80_000)).toBe(7);
    expect(d.evaluate(between, 85_000)).toBe(8); // 30 s after the last memory-driven growth
  });

  it('never goes below 1 or above M, and honours an explicit memory target', () => {
    const d = new DynamicMaxWorkers(2, 1 * GiB);
    expect(d.evaluate({ ...idle, load1: 100 }, 0)).toBe(1);
    expect(d.evaluate({ ...idle, runningMemoryBytes: 2 * GiB }, 5_000)).toBe(1);
    for (let t = 10_000; t <= 60_000; t += 5_000) d.evaluate(idle, t);
    expect(d.value).toBe(2);
  });
});
