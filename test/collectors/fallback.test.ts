import os from 'node:os';
import { describe, expect, test } from 'vitest';
import {
  createFallbackCollectors,
  FallbackCpuCollector,
  FallbackLoadCollector,
  FallbackMemoryCollector,
  FallbackSwapCollector,
  type FallbackSystem,
  SystemMemorySampler,
} from '../../src/collectors/darwin/fallback.js';
import { createHostCollectors } from '../../src/collectors/index.js';
import type { HostPaths } from '../../src/collectors/types.js';
import { hostCollection, points, valueOf } from './fixture-host.js';

// Paths that do not exist: the fallback must never read Linux files.
const NOWHERE: HostPaths = { procfs: '/nonexistent/proc', sysfs: '/nonexistent/sys', rootfs: '/nonexistent', live: false };
const GiB = 1024 ** 3;

type Mem = Awaited<ReturnType<FallbackSystem['mem']>>;
const mem = (over: Partial<Mem>): Mem => ({
  total: 16 * GiB, free: 2 * GiB, used: 14 * GiB, active: 6 * GiB, available: 9 * GiB, buffcache: 7 * GiB, buffers: 0,
  cached: 0, slab: 0, reclaimable: 0, swaptotal: 0, swapused: 0, swapfree: 0, writeback: null, dirty: null, ...over,
});

function fakeSystem(over: Partial<FallbackSystem> = {}): FallbackSystem & { times: number[][]; memCalls: number } {
  const times = [
    [1000, 0, 500, 8000, 100],
    [2000, 10, 700, 6000, 0],
  ];
  const sys = {
    platform: 'darwin' as NodeJS.Platform,
    times,
    memCalls: 0,
    cpus: () => times.map(([user, nice, s, idle, irq]) => ({ model: 'Apple M2', speed: 2400, times: { user, nice, sys: s, idle, irq } })),
    totalmem: () => 16 * GiB,
    freemem: () => 2 * GiB,
    loadavg: () => [1.5, 1.25, 0.5],
    mem: async () => {
      sys.memCalls++;
      return mem({ swaptotal: 2 * GiB, swapused: 0.5 * GiB, swapfree: 1.5 * GiB });
    },
    ...over,
  };
  return sys;
}

describe('non-Linux fallback', () => {
  test('CPU time per core from os.cpus() in seconds; utilization from the delta', async () => {
    const sys = fakeSystem();
    const collection = hostCollection(NOWHERE, [new FallbackCpuCollector(sys)]);
    const first = await collection.collect();
    expect(valueOf(first, 'system.cpu.time', { 'cpu.mode': 'user', 'cpu.logical_number': 0 })).toBe(1);
    expect(valueOf(first, 'system.cpu.time', { 'cpu.mode': 'interrupt', 'cpu.logical_number': 0 })).toBe(0.1);
    expect(valueOf(first, 'system.cpu.time', { 'cpu.mode': 'nice', 'cpu.logical_number': 1 })).toBe(0.01);
    expect(new Set(points(first, 'system.cpu.time').map((p) => p.attributes['cpu.mode']))).toEqual(
      new Set(['user', 'nice', 'system', 'idle', 'interrupt']),
    );
    expect(valueOf(first, 'system.cpu.logical.count')).toBe(2);
    expect(points(first, 'system.cpu.utilization')).toEqual([]);

    sys.times[0] = [1300, 0, 600, 8600, 100];
    const second = await collection.collect();
    expect(valueOf(second, 'system.cpu.utilization', { 'cpu.mode': 'user', 'cpu.logical_number': 0 })).toBeCloseTo(0.3, 12);
    expect(valueOf(second, 'system.cpu.utilization', { 'cpu.mode': 'idle', 'cpu.logical_number': 0 })).toBeCloseTo(0.6, 12);
    // CPU 1 counted no tick: idle all window (a parked Apple Silicon core), not missing.
    expect(valueOf(second, 'system.cpu.utilization', { 'cpu.mode': 'user', 'cpu.logical_number': 1 })).toBe(0);
    expect(valueOf(second, 'system.cpu.utilization', { 'cpu.mode': 'idle', 'cpu.logical_number': 1 })).toBe(1);
  });

  test('memory: used = total - available; macOS buffcache reported as cached, no buffers', async () => {
    const c = await hostCollection(NOWHERE, [new FallbackMemoryCollector(fakeSystem())]).collect();
    expect(c.errors).toEqual([]);
    expect(valueOf(c, 'system.memory.limit')).toBe(16 * GiB);
    expect(valueOf(c, 'system.memory.usage', { 'system.memory.state': 'used' })).toBe(7 * GiB);
    expect(valueOf(c, 'system.memory.usage', { 'system.memory.state': 'free' })).toBe(2 * GiB);
    expect(valueOf(c, 'system.memory.usage', { 'system.memory.state': 'cached' })).toBe(7 * GiB);
    expect(valueOf(c, 'system.memory.utilization', { 'system.memory.state': 'free' })).toBe(0.125);
    expect(valueOf(c, 'system.memory.usage', { 'system.memory.state': 'buffers' })).toBeUndefined();
    expect(points(c, 'system.memory.linux.available')).toEqual([]);
  });

  test('swap from systeminformation; none configured means no points', async () => {
    const c = await hostCollection(NOWHERE, [new FallbackSwapCollector(fakeSystem())]).collect();
    const used = { 'system.paging.state': 'used', 'system.device': '/private/var/vm' };
    expect(valueOf(c, 'system.paging.usage', used)).toBe(0.5 * GiB);
    expect(valueOf(c, 'system.paging.utilization', used)).toBe(0.25);
    const none = fakeSystem({ mem: async () => mem({}) });
    const empty = await hostCollection(NOWHERE, [new FallbackSwapCollector(none)]).collect();
    expect(points(empty, 'system.paging.usage')).toEqual([]);
  });

  test('one systeminformation call serves memory and swap, at most once a second', async () => {
    const sys = fakeSystem();
    const collection = hostCollection(NOWHERE, createFallbackCollectors(sys));
    await collection.collect();
    await collection.collect();
    expect(sys.memCalls).toBe(1);
    const sampler = new SystemMemorySampler(sys, 1000);
    const at = (monoMs: number) => ({ monoMs }) as Parameters<SystemMemorySampler['get']>[0];
    await sampler.get(at(10_000));
    await sampler.get(at(10_999));
    await sampler.get(at(11_000));
    expect(sys.memCalls).toBe(3);
  });

  test('load averages; none on Windows', async () => {
    const c = await hostCollection(NOWHERE, [new FallbackLoadCollector(fakeSystem())]).collect();
    expect(valueOf(c, 'system.cpu.load_average.1m')).toBe(1.5);
    expect(valueOf(c, 'system.cpu.load_average.15m')).toBe(0.5);
    expect(points(c, 'sysmon.cpu.load_average.adjusted.1m')).toEqual([]);
    const win = await hostCollection(NOWHERE, [new FallbackLoadCollector(fakeSystem({ platform: 'win32' }))]).collect();
    expect(points(win, 'system.cpu.load_average.1m')).toEqual([]);
  });

  test('on this machine, without any procfs or sysfs: no errors and values matching os', async () => {
    const collectors = createHostCollectors({ paths: NOWHERE, frequencySources: ['ioreport', 'sysctl'], platform: 'darwin' });
    const collection = hostCollection(NOWHERE, collectors);
    await collection.collect();
    const c = await collection.collect();
    expect(c.errors).toEqual([]);
    expect(valueOf(c, 'system.cpu.logical.count')).toBe(os.cpus().length);
    expect(valueOf(c, 'system.memory.limit')).toBe(os.totalmem());
    const used = valueOf(c, 'system.memory.usage', { 'system.memory.state': 'used' })!;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(os.totalmem());
    expect(points(c, 'system.cpu.load_average.1m')).toHaveLength(1);
    expect(Math.abs(valueOf(c, 'system.uptime')! - os.uptime())).toBeLessThan(2);
    expect(valueOf(c, 'process.memory.usage')).toBeGreaterThan(0);
    // No frequency source is registered in this build for macOS: no point, never 0.
    expect(points(c, 'system.cpu.frequency')).toEqual([]);
  });
});
