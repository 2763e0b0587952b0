import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LoadavgCollector } from '../../src/collectors/linux/loadavg.js';
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

  test('load averages and the adjusted load = load1 + procs_blocked from /proc/stat', async () => {
    const c = await collectOnce(fixturePaths('bare-metal'), [new LoadavgCollector()]);
    expect(valueOf(c, 'system.cpu.load_average.1m')).toBe(2.5);
    expect(valueOf(c, 'system.cpu.load_average.5m')).toBe(1.75);
    expect(valueOf(c, 'system.cpu.load_average.15m')).toBe(1.1);
    expect(valueOf(c, 'sysmon.cpu.load_average.adjusted.1m')).toBe(4.5);
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
  test('total time in seconds and pressure as a fraction per resource, stall and window', async () => {
    const c = await collectOnce(fixturePaths('bare-metal'), [new PressureCollector()]);
    expect(c.errors).toEqual([]);
    expect(valueOf(c, 'system.linux.psi.total_time', { 'psi.resource': 'cpu', 'psi.stall': 'some' })).toBe(123.456789);
    expect(valueOf(c, 'system.linux.psi.total_time', { 'psi.resource': 'io', 'psi.stall': 'full' })).toBe(87.654321);
    expect(valueOf(c, 'system.linux.psi.total_time', { 'psi.resource': 'irq', 'psi.stall': 'full' })).toBe(0.042);
    const pressure = (resource: string, stall: string, window: string) =>
      valueOf(c, 'system.linux.psi.pressure', { 'psi.resource': resource, 'psi.stall': stall, 'psi.window': window });
    expect(pressure('cpu', 'some', '10s')).toBe(0.125);
    expect(pressure('cpu', 'some', '60s')).toBe(0.0625);
    expect(pressure('memory', 'full', '300s')).toBe(0.0005);
    expect(pressure('irq', 'full', '300s')).toBe(0.0003);
    expect(pressure('irq', 'some', '10s')).toBeUndefined();
    // cpu, memory, io: some + full; irq: full only.
    expect(points(c, 'system.linux.psi.total_time')).toHaveLength(7);
    expect(points(c, 'system.linux.psi.pressure')).toHaveLength(21);
  });

  test('no /proc/pressure: no points and no error; doctor is told why', async () => {
    const c = await collectOnce(fixturePaths('no-psi'), [new PressureCollector()]);
    expect(c.errors).toEqual([]);
    expect(points(c, 'system.linux.psi.total_time')).toEqual([]);
    const support = pressureSupport(fixturePaths('no-psi'));
    expect(support.available).toBe(false);
    expect(support).toMatchObject({ reason: expect.stringContaining('proc/pressure does not exist (kernel older than 4.20') });
    expect(pressureSupport(fixturePaths('bare-metal'))).toEqual({ available: true });
  });

  test('a kernel without the irq file reports the other resources', async () => {
    const c = await collectOnce(fixturePaths('vm'), [new PressureCollector()]);
    expect(c.errors).toEqual([]);
    expect(new Set(points(c, 'system.linux.psi.total_time').map((p) => p.attributes['psi.resource']))).toEqual(
      new Set(['cpu', 'memory', 'io']),
    );
  });
});
