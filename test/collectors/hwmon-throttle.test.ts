// Why a clock dropped, on a 64-CPU fixture host: per-CPU thermal throttle counters and hwmon
// temperatures; trees without them (VMs) give no points, never zeros.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { findTemperatureSensors, HwmonCollector, parseMillidegrees } from '../../src/collectors/linux/hwmon.js';
import { ThermalThrottleCollector } from '../../src/collectors/linux/thermal-throttle.js';
import { collectOnce, copyFixture, fixturePaths, hostCollection, points, valueOf } from './fixture-host.js';

describe('thermal throttle collector', () => {
  test('count and time per logical CPU at core and package scope', async () => {
    const c = await collectOnce(fixturePaths('host-64cpu'), [new ThermalThrottleCollector()]);
    expect(c.errors).toEqual([]);
    const at = (cpu: number, scope: string) => ({ 'cpu.logical_number': cpu, scope });
    expect(valueOf(c, 'sysmon.cpu.thermal_throttle.count', at(5, 'core'))).toBe(15);
    expect(valueOf(c, 'sysmon.cpu.thermal_throttle.count', at(37, 'core'))).toBe(15);
    expect(valueOf(c, 'sysmon.cpu.thermal_throttle.count', at(20, 'package'))).toBe(101);
    expect(valueOf(c, 'sysmon.cpu.thermal_throttle.time', at(5, 'core'))).toBe(1.25);
    expect(valueOf(c, 'sysmon.cpu.thermal_throttle.time', at(20, 'package'))).toBe(13);
    expect(points(c, 'sysmon.cpu.thermal_throttle.count')).toHaveLength(128);
    // cpu63's kernel has no *_time_ms files: counts but no times.
    expect(points(c, 'sysmon.cpu.thermal_throttle.time')).toHaveLength(126);
    expect(valueOf(c, 'sysmon.cpu.thermal_throttle.time', at(63, 'core'))).toBeUndefined();
  });

  test('no thermal_throttle directories (a VM, arm64): no points and no error', async () => {
    for (const tree of ['vm', 'aarch64']) {
      const c = await collectOnce(fixturePaths(tree), [new ThermalThrottleCollector()]);
      expect(c.errors).toEqual([]);
      expect(points(c, 'sysmon.cpu.thermal_throttle.count')).toEqual([]);
    }
  });

  test('the counters are re-read only after the read interval; the last values are reported in between', async () => {
    const host = copyFixture('host-64cpu');
    try {
      const file = join(host.paths.sysfs, 'devices/system/cpu/cpu5/thermal_throttle/core_throttle_count');
      const at = { 'cpu.logical_number': 5, scope: 'core' };
      for (const [ttl, expected] of [[3_600_000, 15], [0, 99]] as const) {
        writeFileSync(file, '15\n');
        const collection = hostCollection(host.paths, [new ThermalThrottleCollector(ttl)]);
        await collection.collect();
        writeFileSync(file, '99\n');
        expect(valueOf(await collection.collect(), 'sysmon.cpu.thermal_throttle.count', at), `ttl ${ttl}`).toBe(expected);
      }
    } finally {
      host.cleanup();
    }
  });

  test('a garbled counter is a collector error naming the file', async () => {
    const host = copyFixture('host-64cpu');
    try {
      writeFileSync(join(host.paths.sysfs, 'devices/system/cpu/cpu3/thermal_throttle/core_throttle_count'), 'lots\n');
      const c = await collectOnce(host.paths, [new ThermalThrottleCollector()]);
      expect(c.errors).toEqual([
        { collector: 'thermal_throttle', message: `${host.paths.sysfs}/devices/system/cpu/cpu3/thermal_throttle/core_throttle_count: expected a count, found "lots"` },
      ]);
    } finally {
      host.cleanup();
    }
  });
});

describe('hwmon temperatures', () => {
  test('millidegrees', () => {
    expect(parseMillidegrees('71000\n')).toBe(71);
    expect(parseMillidegrees('-5000')).toBe(-5);
    expect(parseMillidegrees('\n')).toBeUndefined();
  });

  test('every tempK_input with its label, chip name and a boot-stable hw.id; old-style chips read from device/', () => {
    const sensors = findTemperatureSensors(fixturePaths('host-64cpu').sysfs);
    expect(sensors.map((s) => s.attributes)).toEqual([
      { 'hw.id': 'acpitz_thermal_zone0_temp1', 'hw.name': 'acpitz temp1', 'hw.type': 'temperature' },
      { 'hw.id': 'coretemp_coretemp.0_temp1', 'hw.name': 'coretemp Package id 0', 'hw.type': 'temperature', 'hw.sensor_location': 'Package id 0' },
      { 'hw.id': 'coretemp_coretemp.0_temp2', 'hw.name': 'coretemp Core 0', 'hw.type': 'temperature', 'hw.sensor_location': 'Core 0' },
      { 'hw.id': 'coretemp_coretemp.0_temp3', 'hw.name': 'coretemp Core 1', 'hw.type': 'temperature', 'hw.sensor_location': 'Core 1' },
      { 'hw.id': 'coretemp_coretemp.1_temp1', 'hw.name': 'coretemp Package id 1', 'hw.type': 'temperature', 'hw.sensor_location': 'Package id 1' },
      { 'hw.id': 'coretemp_coretemp.1_temp2', 'hw.name': 'coretemp Core 0', 'hw.type': 'temperature', 'hw.sensor_location': 'Core 0' },
      { 'hw.id': 'nvme_nvme0_temp1', 'hw.name': 'nvme Composite', 'hw.type': 'temperature', 'hw.sensor_location': 'Composite' },
      { 'hw.id': 'nvme_nvme0_temp2', 'hw.name': 'nvme Sensor 1', 'hw.type': 'temperature', 'hw.sensor_location': 'Sensor 1' },
      { 'hw.id': 'nvme_nvme0_temp3', 'hw.name': 'nvme temp3', 'hw.type': 'temperature' },
      { 'hw.id': 'it8728_it87.2608_temp1', 'hw.name': 'it8728 temp1', 'hw.type': 'temperature' },
    ]);
  });

  test('values in Celsius; an unreadable sensor and a chip without temperatures give no point', async () => {
    const c = await collectOnce(fixturePaths('host-64cpu'), [new HwmonCollector()]);
    expect(c.errors).toEqual([]);
    const byId = Object.fromEntries(points(c, 'hw.temperature').map((p) => [p.attributes['hw.id'], p.value]));
    expect(byId).toEqual({
      acpitz_thermal_zone0_temp1: 27.8,
      'coretemp_coretemp.0_temp1': 71,
      'coretemp_coretemp.0_temp2': 68,
      'coretemp_coretemp.0_temp3': 93,
      'coretemp_coretemp.1_temp1': 65,
      'coretemp_coretemp.1_temp2': 64,
      nvme_nvme0_temp1: 44.85,
      nvme_nvme0_temp2: -5,
      'it8728_it87.2608_temp1': 38,
    });
  });

  test('no hwmon class (a VM): no points, no error', async () => {
    const c = await collectOnce(fixturePaths('vm'), [new HwmonCollector()]);
    expect(c.errors).toEqual([]);
    expect(points(c, 'hw.temperature')).toEqual([]);
  });

  test('a chip that disappears between scans gives no point for it', async () => {
    const host = copyFixture('host-64cpu');
    try {
      const hwmon = new HwmonCollector();
      const collection = hostCollection(host.paths, [hwmon]);
      await collection.collect();
      rmSync(join(host.paths.sysfs, 'devices/platform/coretemp.1/hwmon/hwmon2/temp1_input'));
      const c = await collection.collect();
      expect(c.errors).toEqual([]);
      expect(points(c, 'hw.temperature').map((p) => p.attributes['hw.id'])).not.toContain('coretemp_coretemp.1_temp1');
      expect(points(c, 'hw.temperature')).toHaveLength(8);
    } finally {
      host.cleanup();
    }
  });
});
