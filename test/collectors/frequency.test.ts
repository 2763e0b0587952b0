import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { FrequencySourceName } from '../../src/config/options.js';
import { createFrequencySources, FrequencyCollector, registerFrequencySource } from '../../src/collectors/frequency/index.js';
import type { FrequencySourceOptions } from '../../src/collectors/frequency/registry.js';
import { parseCpufreqKhz, SysfsFrequencySource } from '../../src/collectors/frequency/sysfs.js';
import type { FrequencySource } from '../../src/collectors/frequency/types.js';
import { CpuinfoFrequencySource } from '../../src/collectors/frequency/cpuinfo.js';
import { cpuinfoMhzWithoutAperfMperf, parseCpuinfoMhz } from '../../src/collectors/linux/cpuinfo-parser.js';
import { onlineCpus } from '../../src/collectors/linux/procstat.js';
import type { CollectContext, HostPaths } from '../../src/collectors/types.js';
import { collectOnce, copyFixture, FIXTURES, fixturePaths, hostCollection, points, valueOf } from './fixture-host.js';

const NOMINAL_NOTE =
  'cpu MHz from /proc/cpuinfo: the fixed boot-time nominal clock (no APERF/MPERF and no cpufreq, so the kernel prints cpu_khz)';

function chain(paths: HostPaths, names: FrequencySourceName[], extra: Partial<FrequencySourceOptions> = {}): FrequencyCollector {
  return new FrequencyCollector(createFrequencySources(names, { paths, explicit: false, platform: 'linux', ...extra }), onlineCpus);
}

const hz = (c: Awaited<ReturnType<typeof collectOnce>>, cpu: number) => valueOf(c, 'system.cpu.frequency', { 'cpu.logical_number': cpu });

describe('frequency parsers', () => {
  test('cpufreq kHz to Hz', () => {
    expect(parseCpufreqKhz('3400000\n', 'scaling_cur_freq')).toEqual({ hz: 3_400_000_000, note: 'scaling_cur_freq' });
    expect(parseCpufreqKhz('0\n', 'scaling_cur_freq')).toEqual({ reason: 'scaling_cur_freq reads 0' });
    expect(parseCpufreqKhz('<unknown>\n', 'cpuinfo_cur_freq')).toEqual({ reason: 'cpuinfo_cur_freq reads "<unknown>", expected kHz' });
  });

  test('cpuinfo "cpu MHz" per processor; none on aarch64', () => {
    const text = readFileSync(join(FIXTURES, 'bare-metal/proc/cpuinfo'), 'latin1');
    expect(parseCpuinfoMhz(text)).toEqual(new Map([[0, 3700], [1, 4800.123], [3, 1200.5]]));
    expect(parseCpuinfoMhz(readFileSync(join(FIXTURES, 'aarch64/proc/cpuinfo'), 'latin1')).size).toBe(0);
    expect(() => parseCpuinfoMhz('processor\t: 0\ncpu MHz\t\t: fast\n', '/proc/cpuinfo')).toThrow(
      '/proc/cpuinfo: cpu MHz: expected a number, found "fast"',
    );
    expect(() => parseCpuinfoMhz('cpu MHz\t\t: 1000\n', '/proc/cpuinfo')).toThrow('/proc/cpuinfo: cpu MHz line before any processor line');
  });
});

describe('frequency chain', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  test('bare metal: sysfs scaling_cur_freq, then cpuinfo_cur_freq; the offline CPU gets nothing', async () => {
    const paths = fixturePaths('bare-metal');
    const collector = chain(paths, ['sysfs', 'perf', 'cpuinfo']);
    const c = await collectOnce(paths, [collector]);
    expect(c.errors).toEqual([]);
    expect(hz(c, 0)).toBe(3_400_000_000);
    expect(hz(c, 1)).toBe(2_200_000_000);
    expect(hz(c, 3)).toBe(1_800_000_000);
    expect(hz(c, 2)).toBeUndefined();
    expect(points(c, 'system.cpu.frequency').every((p) => typeof p.attributes['cpu.logical_number'] === 'number')).toBe(true);
    expect(points(c, 'sysmon.cpu.frequency.source')).toEqual([0, 1, 3].map((cpu) => ({ attributes: { 'cpu.logical_number': cpu, source: 'sysfs' }, value: 1 })));
    const reports = collector.lastReports();
    expect(reports.map((r) => r.cpu)).toEqual([0, 1, 3]);
    expect(reports[2]).toEqual({ cpu: 3, source: 'sysfs', hz: 1_800_000_000, tried: [{ source: 'sysfs', ok: true, reason: 'cpuinfo_cur_freq' }], series: 'sysfs' });
  });

  test('the configured order decides: cpuinfo first gives the cpuinfo values', async () => {
    const paths = fixturePaths('bare-metal');
    const c = await collectOnce(paths, [chain(paths, ['cpuinfo', 'sysfs'])]);
    expect(hz(c, 0)).toBe(3_700_000_000);
    expect(hz(c, 1)).toBe(4_800_123_000);
    expect(hz(c, 3)).toBe(1_200_500_000);
    expect(valueOf(c, 'sysmon.cpu.frequency.source', { 'cpu.logical_number': 1, source: 'cpuinfo' })).toBe(1);
  });

  test('a CPU whose cpufreq directory lost its files falls through to cpuinfo, with the reason kept', async () => {
    const host = copyFixture('bare-metal');
    cleanups.push(host.cleanup);
    rmSync(join(host.paths.sysfs, 'devices/system/cpu/cpufreq/policy1/scaling_cur_freq'));
    const collector = chain(host.paths, ['sysfs', 'cpuinfo']);
    const c = await collectOnce(host.paths, [collector]);
    expect(hz(c, 1)).toBe(4_800_123_000);
    expect(collector.lastReports()[1].tried).toEqual([
      { source: 'sysfs', ok: false, reason: 'no cpu1/cpufreq directory (CPU not managed by the cpufreq driver)' },
      { source: 'cpuinfo', ok: true, reason: 'cpu MHz from /proc/cpuinfo (low confidence: nominal in VMs)' },
    ]);
  });

  test('an unusable cpufreq value is a reason, not a point', async () => {
    const host = copyFixture('bare-metal');
    cleanups.push(host.cleanup);
    writeFileSync(join(host.paths.sysfs, 'devices/system/cpu/cpufreq/policy0/scaling_cur_freq'), '0\n');
    writeFileSync(join(host.paths.sysfs, 'devices/system/cpu/cpufreq/policy0/cpuinfo_cur_freq'), 'garbage\n');
    const collector = chain(host.paths, ['sysfs']);
    const c = await collectOnce(host.paths, [collector]);
    expect(hz(c, 0)).toBeUndefined();
    expect(collector.lastReports()[0]).toEqual({
      cpu: 0,
      source: null,
      hz: null,
      tried: [{ source: 'sysfs', ok: false, reason: 'scaling_cur_freq reads 0; cpuinfo_cur_freq reads "garbage", expected kHz' }],
      series: null,
    });
  });

  test('a root-only cpuinfo_cur_freq says so (as a non-root user would see it)', () => {
    const ctx = {
      readSysOptional(relative: string): string | undefined {
        if (relative.endsWith('scaling_cur_freq')) return undefined;
        throw new Error(`/sys/${relative}: permission denied`);
      },
    } as unknown as CollectContext;
    expect(new SysfsFrequencySource().read(ctx, [5]).get(5)).toEqual({ reason: 'cpuinfo_cur_freq: permission denied (usually root-only)' });
  });

  test('VM without cpufreq: cpuinfo serves its nominal value as cpuinfo/nominal, and every earlier source says why it did not', async () => {
    const paths = fixturePaths('vm');
    const collector = chain(paths, ['sysfs', 'perf', 'cpuinfo']);
    const c = await collectOnce(paths, [collector]);
    expect(hz(c, 0)).toBe(2_596_146_000);
    expect(hz(c, 1)).toBe(2_596_146_000);
    expect(collector.lastReports()[0].tried).toEqual([
      { source: 'sysfs', ok: false, reason: 'no cpufreq directory (VM or cpufreq driver not loaded)' },
      { source: 'perf', ok: false, reason: 'not available in this build/platform' },
      { source: 'cpuinfo', ok: true, reason: NOMINAL_NOTE, variant: 'nominal' },
    ]);
    expect(points(c, 'sysmon.cpu.frequency.source').map((p) => p.attributes.source)).toEqual(['cpuinfo/nominal', 'cpuinfo/nominal']);
  });

  test('no source has a value: no point at all, never 0', async () => {
    for (const [name, names] of [['vm', ['sysfs']], ['aarch64', ['sysfs', 'perf', 'cpuinfo']]] as const) {
      const paths = fixturePaths(name);
      const collector = chain(paths, [...names]);
      const c = await collectOnce(paths, [collector]);
      expect(c.errors).toEqual([]);
      expect(points(c, 'system.cpu.frequency')).toEqual([]);
      expect(points(c, 'sysmon.cpu.frequency.source')).toEqual([]);
      expect(collector.lastReports().every((r) => r.source === null && r.hz === null)).toBe(true);
    }
    const paths = fixturePaths('aarch64');
    const collector = chain(paths, ['cpuinfo']);
    await collectOnce(paths, [collector]);
    expect(collector.lastReports().map((r) => r.cpu)).toEqual([0, 1, 2, 3]);
    expect(collector.lastReports()[3].tried).toEqual([
      { source: 'cpuinfo', ok: false, reason: 'no "cpu MHz" lines in /proc/cpuinfo (only x86 kernels have them, e.g. not aarch64)' },
    ]);
  });

  test('Linux sources on another platform say so and read nothing', async () => {
    const collector = chain(fixturePaths('bare-metal'), ['sysfs', 'cpuinfo'], { platform: 'darwin' });
    const c = await collectOnce(fixturePaths('bare-metal'), [collector]);
    expect(points(c, 'system.cpu.frequency')).toEqual([]);
    expect(collector.lastReports()[0].tried).toEqual([
      { source: 'sysfs', ok: false, reason: 'Linux only (this is darwin)' },
      { source: 'cpuinfo', ok: false, reason: 'Linux only (this is darwin)' },
    ]);
  });
});

describe('frequency source registry', () => {
  test('a source registered after the chain was built is used from the next collection, with the options it needs', async () => {
    const paths = fixturePaths('vm');
    const collector = chain(paths, ['sysctl', 'cpuinfo'], { explicit: true });
    const collection = hostCollection(paths, [collector]);
    const first = await collection.collect();
    expect(hz(first, 0)).toBe(2_596_146_000);
    expect(collector.lastReports()[0].tried[0]).toEqual({ source: 'sysctl', ok: false, reason: 'not available in this build/platform' });

    let given: FrequencySourceOptions | undefined;
    let closed = false;
    registerFrequencySource('sysctl', (options) => {
      given = options;
      const source: FrequencySource = {
        name: 'sysctl',
        read: (_ctx, cpus) => new Map(cpus.map((cpu) => [cpu, cpu === 0 ? { hz: 3.2e9, note: 'test clock' } : { reason: 'warming up' }])),
        close: () => {
          closed = true;
        },
      };
      return source;
    });
    const second = await collection.collect();
    expect(given).toMatchObject({ paths, explicit: true, platform: 'linux' });
    expect(hz(second, 0)).toBe(3.2e9);
    expect(valueOf(second, 'sysmon.cpu.frequency.source', { 'cpu.logical_number': 0, source: 'sysctl' })).toBe(1);
    expect(hz(second, 1)).toBe(2_596_146_000);
    expect(collector.lastReports()[1].tried).toEqual([
      { source: 'sysctl', ok: false, reason: 'warming up' },
      { source: 'cpuinfo', ok: true, reason: NOMINAL_NOTE, variant: 'nominal' },
    ]);
    collection.close();
    expect(closed).toBe(true);
  });

  test('a source that throws or returns nonsense is a reason, and the next source is asked', async () => {
    registerFrequencySource('ioreport', () => ({
      name: 'ioreport',
      read: () => {
        throw new Error('IOReport: channel group missing');
      },
    }));
    registerFrequencySource('perf', () => ({
      name: 'perf',
      read: (_ctx, cpus) => new Map(cpus.map((cpu) => [cpu, { hz: cpu === 0 ? Number.NaN : -5 }])),
    }));
    const paths = fixturePaths('vm');
    const collector = chain(paths, ['ioreport', 'perf', 'cpuinfo']);
    const c = await collectOnce(paths, [collector]);
    expect(hz(c, 0)).toBe(2_596_146_000);
    expect(collector.lastReports()[0].tried.slice(0, 2)).toEqual([
      { source: 'ioreport', ok: false, reason: 'IOReport: channel group missing' },
      { source: 'perf', ok: false, reason: 'implausible value NaN Hz' },
    ]);
    expect(collector.lastReports()[1].tried[1]).toEqual({ source: 'perf', ok: false, reason: 'implausible value -5 Hz' });
  });
});

describe('cpuinfo: the fixed boot-time value is reused', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  /** A context reading the tree's files, counting cpuinfo reads; monoMs is the caller's clock. */
  function contextAt(paths: HostPaths, monoMs: number, reads: { n: number }): CollectContext {
    const memos = new Map<string, unknown>();
    return {
      paths,
      nowMs: monoMs,
      monoMs,
      procPath: (relative) => join(paths.procfs, relative),
      sysPath: (relative) => join(paths.sysfs, relative),
      readProc(relative) {
        if (relative === 'cpuinfo') reads.n++;
        return readFileSync(join(paths.procfs, relative), 'latin1');
      },
      readSys: (relative) => readFileSync(join(paths.sysfs, relative), 'latin1'),
      readSysOptional: () => undefined,
      memo<T>(key: string, compute: () => T): T {
        if (!memos.has(key)) memos.set(key, compute());
        return memos.get(key) as T;
      },
    };
  }

  function vmCopy(live: boolean, edit?: (root: string) => void) {
    const host = copyFixture('vm');
    cleanups.push(host.cleanup);
    edit?.(host.root);
    return { ...host, paths: { ...host.paths, live } };
  }

  function setMhz(paths: HostPaths, mhz: string): void {
    const file = join(paths.procfs, 'cpuinfo');
    writeFileSync(file, readFileSync(file, 'latin1').replace(/cpu MHz\s*:.*/g, `cpu MHz\t\t: ${mhz}`));
  }

  const mhzOf = (source: CpuinfoFrequencySource, ctx: CollectContext) => {
    const r = source.read(ctx, [0]).get(0) as { hz?: number };
    return r.hz;
  };

  test('the parser tells x86 cpuinfo without APERF/MPERF apart', () => {
    const text = (name: string) => readFileSync(join(FIXTURES, name, 'proc/cpuinfo'), 'latin1');
    expect(cpuinfoMhzWithoutAperfMperf(text('vm'))).toBe(true);
    expect(cpuinfoMhzWithoutAperfMperf(text('bare-metal'))).toBe(false);
    expect(cpuinfoMhzWithoutAperfMperf(text('aarch64'))).toBe(false);
  });

  test('a live kernel without APERF/MPERF or cpufreq: read once, reused for a minute, then read again', () => {
    const { paths } = vmCopy(true);
    const source = new CpuinfoFrequencySource();
    const reads = { n: 0 };
    expect(mhzOf(source, contextAt(paths, 0, reads))).toBe(2_596_146_000);
    setMhz(paths, '3000.000');
    expect(mhzOf(source, contextAt(paths, 30_000, reads))).toBe(2_596_146_000);
    expect(reads.n).toBe(1);
    expect(mhzOf(source, contextAt(paths, 61_000, reads))).toBe(3_000_000_000);
    expect(reads.n).toBe(2);
  });

  test('read every collection with APERF/MPERF, with a cpufreq policy, or from a tree that is not the live host', () => {
    const cases = [
      vmCopy(false),
      vmCopy(true, (root) => {
        const file = join(root, 'proc/cpuinfo');
        writeFileSync(file, readFileSync(file, 'latin1').replace(/^flags\s*:/gm, '$& aperfmperf'));
      }),
      vmCopy(true, (root) => mkdirSync(join(root, 'sys/devices/system/cpu/cpu1/cpufreq'), { recursive: true })),
    ];
    for (const { paths } of cases) {
      const source = new CpuinfoFrequencySource();
      const reads = { n: 0 };
      expect(mhzOf(source, contextAt(paths, 0, reads))).toBe(2_596_146_000);
      setMhz(paths, '3000.000');
      expect(mhzOf(source, contextAt(paths, 1000, reads))).toBe(3_000_000_000);
      expect(reads.n).toBe(2);
    }
  });

  test('a CPU the reused reading does not know makes the next collection read cpuinfo again', () => {
    const { paths } = vmCopy(true);
    const source = new CpuinfoFrequencySource();
    const reads = { n: 0 };
    source.read(contextAt(paths, 0, reads), [0, 1]);
    expect(source.read(contextAt(paths, 1000, reads), [0, 1, 2]).get(2)).toEqual({ reason: 'no "cpu MHz" line for processor 2 in /proc/cpuinfo' });
    source.read(contextAt(paths, 2000, reads), [0, 1]);
    expect(reads.n).toBe(2);
  });
});
