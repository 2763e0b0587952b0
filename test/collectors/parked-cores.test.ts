// Utilization on Apple Silicon from recorded per-core ticks: a parked core stops counting ticks
// altogether, so its few ticks must be spread over the wall-clock window (as `top` does), not over
// their own sum (which reads one busy tick of a sleeping E core as 50-100 % busy).
import { describe, expect, test } from 'vitest';
import { FallbackCpuCollector, type FallbackSystem } from '../../src/collectors/darwin/fallback.js';
import type { CollectContext, Point } from '../../src/collectors/types.js';

/**
 * host_processor_info ticks (user, system, idle, nice) of an M1 MacBook on macOS 11, three
 * consecutive readings, copied from htop-dev/htop#368 (cfstras, 2020-12-09:
 * https://github.com/htop-dev/htop/issues/368). Between readings 2 and 3 every core but CPU 1
 * counted no tick at all, and CPU 1 counted one user and one idle tick. The recording has no
 * timestamps: the test gives each window 1 s (100 ticks of 10 ms on a core that never parks).
 */
const RECORDED: readonly (readonly [user: number, system: number, idle: number, nice: number])[][] = [
  [
    [876732, 359645, 2348612, 0], [841369, 328608, 2414875, 0], [555564, 247032, 2782254, 0], [284090, 204157, 3096601, 0],
    [770124, 286285, 2528442, 0], [355918, 256112, 2972819, 0], [577006, 383940, 2623903, 0], [453616, 312696, 2818536, 0],
  ],
  [
    [876733, 359645, 2348620, 0], [841369, 328608, 2414883, 0], [555565, 247032, 2782263, 0], [284092, 204158, 3096607, 0],
    [770124, 286286, 2528451, 0], [355918, 256112, 2972828, 0], [577012, 383940, 2623906, 0], [453618, 312697, 2818543, 0],
  ],
  [
    [876733, 359645, 2348620, 0], [841370, 328608, 2414884, 0], [555565, 247032, 2782263, 0], [284092, 204158, 3096607, 0],
    [770124, 286286, 2528451, 0], [355918, 256112, 2972828, 0], [577012, 383940, 2623906, 0], [453618, 312697, 2818543, 0],
  ],
];
const MS_PER_TICK = 10; // Node's os.cpus() on macOS: ticks × 1000 / CLK_TCK (100)
const WINDOW_MS = 1000;

function replay() {
  let reading = 0;
  const system = {
    platform: 'darwin',
    cpus: () =>
      RECORDED[reading].map(([user, sys, idle, nice]) => ({
        model: 'Apple M1',
        speed: 24,
        times: { user: user * MS_PER_TICK, nice: nice * MS_PER_TICK, sys: sys * MS_PER_TICK, idle: idle * MS_PER_TICK, irq: 0 },
      })),
  } as unknown as FallbackSystem;
  const collector = new FallbackCpuCollector(system);
  return () => {
    const points: (Point & { metric: string })[] = [];
    collector.collect({ monoMs: reading * WINDOW_MS } as CollectContext, { add: (metric, value, attributes = {}) => points.push({ metric, value, attributes }) });
    reading++;
    const busy = (cpu: number) => {
      const idle = points.find((p) => p.metric === 'system.cpu.utilization' && p.attributes['cpu.logical_number'] === cpu && p.attributes['cpu.mode'] === 'idle');
      return idle === undefined ? undefined : 1 - idle.value;
    };
    return busy;
  };
}

describe('parked Apple Silicon cores (recorded ticks)', () => {
  test('busy = busy ticks over the wall-clock window; a core with no tick is idle, not missing', () => {
    const next = replay();
    next();
    const second = next();
    // CPU 6: 6 user ticks (60 ms) and 3 idle ticks in 1 s. Over its own ticks that read 67 % busy.
    expect(second(6)).toBeCloseTo(0.06, 10);
    // CPU 3: 2 user + 1 system ticks.
    expect(second(3)).toBeCloseTo(0.03, 10);
    // CPU 1 counted only 8 idle ticks: 0 % busy either way.
    expect(second(1)).toBeCloseTo(0, 10);
    const third = next();
    // CPU 1: one user tick and one idle tick. Over its own ticks: 50 % busy.
    expect(third(1)).toBeCloseTo(0.01, 10);
    // Every other core counted nothing: parked all window, so idle, with a point.
    for (const cpu of [0, 2, 3, 4, 5, 6, 7]) expect(third(cpu)).toBe(0);
  });
});
