import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { findMetric } from '../../src/catalogue.js';
import { createHostCollectors, frequencyReports, resolveHostPaths } from '../../src/collectors/index.js';
import type { HostPaths } from '../../src/collectors/types.js';
import { copyFixture, fixturePaths, hostCollection, memoryLogger, points, valueOf } from './fixture-host.js';

const linux = (paths: HostPaths) => createHostCollectors({ paths, frequencySources: ['sysfs', 'perf', 'cpuinfo'], platform: 'linux' });

describe('createHostCollectors', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  test('stable collector names per platform', () => {
    const paths = fixturePaths('bare-metal');
    expect(linux(paths).map((c) => c.name)).toEqual([
      'cpu', 'memory', 'swap', 'paging', 'load', 'pressure', 'frequency',
      'uptime', 'disk', 'filesystem', 'network', 'thermal_throttle', 'hwmon', 'process',
    ]);
    const other = createHostCollectors({ paths, frequencySources: ['ioreport', 'sysctl'], platform: 'darwin' });
    expect(other.map((c) => c.name)).toEqual(['cpu', 'memory', 'swap', 'load', 'frequency', 'uptime', 'process']);
  });

  test('bare metal: every catalogue metric of the Linux collectors, with exactly the catalogue attributes', async () => {
    const paths = fixturePaths('bare-metal');
    const collection = hostCollection(paths, linux(paths));
    await collection.collect();
    const c = await collection.collect();
    expect(c.errors).toEqual([]);
    const linuxModules = /^src\/collectors\/(linux|frequency)\//;
    for (const [name, list] of c.points) {
      const def = findMetric(name)!;
      expect(def, name).toBeDefined();
      for (const p of list) expect(Object.keys(p.attributes).sort(), name).toEqual([...def.attributes].sort());
    }
    const emitted = new Set(c.points.keys());
    // Utilization needs ticks to pass between collections, which a static tree does not have.
    const expected = ['system.cpu.time', 'system.cpu.frequency', 'sysmon.cpu.frequency.source', 'system.cpu.logical.count',
      'system.processes.count', 'system.memory.usage', 'system.memory.utilization', 'system.memory.limit',
      'system.memory.linux.available', 'system.paging.usage', 'system.paging.utilization', 'system.paging.operations',
      'system.paging.faults', 'system.cpu.load_average.1m', 'system.cpu.load_average.5m', 'system.cpu.load_average.15m',
      'sysmon.cpu.load_average.adjusted.1m', 'sysmon.collector.errors',
      ...['cpu', 'memory', 'io', 'irq'].flatMap((r) => ['total', '10s', '1m', '5m'].map((m) => `system.${r}.linux.pressure.${m}`)),
      'system.uptime', 'system.process.created', 'system.memory.linux.shared', 'system.memory.linux.slab.usage',
      'system.disk.io', 'system.disk.operations', 'system.disk.io_time', 'system.disk.operation_time', 'system.disk.merged',
      'system.filesystem.usage', 'system.filesystem.utilization', 'system.filesystem.limit',
      'system.network.io', 'system.network.packet.count', 'system.network.packet.dropped', 'system.network.errors',
      'process.cpu.time', 'process.memory.usage', 'process.thread.count', 'process.unix.file_descriptor.count'];
    expect([...emitted].sort()).toEqual(expected.sort());
    for (const name of expected) {
      const module = findMetric(name)!.module;
      if (name !== 'sysmon.collector.errors' && !name.startsWith('process.')) expect(module).toMatch(linuxModules);
    }
  });

  test('64-CPU host with hwmon and throttle files: every collector reports with the catalogue attributes, nothing fails', async () => {
    const paths = fixturePaths('host-64cpu');
    const collection = hostCollection(paths, linux(paths));
    await collection.collect();
    const c = await collection.collect();
    expect(c.errors).toEqual([]);
    for (const [name, list] of c.points) {
      const def = findMetric(name)!;
      for (const p of list) {
        const keys = Object.keys(p.attributes);
        // hw.sensor_location is recommended, present only where the chip labels the sensor.
        const expected = def.attributes.filter((a) => a !== 'hw.sensor_location' || keys.includes(a));
        expect(keys.sort(), name).toEqual([...expected].sort());
      }
    }
    expect(points(c, 'system.cpu.time')).toHaveLength(64 * 7);
    expect(points(c, 'sysmon.cpu.thermal_throttle.count')).toHaveLength(128);
    expect(points(c, 'hw.temperature')).toHaveLength(9);
    expect(points(c, 'system.disk.io')).toHaveLength(8);
    expect(points(c, 'system.network.io')).toHaveLength(8);
  });

  test('malformed files: only their collectors fail, counted once per collection and logged once per distinct error', async () => {
    const paths = fixturePaths('malformed');
    const log = memoryLogger();
    const collection = hostCollection(paths, linux(paths), log);
    await collection.collect();
    const c = await collection.collect();
    expect(c.errors.map((e) => e.collector)).toEqual(['cpu', 'memory', 'pressure']);
    expect(c.errors[0].message).toBe(`${paths.procfs}/stat: line 3: expected tick counts after "cpu1", found "cpu1 6300 0 15#9 4\u00003581 244 0 32 123 0 0"`);
    expect(c.errors[1].message).toBe(`${paths.procfs}/meminfo: no Buffers line (truncated file?)`);
    expect(c.errors[2].message).toMatch(new RegExp(`^${paths.procfs}/pressure/io: expected "some\\|full avg10=N`));
    for (const [collector, count] of [['cpu', 2], ['memory', 2], ['pressure', 2], ['swap', 0], ['paging', 0], ['load', 0], ['frequency', 0], ['disk', 0], ['network', 0]] as const) {
      expect(valueOf(c, 'sysmon.collector.errors', { collector }), collector).toBe(count);
    }
    // The others still report.
    expect(valueOf(c, 'system.cpu.load_average.1m')).toBeGreaterThanOrEqual(0);
    expect(points(c, 'system.paging.faults')).toHaveLength(2);
    expect(points(c, 'system.cpu.frequency')).toHaveLength(2);
    expect(log.lines.filter((l) => l.startsWith('warn collector failed'))).toHaveLength(3);
  });

  test('a missing file names its path', async () => {
    const host = copyFixture('no-swap');
    cleanups.push(host.cleanup);
    rmSync(join(host.paths.procfs, 'loadavg'));
    const c = await hostCollection(host.paths, linux(host.paths)).collect();
    expect(c.errors).toEqual([{ collector: 'load', message: `${host.paths.procfs}/loadavg: not found` }]);
    expect(points(c, 'system.memory.usage')).toHaveLength(4);
  });

  test('frequencyReports gives doctor the last per-CPU outcome', async () => {
    const paths = fixturePaths('bare-metal');
    const collectors = linux(paths);
    expect(frequencyReports(collectors)).toBeUndefined();
    await hostCollection(paths, collectors).collect();
    expect(frequencyReports(collectors)?.map((r) => [r.cpu, r.source, r.hz])).toEqual([
      [0, 'sysfs', 3_400_000_000],
      [1, 'sysfs', 2_200_000_000],
      [3, 'sysfs', 1_800_000_000],
    ]);
  });
});

describe('resolveHostPaths', () => {
  test('live only when procfs and sysfs are the real /proc and /sys (also through a symlink)', () => {
    expect(resolveHostPaths({ procfs: '/proc', sysfs: '/sys', rootfs: '/' })).toEqual({ procfs: '/proc', sysfs: '/sys', rootfs: '/', live: true });
    const f = fixturePaths('vm');
    expect(resolveHostPaths(f).live).toBe(false);
    expect(resolveHostPaths({ procfs: '/proc', sysfs: f.sysfs, rootfs: '/' }).live).toBe(false);
    expect(resolveHostPaths({ procfs: '/does/not/exist', sysfs: '/sys', rootfs: '/' }).live).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'sysmon-root-'));
    try {
      symlinkSync('/proc', join(dir, 'proc'));
      symlinkSync('/sys', join(dir, 'sys'));
      expect(resolveHostPaths({ procfs: join(dir, 'proc'), sysfs: join(dir, 'sys'), rootfs: dir }).live).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
