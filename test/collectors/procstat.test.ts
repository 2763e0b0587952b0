import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { MalformedSourceError } from '../../src/collectors/collect.js';
import { parseCpuList } from '../../src/collectors/linux/cpu-list.js';
import { CpuTicksWindow, cpuBusySeconds, ProcStatCollector } from '../../src/collectors/linux/procstat.js';
import { parseProcStat } from '../../src/collectors/linux/procstat-parser.js';
import type { CollectContext, Collector, PointSink } from '../../src/collectors/types.js';
import { collectOnce, copyFixture, FIXTURES, fixturePaths, hostCollection, points, valueOf } from './fixture-host.js';

const fixture = (name: string, file: string) => readFileSync(join(FIXTURES, name, 'proc', file), 'latin1');

describe('parseProcStat', () => {
  test('per-CPU ticks in mode order, interrupt = irq + softirq, guest not added', () => {
    const stat = parseProcStat(fixture('bare-metal', 'stat'));
    expect(stat.cpus.map((c) => c.cpu)).toEqual([0, 1, 3]);
    // cpu1 23456 20 3456 345678 2345 67 33 11 500 7: guest 500 and guest_nice 7 are already in user/nice.
    expect(stat.cpus[1]).toEqual({ cpu: 1, ticks: [23456, 20, 3456, 345678, 2345, 100, 11], modes: 7 });
    expect(stat.procsRunning).toBe(3);
    expect(stat.procsBlocked).toBe(2);
    expect(stat.processesCreated).toBe(4330);
  });

  test('kernels with fewer columns report fewer modes', () => {
    expect(parseProcStat('cpu  100 0 50 1000\ncpu0 100 0 50 1000\n').cpus[0]).toEqual({
      cpu: 0,
      ticks: [100, 0, 50, 1000, 0, 0, 0],
      modes: 4,
    });
    // 2.6.0-2.6.10: iowait, irq, softirq but no steal.
    expect(parseProcStat('cpu0 1 2 3 4 5 6 7\n').cpus[0]).toMatchObject({ ticks: [1, 2, 3, 4, 5, 13, 0], modes: 6 });
    // 8 columns (steal, no guest) as in the no-psi fixture.
    expect(parseProcStat(fixture('no-psi', 'stat')).cpus[0]).toMatchObject({ ticks: [51234, 120, 8123, 1023456, 2345, 357, 67], modes: 7 });
  });

  test('missing procs_running/procs_blocked lines are undefined, not 0', () => {
    const stat = parseProcStat('cpu0 1 2 3 4\n');
    expect(stat.procsRunning).toBeUndefined();
    expect(stat.procsBlocked).toBeUndefined();
    expect(stat.processesCreated).toBeUndefined();
    expect(() => parseProcStat('cpu0 1 2 3 4\nprocesses many\n', '/proc/stat')).toThrow('/proc/stat: line 2: expected a count, found "many"');
  });

  test('garbled files are MalformedSourceError naming the file and line', () => {
    expect(() => parseProcStat(fixture('malformed', 'stat'), '/host/proc/stat')).toThrow(MalformedSourceError);
    expect(() => parseProcStat(fixture('malformed', 'stat'), '/host/proc/stat')).toThrow(/^\/host\/proc\/stat: line 3: expected tick counts after "cpu1"/);
    expect(() => parseProcStat('intr 1 2\nctxt 5\n', '/proc/stat')).toThrow('/proc/stat: no cpuN lines');
    expect(() => parseProcStat('cpu0 1 2 3\n', '/proc/stat')).toThrow('/proc/stat: line 1: expected at least 4 tick counts for cpu0, found 3');
    expect(() => parseProcStat('cpu0 1 2 3 4\nprocs_blocked x\n')).toThrow('line 2: expected a count, found "x"');
  });
});

describe('parseCpuList', () => {
  test('ranges and single CPUs', () => {
    expect(parseCpuList('0-3,5,7-8\n', 'online')).toEqual([0, 1, 2, 3, 5, 7, 8]);
    expect(parseCpuList('0\n', 'online')).toEqual([0]);
  });

  test('bad lists name the file and the part', () => {
    expect(() => parseCpuList('0-a', '/sys/online')).toThrow('/sys/online: expected a CPU list like "0-3,5", found "a"');
    expect(() => parseCpuList('3-1', '/sys/online')).toThrow('/sys/online: range "3-1" ends before it starts');
    expect(() => parseCpuList('\n', '/sys/online')).toThrow('/sys/online: empty CPU list');
  });

  test('any set of CPUs survives formatting as ranges and parsing back', () => {
    const format = (cpus: number[]): string => {
      const parts: string[] = [];
      for (let i = 0; i < cpus.length; ) {
        let j = i;
        while (j + 1 < cpus.length && cpus[j + 1] === cpus[j] + 1) j++;
        parts.push(i === j ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
        i = j + 1;
      }
      return parts.join(',');
    };
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { minLength: 1 }), (set) => {
        const sorted = [...set].sort((a, b) => a - b);
        expect(parseCpuList(format(sorted), 'online')).toEqual(sorted);
      }),
    );
  });
});

describe('cpu collector', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  test('bare metal: CPU time in seconds with integer cpu.logical_number, offline CPU 2 absent', async () => {
    const c = await collectOnce(fixturePaths('bare-metal'), [new ProcStatCollector()]);
    expect(c.errors).toEqual([]);
    expect(valueOf(c, 'system.cpu.time', { 'cpu.mode': 'user', 'cpu.logical_number': 0 })).toBe(123.45);
    expect(valueOf(c, 'system.cpu.time', { 'cpu.mode': 'user', 'cpu.logical_number': 1 })).toBe(234.56);
    expect(valueOf(c, 'system.cpu.time', { 'cpu.mode': 'interrupt', 'cpu.logical_number': 1 })).toBe(1);
    expect(valueOf(c, 'system.cpu.time', { 'cpu.mode': 'steal', 'cpu.logical_number': 1 })).toBe(0.11);
    expect(valueOf(c, 'system.cpu.time', { 'cpu.mode': 'idle', 'cpu.logical_number': 3 })).toBe(2345.67);
    const times = points(c, 'system.cpu.time');
    expect(times).toHaveLength(3 * 7);
    expect(new Set(times.map((p) => p.attributes['cpu.logical_number']))).toEqual(new Set([0, 1, 3]));
    expect(times.every((p) => typeof p.attributes['cpu.logical_number'] === 'number')).toBe(true);
    expect(valueOf(c, 'system.cpu.logical.count')).toBe(3);
    expect(valueOf(c, 'system.processes.count', { status: 'running' })).toBe(3);
    expect(valueOf(c, 'system.processes.count', { status: 'blocked' })).toBe(2);
    expect(valueOf(c, 'system.process.created')).toBe(4330);
    // The first collection has nothing to compare with.
    expect(points(c, 'system.cpu.utilization')).toEqual([]);
  });

  test('no sysfs online file: the CPU count comes from the cpuN lines', async () => {
    const c = await collectOnce(fixturePaths('no-psi'), [new ProcStatCollector()]);
    expect(valueOf(c, 'system.cpu.logical.count')).toBe(2);
    expect(valueOf(c, 'system.cpu.time', { 'cpu.mode': 'steal', 'cpu.logical_number': 1 })).toBe(0.59);
  });

  test('a 4-column kernel gets no iowait, interrupt or steal points', async () => {
    const host = copyFixture('no-psi');
    cleanups.push(host.cleanup);
    writeFileSync(join(host.paths.procfs, 'stat'), 'cpu  300 0 100 2000\ncpu0 150 0 50 1000\ncpu1 150 0 50 1000\n');
    const c = await collectOnce(host.paths, [new ProcStatCollector()]);
    expect(new Set(points(c, 'system.cpu.time').map((p) => p.attributes['cpu.mode']))).toEqual(
      new Set(['user', 'nice', 'system', 'idle']),
    );
    expect(points(c, 'system.processes.count')).toEqual([]);
  });

  test('utilization from the delta between two collections; counters going backwards reset that CPU', async () => {
    const host = copyFixture('bare-metal');
    cleanups.push(host.cleanup);
    const statPath = join(host.paths.procfs, 'stat');
    const original = readFileSync(statPath, 'latin1');
    const collection = hostCollection(host.paths, [new ProcStatCollector()]);
    await collection.collect();

    // cpu0: +30 user, +10 system, +50 idle, +10 iowait ticks; cpu1 went backwards (hot-plugged); cpu3 unchanged.
    writeFileSync(
      statPath,
      original
        .replace('cpu0 12345 10 2345 456789 1234 56 44', 'cpu0 12375 10 2355 456839 1244 56 44')
        .replace('cpu1 23456 20 3456 345678', 'cpu1 100 0 50 900'),
    );
    const second = await collection.collect();
    const util = (mode: string, cpu: number) => valueOf(second, 'system.cpu.utilization', { 'cpu.mode': mode, 'cpu.logical_number': cpu });
    expect(util('user', 0)).toBeCloseTo(0.3, 12);
    expect(util('system', 0)).toBeCloseTo(0.1, 12);
    expect(util('idle', 0)).toBeCloseTo(0.5, 12);
    expect(util('iowait', 0)).toBeCloseTo(0.1, 12);
    expect(util('steal', 0)).toBe(0);
    expect(util('user', 1)).toBeUndefined();
    // No tick elapsed on cpu3: no utilization, and the old baseline is kept.
    expect(util('user', 3)).toBeUndefined();

    writeFileSync(
      statPath,
      original
        .replace('cpu0 12345 10 2345 456789 1234 56 44', 'cpu0 12375 10 2355 456839 1244 56 44')
        .replace('cpu1 23456 20 3456 345678', 'cpu1 120 0 50 980')
        .replace('cpu3 34567 30 4567 234567', 'cpu3 34577 30 4567 234567'),
    );
    const third = await collection.collect();
    expect(valueOf(third, 'system.cpu.utilization', { 'cpu.mode': 'user', 'cpu.logical_number': 1 })).toBeCloseTo(0.2, 12);
    expect(valueOf(third, 'system.cpu.utilization', { 'cpu.mode': 'idle', 'cpu.logical_number': 1 })).toBeCloseTo(0.8, 12);
    expect(valueOf(third, 'system.cpu.utilization', { 'cpu.mode': 'user', 'cpu.logical_number': 3 })).toBe(1);
    // cpu0 had no new ticks in the third collection.
    expect(valueOf(third, 'system.cpu.utilization', { 'cpu.mode': 'user', 'cpu.logical_number': 0 })).toBeUndefined();
  });

  test('busy seconds per CPU over the window, for the perf frequency source', async () => {
    const host = copyFixture('bare-metal');
    cleanups.push(host.cleanup);
    const statPath = join(host.paths.procfs, 'stat');
    const original = readFileSync(statPath, 'latin1');
    const seen: ReturnType<typeof cpuBusySeconds>[] = [];
    let askedTooEarly = false;
    const ownWindow = new CpuTicksWindow();
    const own: ReturnType<CpuTicksWindow['advance']>[] = [];
    // Stands in for a frequency source: asks before and after the cpu collector ran.
    const probe = (after: boolean): Collector => ({
      name: after ? 'probe-after' : 'probe-before',
      collect(ctx: CollectContext, _sink: PointSink) {
        if (!after) {
          if (cpuBusySeconds(ctx) !== undefined) askedTooEarly = true;
          return;
        }
        seen.push(cpuBusySeconds(ctx));
        own.push(ownWindow.advance(ctx));
        expect(ownWindow.advance(ctx)).toBe(own[own.length - 1]);
      },
    });
    const collection = hostCollection(host.paths, [probe(false), new ProcStatCollector(), probe(true)]);
    await collection.collect();
    writeFileSync(statPath, original.replace('cpu0 12345 10 2345 456789 1234 56 44', 'cpu0 12375 10 2355 456839 1244 56 44'));
    await collection.collect();
    expect(seen[0]?.size).toBe(0);
    const window = seen[1]!.get(0)!;
    expect(window.busySeconds).toBeCloseTo(0.4, 12);
    expect(window.totalSeconds).toBeCloseTo(1.0, 12);
    expect(own[1].get(0)!.busySeconds).toBeCloseTo(0.4, 12);
    // Asked before the cpu collector ran in a collection: nothing yet (and the memo is not spoiled).
    expect(askedTooEarly).toBe(false);
  });
});
