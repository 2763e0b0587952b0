import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { adjustedLoad1, LoadavgCollector } from '../../src/collectors/linux/loadavg.js';
import { parseLoadavg } from '../../src/collectors/linux/loadavg-parser.js';
import { PressureCollector, pressureSupport } from '../../src/collectors/linux/pressure.js';
import { parsePressure } from '../../src/collectors/linux/pressure-parser.js';
import { collectOnce, FIXTURES, fixturePaths, points, valueOf } from './fixture-host.js';

const fixture = (name: string, file: string) => readFileSync(join(FIXTURES, name, 'proc', file), 'latin1');

describe('load', () => {
  test('parseLoadavg', () => {
    expect(parseLoadavg(fixture('bare-metal', 'loadavg'))).toEqual({ load1: 2.5, load5: 1.75, load15: 1.1 });
    expect(() => parseLoadavg('0.1 x 0.3 1/2 3\n', '/proc/loadavg')).toThrow(
      '/proc/loadavg: expected three load averages like "0.52 0.58 0.59", found "0.1 x 0.3 1/2 3"',
    );
    expect(() => parseLoadavg('', '/proc/loadavg')).toThrow('/proc/loadavg: expected three load averages');
  });

  test('load averages and the adjusted load = max(load1, procs_running + procs_blocked) from /proc/stat', async () => {
    const c = await collectOnce(fixturePaths('bare-metal'), [new LoadavgCollector()]);
    expect(valueOf(c, 'system.cpu.load_average.1m')).toBe(2.5);
    expect(valueOf(c, 'system.cpu.load_average.5m')).toBe(1.75);
    expect(valueOf(c, 'system.cpu.load_average.15m')).toBe(1.1);
    // The fixture's /proc/stat: procs_running 3, procs_blocked 2.
    expect(valueOf(c, 'sysmon.cpu.load_average.adjusted.1m')).toBe(5);
  });

  test('the adjusted load counts a blocked task once (Linux load already includes state D)', () => {
    // Steady thrashing: 20 tasks in D for minutes, 2 runnable; Linux load1 has converged to 22.
    // dsynth on DragonFly would see load 2 (runnable only) + t_pw 20 = 22; load1 + blocked would say 42.
    expect(adjustedLoad1(22, 2, 20)).toBe(22);
    // A sudden wave of 20 blocked tasks while load1 still shows the past 8: the limit reacts at once.
    expect(adjustedLoad1(8, 2, 20)).toBe(22);
    // Nothing blocked: the average, as dsynth without page-fault waiters.
    expect(adjustedLoad1(3.25, 1, 0)).toBe(3.25);
  });

  test('a broken /proc/stat drops only the adjusted load (the cpu collector reports that error)', async () => {
    const c = await collectOnce(fixturePaths('malformed'), [new LoadavgCollector()]);
    expect(c.errors).toEqual([]);
    expect(points(c, 'system.cpu.load_average.1m')).toHaveLength(1);
    expect(points(c, 'sysmon.cpu.load_average.adjusted.1m')).toEqual([]);
  });
});

describe('parsePressure', () => {
  test('some and full lines; irq has only full', () => {
    expect(parsePressure(fixture('bare-metal', 'pressure/cpu'), 'cpu')).toEqual([
      { stall: 'some', avg10: 12.5, avg60: 6.25, avg300: 1, totalMicros: 123456789 },
      { stall: 'full', avg10: 0, avg60: 0, avg300: 0, totalMicros: 0 },
    ]);
    expect(parsePressure(fixture('bare-metal', 'pressure/irq'), 'irq')).toEqual([
      { stall: 'full', avg10: 0.01, avg60: 0.02, avg300: 0.03, totalMicros: 42000 },
    ]);
  });

  test('a bad line is MalformedSourceError quoting it', () => {
    expect(() => parsePressure(fixture('malformed', 'pressure/io'), '/proc/pressure/io')).toThrow(
      '/proc/pressure/io: expected "some|full avg10=N avg60=N avg300=N total=N", found "some avg10=2.45 avg60=zero avg300=0.26 total=2526343"',
    );
    expect(() => parsePressure('', '/proc/pressure/cpu')).toThrow('/proc/pressure/cpu: empty file');
  });
});

describe('pressure collector', () => {
  test('the Collector pressure scraper names: total in seconds, averages as fractions, per stall type', async () => {
    const c = await collectOnce(fixturePaths('bare-metal'), [new PressureCollector()]);
    expect(c.errors).toEqual([]);
    const some = { 'system.pressure.stall_type': 'some' };
    const full = { 'system.pressure.stall_type': 'full' };
    expect(valueOf(c, 'system.cpu.linux.pressure.total', some)).toBe(123.456789);
    expect(valueOf(c, 'system.io.linux.pressure.total', full)).toBe(87.654321);
    expect(valueOf(c, 'system.irq.linux.pressure.total', full)).toBe(0.042);
    expect(valueOf(c, 'system.cpu.linux.pressure.10s', some)).toBe(0.125);
    expect(valueOf(c, 'system.cpu.linux.pressure.1m', some)).toBe(0.0625);
    expect(valueOf(c, 'system.memory.linux.pressure.5m', full)).toBe(0.0005);
    expect(valueOf(c, 'system.irq.linux.pressure.5m', full)).toBe(0.0003);
    expect(valueOf(c, 'system.irq.linux.pressure.10s', some)).toBeUndefined();
    // cpu, memory, io: some + full; irq: full only.
    for (const r of ['cpu', 'memory', 'io'] as const) {
      for (const m of ['total', '10s', '1m', '5m'] as const) expect(points(c, `system.${r}.linux.pressure.${m}`)).toHaveLength(2);
    }
    expect(points(c, 'system.irq.linux.pressure.total')).toHaveLength(1);
  });

  test('no /proc/pressure: no points and no error; doctor is told why', async () => {
    const c = await collectOnce(fixturePaths('no-psi'), [new PressureCollector()]);
    expect(c.errors).toEqual([]);
    expect([...c.points.keys()].filter((name) => name.includes('pressure'))).toEqual([]);
    const support = pressureSupport(fixturePaths('no-psi'));
    expect(support.available).toBe(false);
    expect(support).toMatchObject({ reason: expect.stringContaining('proc/pressure does not exist (kernel older than 4.20') });
    expect(pressureSupport(fixturePaths('bare-metal'))).toEqual({ available: true });
  });

  test('a kernel without the irq file reports the other resources', async () => {
    const c = await collectOnce(fixturePaths('vm'), [new PressureCollector()]);
    expect(c.errors).toEqual([]);
    expect([...c.points.keys()].filter((name) => name.endsWith('.linux.pressure.total')).sort()).toEqual([
      'system.cpu.linux.pressure.total',
      'system.io.linux.pressure.total',
      'system.memory.linux.pressure.total',
    ]);
  });
});
