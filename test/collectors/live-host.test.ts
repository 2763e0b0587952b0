// The real Linux collectors against this machine's /proc and /sys.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, test } from 'vitest';
import { createHostCollectors, frequencyReports, resolveHostPaths } from '../../src/collectors/index.js';
import { hostCollection, points, valueOf } from './fixture-host.js';

const PAGE = 4096;

describe.runIf(process.platform === 'linux')('this machine', () => {
  test('sane values from /proc and /sys', async () => {
    const paths = resolveHostPaths({ procfs: '/proc', sysfs: '/sys', rootfs: '/' });
    expect(paths.live).toBe(true);
    const collectors = createHostCollectors({ paths, frequencySources: ['sysfs', 'perf', 'cpuinfo'] });
    const collection = hostCollection(paths, collectors);
    await collection.collect();
    // Let at least one USER_HZ tick pass so utilization has a window (bounded: 20 × 20 ms).
    let c = await collection.collect();
    for (let i = 0; i < 20 && points(c, 'system.cpu.utilization').length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      c = await collection.collect();
    }
    expect(c.errors).toEqual([]);
    const cpus = os.availableParallelism();
    expect(valueOf(c, 'system.cpu.logical.count')).toBe(cpus);
    expect(Math.abs(valueOf(c, 'system.memory.limit')! - os.totalmem())).toBeLessThanOrEqual(PAGE);
    const available = valueOf(c, 'system.memory.linux.available')!;
    expect(available).toBeGreaterThan(0);
    expect(available).toBeLessThanOrEqual(os.totalmem());

    const util = points(c, 'system.cpu.utilization');
    expect(util.length).toBeGreaterThan(0);
    for (const cpu of new Set(util.map((p) => p.attributes['cpu.logical_number']))) {
      const sum = util.filter((p) => p.attributes['cpu.logical_number'] === cpu).reduce((s, p) => s + p.value, 0);
      expect(sum).toBeCloseTo(1, 9);
    }
    const idle = valueOf(c, 'system.cpu.time', { 'cpu.mode': 'idle', 'cpu.logical_number': 0 })!;
    expect(idle).toBeGreaterThan(0);
    expect(idle).toBeLessThan(os.uptime() + 1);
    expect(valueOf(c, 'system.cpu.load_average.1m')).toBeGreaterThanOrEqual(0);
    expect(valueOf(c, 'system.processes.count', { status: 'running' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(c, 'system.paging.faults', { 'system.paging.fault.type': 'minor' })).toBeGreaterThan(0);
    if (existsSync('/proc/pressure/cpu')) {
      // The kernel's own counter (µs) read just before and after a collection brackets ours (s).
      const cpuSomeMicros = (): number => Number(/^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'))![1]);
      const before = cpuSomeMicros();
      const again = await collection.collect();
      const after = cpuSomeMicros();
      const total = valueOf(again, 'system.cpu.linux.pressure.total', { 'system.pressure.stall_type': 'some' })!;
      expect(total * 1e6).toBeGreaterThanOrEqual(before - 1);
      expect(total * 1e6).toBeLessThanOrEqual(after + 1);
      const avg10 = valueOf(again, 'system.cpu.linux.pressure.10s', { 'system.pressure.stall_type': 'some' })!;
      expect(avg10).toBeGreaterThanOrEqual(0);
      expect(avg10).toBeLessThanOrEqual(1);
    }

    const hasCpufreq = existsSync('/sys/devices/system/cpu/cpufreq') && readdirSync('/sys/devices/system/cpu/cpufreq').length > 0;
    if (hasCpufreq || process.arch === 'x64') {
      const freq = points(c, 'system.cpu.frequency');
      expect(freq).toHaveLength(cpus);
      for (const p of freq) {
        expect(p.value).toBeGreaterThan(100e6);
        expect(p.value).toBeLessThan(10e9);
      }
      const reports = frequencyReports(collectors)!;
      expect(reports.every((r) => r.source === (hasCpufreq ? 'sysfs' : 'cpuinfo'))).toBe(true);
    }
  });
});
