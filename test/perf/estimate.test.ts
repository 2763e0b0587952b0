// Pure parts of the perf estimate: counter deltas, estimators, synthetic detection, nominal clock,
// msr PMU discovery and errno explanations.
import { describe, expect, it } from 'vitest';
import { explainPerfErrno } from '../../src/collectors/perf/errno.js';
import { estimateCore, isSyntheticPmu, scaledDelta } from '../../src/collectors/perf/estimate.js';
import { discoverMsrPmu, parsePmuEventConfig } from '../../src/collectors/perf/events.js';
import { modelNameHz, nominalHz, parseCpuIdentity } from '../../src/collectors/perf/nominal.js';
import { parsePerfStatCycles } from '../../src/collectors/perf/perf-stat.js';

describe('scaledDelta', () => {
  it('is the plain increase when the counter was on the PMU the whole time', () => {
    expect(scaledDelta({ value: 100, enabled: 10, running: 10 }, { value: 1100, enabled: 30, running: 30 })).toBe(1000);
  });
  it('scales by Δenabled/Δrunning of the window, not of the counter lifetime', () => {
    // Lifetime ratio is 40/25, the window's is 20/5.
    expect(scaledDelta({ value: 500, enabled: 20, running: 20 }, { value: 700, enabled: 40, running: 25 })).toBe(800);
  });
  it('explains windows it cannot use', () => {
    expect(scaledDelta({ value: 9, enabled: 9, running: 9 }, { value: 1, enabled: 10, running: 10 })).toEqual({
      reason: 'counter went backwards (reset or CPU hot-plug)',
    });
    expect(scaledDelta({ value: 0, enabled: 5, running: 5 }, { value: 0, enabled: 5, running: 5 })).toEqual({
      reason: 'counter was not enabled during the window',
    });
  });
});

describe('estimateCore', () => {
  it('ref-cycles needs a reference clock', () => {
    expect(estimateCore('ref-cycles', { seconds: 1, cycles: 3e9, refCycles: 2e9 })).toEqual({
      reason: 'nominal (TSC) frequency unknown: no source for it',
    });
    const r = estimateCore('ref-cycles', { seconds: 2, cycles: 3e9, refCycles: 2e9, nominal: { hz: 2e9, from: 'test' } });
    expect(r).toMatchObject({ hz: 3e9 });
  });
  it('aperf/mperf with the tsc measured over the window', () => {
    const r = estimateCore('aperf-mperf', { seconds: 2, aperf: 4.2e9, mperf: 3e9, tsc: 6e9 });
    expect(r).toMatchObject({ hz: 4.2e9 });
  });
  it('busy-time rejects a /proc/stat window that does not match the counters', () => {
    expect(estimateCore('busy-time', { seconds: 10, cycles: 1e10, busy: { busySeconds: 3, totalSeconds: 5 } })).toEqual({
      reason: '/proc/stat window (5.00 s) does not match the counter window (10.00 s)',
    });
  });
  it('a missing counter is named', () => {
    expect(estimateCore('busy-time', { seconds: 10, busy: { busySeconds: 3, totalSeconds: 10 } })).toEqual({
      reason: 'cycles counter is not open',
    });
  });
});

describe('isSyntheticPmu', () => {
  it('flags cycles that tick at 1 GHz of wall time whatever the load', () => {
    const rates = [
      { cyclesPerSecond: 1.0e9, busy: 1 },
      { cyclesPerSecond: 0.9995e9, busy: 0.2 },
      { cyclesPerSecond: 1.0004e9, busy: 0.5 },
    ];
    expect(isSyntheticPmu(rates, [])).toBe(true);
  });
  it('flags estimates that all sit at 1.000 GHz', () => {
    expect(isSyntheticPmu([{ cyclesPerSecond: 0.4e9 }, { cyclesPerSecond: 0.2e9 }], [1e9, 1.001e9])).toBe(true);
  });
  it('leaves real counters alone, including equally loaded cores that happen to count 1e9 per second', () => {
    expect(isSyntheticPmu([{ cyclesPerSecond: 1.0e9 }, { cyclesPerSecond: 0.3e9 }], [2.9e9, 3.1e9])).toBe(false);
    const halfBusyAt2GHz = [
      { cyclesPerSecond: 1e9, busy: 0.5 },
      { cyclesPerSecond: 1e9, busy: 0.52 },
    ];
    expect(isSyntheticPmu(halfBusyAt2GHz, [2e9, 1.92e9])).toBe(false);
    expect(isSyntheticPmu([], [])).toBe(false);
  });
});

describe('nominal clock', () => {
  it('reads the model name suffix', () => {
    expect(modelNameHz('Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz')).toBe(2.4e9);
    expect(modelNameHz('AMD EPYC 7B13 64-Core Processor')).toBeUndefined();
  });
  it('prefers sysfs base_frequency, then the model name, then cpu MHz in a VM only', () => {
    const vm = 'processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2596.146\nflags\t\t: fpu vme hypervisor lahf_lm\n';
    const metal = vm.replace(' hypervisor', '');
    expect(nominalHz({ baseFrequencyKhz: '2100000\n', cpuinfo: vm })).toEqual({ hz: 2.1e9, from: 'sysfs base_frequency' });
    expect(nominalHz({ cpuinfo: vm })).toEqual({ hz: 2596.146e6, from: 'cpuinfo cpu MHz (the TSC speed in a VM)' });
    expect(nominalHz({ cpuinfo: metal })).toEqual({ reason: 'no base_frequency in sysfs, no "@ N GHz" in the model name' });
    expect(parseCpuIdentity(vm)).toEqual({ modelName: 'AMD EPYC', hypervisor: true });
  });
});

describe('msr PMU discovery', () => {
  it('parses sysfs event aliases', () => {
    expect(parsePmuEventConfig('event=0x02\n')).toBe(2);
    expect(parsePmuEventConfig('event=0x3c,umask=0x1')).toBeUndefined();
  });
  it('reports missing aperf/mperf and a missing PMU', () => {
    const tree: Record<string, string> = { 'bus/event_source/devices/msr/type': '9\n', 'bus/event_source/devices/msr/events/tsc': 'event=0x00\n' };
    const msr = discoverMsrPmu((rel) => tree[rel]);
    expect('events' in msr && [...msr.events.keys()]).toEqual(['tsc']);
    expect('events' in msr && msr.aperfMperfReason).toBe('msr PMU has no aperf/mperf event (CPU or hypervisor does not expose APERF/MPERF)');
    expect(discoverMsrPmu(() => undefined)).toHaveProperty('reason');
  });
});

describe('explainPerfErrno', () => {
  it('spells out the fixes for a permission error', () => {
    const e = explainPerfErrno(13, 'cycles', 2);
    expect(e.reason).toBe('EACCES opening cycles: not permitted (perf_event_paranoid=2, no CAP_PERFMON, or a seccomp profile blocks perf_event_open)');
    expect(e.fixes.join('\n')).toMatch(/CAP_PERFMON/);
    expect(e.fixes.join('\n')).toMatch(/sysctl kernel\.perf_event_paranoid=0/);
    expect(e.fixes.join('\n')).toMatch(/docker run --cap-add PERFMON/);
    expect(explainPerfErrno(1, 'cycles').code).toBe('EPERM');
  });
  it('says what ENOENT and EINVAL mean', () => {
    expect(explainPerfErrno(2, 'cycles').reason).toContain('no hardware PMU (VM without vPMU)');
    expect(explainPerfErrno(22, 'ref-cycles').reason).toContain('the kernel rejected the event');
  });
});

describe('parsePerfStatCycles', () => {
  it('reads per-CPU cycles and unsupported counters from perf stat -x, output', () => {
    const text = [
      'CPU0,5194000123,,cycles,2000000000,100.00,,',
      'CPU1,<not supported>,,cycles,0,100.00,,',
      'CPU2,812000000,,cycles:u,2000000000,100.00,,',
      'CPU0,203.51,msec,cpu-clock,203511762,100.00,1.000,CPUs utilized',
      '',
    ].join('\n');
    expect(parsePerfStatCycles(text)).toEqual(
      new Map<number, unknown>([
        [0, 5194000123],
        [1, { reason: 'perf stat reports <not supported> for cycles' }],
        [2, 812000000],
      ]),
    );
  });
});
