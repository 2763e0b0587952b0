// The sysfs cpufreq source on every kernel layout: policyN with cpuN/cpufreq symlinks (Linux 4.4+),
// real cpuN/cpufreq directories without policyN (older and vendor kernels), a mix with unmanaged
// CPUs, an unreadable scaling_cur_freq beside a readable cpuinfo_cur_freq, and offline CPUs. Each
// case checks the per-CPU values, sysmon.cpu.frequency.source and what `doctor` says.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createFrequencySources, FrequencyCollector } from '../../src/collectors/frequency/index.js';
import { NO_CPUFREQ_REASON } from '../../src/collectors/frequency/sysfs.js';
import { onlineCpus } from '../../src/collectors/linux/procstat.js';
import type { CollectContext, HostPaths, Point } from '../../src/collectors/types.js';
import type { LoadedConfig } from '../../src/config/load.js';
import { formatDoctorText } from '../../src/doctor/format.js';
import { runDoctor } from '../../src/doctor/report.js';
import { FakePmu } from '../perf/fake-pmu.js';
import { collectOnce, fixturePaths, points } from './fixture-host.js';

const chain = (paths: HostPaths) =>
  new FrequencyCollector(createFrequencySources(['sysfs', 'perf', 'cpuinfo'], { paths, explicit: false, platform: 'linux' }), onlineCpus);

const perCpu = (list: Point[]) => list.map((p) => [p.attributes['cpu.logical_number'], p.attributes.source ?? p.value, p.value]);

async function doctorOn(name: string) {
  const root = fixturePaths(name).rootfs;
  const report = await runDoctor({
    config: {
      procfs: join(root, 'proc'),
      sysfs: join(root, 'sys'),
      rootfs: root,
      frequencySources: ['sysfs', 'cpuinfo'],
      origins: { frequencySources: 'default' } as LoadedConfig['origins'],
      exporter: ['none'],
      otlpEndpoint: 'http://127.0.0.1:1',
      otlpProtocol: 'grpc',
    },
    windowMs: 1,
    perfSyscalls: () => new FakePmu({ events: [] }),
  });
  return { report, text: formatDoctorText(report) };
}

describe('cpufreq layouts', () => {
  test('policyN only, cpuN/cpufreq symlinks (4.4+): every online CPU from its policy, no degraded path', async () => {
    const paths = fixturePaths('bare-metal');
    const c = await collectOnce(paths, [chain(paths)]);
    expect(perCpu(points(c, 'system.cpu.frequency'))).toEqual([
      [0, 3_400_000_000, 3_400_000_000],
      [1, 2_200_000_000, 2_200_000_000],
      [3, 1_800_000_000, 1_800_000_000],
    ]);
    expect(perCpu(points(c, 'sysmon.cpu.frequency.source'))).toEqual([
      [0, 'sysfs', 1],
      [1, 'sysfs', 1],
      [3, 'sysfs', 1],
    ]);
    const { report } = await doctorOn('bare-metal');
    expect(report.frequency.degraded).toEqual([]);
    expect(report.frequency.cpus.map((r) => r.tried[0].reason)).toEqual(['scaling_cur_freq', 'scaling_cur_freq', 'cpuinfo_cur_freq']);
  });

  test('cpuN/cpufreq directories without policyN (pre-4.4, arm64): read per CPU, shown as sysfs/legacy', async () => {
    const paths = fixturePaths('cpufreq-legacy');
    const collector = chain(paths);
    const c = await collectOnce(paths, [collector]);
    expect(c.errors).toEqual([]);
    // cpu1/cpufreq is a symlink to cpu0's directory (one policy for CPUs 0-1); CPU 3 is offline.
    expect(perCpu(points(c, 'system.cpu.frequency'))).toEqual([
      [0, 1_416_000_000, 1_416_000_000],
      [1, 1_416_000_000, 1_416_000_000],
      [2, 600_000_000, 600_000_000],
    ]);
    expect(perCpu(points(c, 'sysmon.cpu.frequency.source'))).toEqual([
      [0, 'sysfs/legacy', 1],
      [1, 'sysfs/legacy', 1],
      [2, 'sysfs/legacy', 1],
    ]);
    const { report, text } = await doctorOn('cpufreq-legacy');
    expect(text).not.toContain(NO_CPUFREQ_REASON);
    const reason = 'scaling_cur_freq (legacy cpuN/cpufreq directory without policyN (kernel before ~4.4 or a vendor kernel))';
    expect(report.frequency.cpus.map((r) => [r.cpu, r.source, r.series])).toEqual([
      [0, 'sysfs', 'sysfs/legacy'],
      [1, 'sysfs', 'sysfs/legacy'],
      [2, 'sysfs', 'sysfs/legacy'],
    ]);
    expect(report.frequency.degraded).toEqual([{ series: 'sysfs/legacy', used: true, cpus: [0, 1, 2], reason }]);
    expect(text).toContain(`    sysfs/legacy = 1  cpu0-2: ${reason}`);
  });

  test('a mix: policy CPU, legacy CPU, unmanaged CPU (cpuinfo serves it), offline CPU absent', async () => {
    const paths = fixturePaths('cpufreq-mixed');
    const collector = chain(paths);
    const c = await collectOnce(paths, [collector]);
    expect(perCpu(points(c, 'system.cpu.frequency'))).toEqual([
      [0, 3_400_000_000, 3_400_000_000],
      [1, 2_200_000_000, 2_200_000_000],
      [3, 1_200_500_000, 1_200_500_000],
    ]);
    expect(perCpu(points(c, 'sysmon.cpu.frequency.source'))).toEqual([
      [0, 'sysfs', 1],
      [1, 'sysfs/legacy', 1],
      [3, 'cpuinfo', 1],
    ]);
    const { report, text } = await doctorOn('cpufreq-mixed');
    expect(report.frequency.cpus.map((r) => r.cpu)).toEqual([0, 1, 3]);
    expect(report.frequency.cpus[2].tried).toEqual([
      { source: 'sysfs', ok: false, reason: 'no cpu3/cpufreq directory (CPU not managed by the cpufreq driver)' },
      { source: 'cpuinfo', ok: true, reason: 'cpu MHz from /proc/cpuinfo (low confidence: nominal in VMs)' },
    ]);
    expect(text).toContain('sysfs    cpu3       not used: no cpu3/cpufreq directory (CPU not managed by the cpufreq driver)');
    expect(text).not.toContain(NO_CPUFREQ_REASON);
  });

  test('scaling_cur_freq unreadable, cpuinfo_cur_freq readable: the hardware value, with the reason kept', () => {
    const paths = fixturePaths('cpufreq-mixed');
    // As a user who may not read scaling_cur_freq sees it (root reads any mode, so the denial is injected).
    const denied = 'devices/system/cpu/cpu0/cpufreq/scaling_cur_freq';
    const ctx = fixtureContext(paths, (relative) => {
      if (relative === denied) throw new Error(`${join(paths.sysfs, relative)}: permission denied`);
    });
    const collector = chain(paths);
    const sink: Point[] = [];
    collector.collect(ctx, { add: (metric, value, attributes = {}) => metric === 'system.cpu.frequency' && sink.push({ value, attributes }) });
    expect(sink.find((p) => p.attributes['cpu.logical_number'] === 0)?.value).toBe(3_400_123_000);
    expect(collector.lastReports()[0].tried).toEqual([{ source: 'sysfs', ok: true, reason: 'cpuinfo_cur_freq' }]);
  });

  test('neither policyN nor cpuN/cpufreq: one cheap reason for all, and doctor says it', async () => {
    const { report } = await doctorOn('vm');
    expect(report.frequency.cpus.every((r) => r.tried[0].reason === NO_CPUFREQ_REASON)).toBe(true);
  });
});

/** A collection context over a fixture tree; `deny` may throw for a sysfs file, as a read error would. */
function fixtureContext(paths: HostPaths, deny: (relative: string) => void): CollectContext {
  const memos = new Map<string, unknown>();
  const read = (file: string): string | undefined => {
    try {
      return readFileSync(file, 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  return {
    paths,
    nowMs: 0,
    monoMs: 0,
    procPath: (relative) => join(paths.procfs, relative),
    sysPath: (relative) => join(paths.sysfs, relative),
    readProc: (relative) => read(join(paths.procfs, relative))!,
    readSys: (relative) => read(join(paths.sysfs, relative))!,
    readSysOptional(relative) {
      deny(relative);
      return read(join(paths.sysfs, relative));
    },
    memo<T>(key: string, compute: () => T): T {
      if (!memos.has(key)) memos.set(key, compute());
      return memos.get(key) as T;
    },
  };
}
