// The perf frequency source through an injected PMU: ref-cycles ratio, aperf/mperf, busy-time
// division, the 5 % busy floor, multiplexing, the synthetic 1 GHz PMU and errno fall-through.
import { afterEach, describe, expect, it } from 'vitest';
import { HostCollection } from '../../src/collectors/collect.js';
import { FrequencyCollector } from '../../src/collectors/frequency/index.js';
import type { CpuFrequencyReport, FrequencySource } from '../../src/collectors/frequency/types.js';
import { onlineCpus } from '../../src/collectors/linux/procstat.js';
import { NOT_LIVE_REASON, PerfFrequencySource } from '../../src/collectors/perf/source.js';
import { type CpuActivity, FakeHost, FakePmu } from './fake-pmu.js';

const hosts: FakeHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.cleanup();
});

function setup(pmu: FakePmu, host: FakeHost, explicit = true) {
  hosts.push(host);
  const source = new PerfFrequencySource({ explicit }, { syscalls: () => pmu });
  const chain = new FrequencyCollector([source as FrequencySource], onlineCpus);
  const collection = new HostCollection({ paths: host.paths, collectors: [chain] });
  return {
    source,
    /** Runs one collection and returns the per-CPU reports. */
    async collect(): Promise<readonly CpuFrequencyReport[]> {
      await collection.collect();
      return chain.lastReports();
    },
    /** Lets `seconds` pass on both the PMU and /proc/stat. */
    advance(seconds: number, activity: (cpu: number) => CpuActivity & { steal?: number }) {
      pmu.advance(seconds, activity);
      host.advance(seconds, activity);
    },
  };
}

const reason = (r: CpuFrequencyReport): string => r.tried[0].reason;

describe('perf source: ref-cycles', () => {
  it('reports nominal × Δcycles/Δref-cycles per core, independent of how busy the core was', async () => {
    const pmu = new FakePmu({ events: ['cycles', 'ref-cycles', 'tsc'], nominalHz: 2.5e9 });
    const h = setup(pmu, new FakeHost(4, { msrEvents: ['tsc'] }));
    const first = await h.collect();
    expect(first.map(reason)).toEqual(Array(4).fill('warming up: counters opened, the first estimate comes from the next collection'));
    expect(first.every((r) => r.hz === null)).toBe(true);
    const clocks = [3.4e9, 1.2e9, 2.5e9, 4.1e9];
    const busy = [1, 0.3, 0.5, 0.08];
    h.advance(10, (cpu) => ({ hz: clocks[cpu], busy: busy[cpu] }));
    const second = await h.collect();
    expect(second.map((r) => r.source)).toEqual(['perf', 'perf', 'perf', 'perf']);
    second.forEach((r, cpu) => expect(r.hz! / clocks[cpu]).toBeCloseTo(1, 6));
    expect(second[0].tried[0].reason).toMatch(/nominal × Δcycles\/Δref-cycles \(reference 2\.500 GHz from msr tsc counter/);
  });

  it('keeps no value for a core under 5 % busy and says so', async () => {
    const pmu = new FakePmu({ events: ['cycles', 'ref-cycles', 'tsc'] });
    const h = setup(pmu, new FakeHost(2, { msrEvents: ['tsc'] }));
    await h.collect();
    h.advance(10, (cpu) => ({ hz: 3e9, busy: cpu === 0 ? 0.02 : 0.6 }));
    const [idle, busy] = await h.collect();
    expect(idle.hz).toBeNull();
    expect(idle.source).toBeNull();
    expect(reason(idle)).toBe('core was 2.0 % busy in the window (under 5.0 %): too few cycles to trust');
    expect(busy.hz).toBe(3e9);
  });

  it('scales multiplexed counters by enabled/running', async () => {
    const pmu = new FakePmu({ events: ['cycles', 'ref-cycles', 'tsc'], nominalHz: 2e9 });
    const h = setup(pmu, new FakeHost(2, { msrEvents: ['tsc'] }));
    await h.collect();
    // Counters on the PMU only a third and a half of the time: raw counts are a fraction of the truth.
    h.advance(10, (cpu) => ({ hz: 3.6e9, busy: 0.5, running: cpu === 0 ? 1 / 3 : 0.5 }));
    const reports = await h.collect();
    for (const r of reports) expect(r.hz! / 3.6e9).toBeCloseTo(1, 6);
  });

  it('reports a counter that never got a PMU slot', async () => {
    const pmu = new FakePmu({ events: ['cycles', 'ref-cycles', 'tsc'] });
    const h = setup(pmu, new FakeHost(1, { msrEvents: ['tsc'] }));
    await h.collect();
    h.advance(10, () => ({ hz: 3e9, busy: 1, running: 0 }));
    const [r] = await h.collect();
    expect(r.hz).toBeNull();
    expect(reason(r)).toBe('cycles: counter never got a PMU slot during the window (multiplexed out by other events)');
  });

  it('takes the nominal clock from the cpuinfo model name when there is no msr tsc counter', async () => {
    const pmu = new FakePmu({ events: ['cycles', 'ref-cycles'], nominalHz: 2.4e9 });
    const cpuinfo = 'processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz\ncpu MHz\t\t: 1200.000\n';
    const h = setup(pmu, new FakeHost(1, { cpuinfo }));
    await h.collect();
    h.advance(10, () => ({ hz: 3.3e9, busy: 0.7 }));
    const [r] = await h.collect();
    expect(r.hz! / 3.3e9).toBeCloseTo(1, 6);
    expect(reason(r)).toMatch(/reference 2\.400 GHz from the cpuinfo model name/);
  });
});

describe('perf source: msr aperf/mperf', () => {
  it('uses TSC × ΔAPERF/ΔMPERF when ref-cycles is missing (AMD)', async () => {
    const pmu = new FakePmu({ events: ['cycles', 'aperf', 'mperf', 'tsc'], nominalHz: 2.2e9 });
    const h = setup(pmu, new FakeHost(2, { msrEvents: ['aperf', 'mperf', 'tsc'] }));
    await h.collect();
    h.advance(5, (cpu) => ({ hz: cpu ? 1.5e9 : 4.6e9, busy: 0.4 }));
    const reports = await h.collect();
    expect(reports[0].hz! / 4.6e9).toBeCloseTo(1, 6);
    expect(reports[1].hz! / 1.5e9).toBeCloseTo(1, 6);
    expect(reason(reports[0])).toMatch(/TSC × ΔAPERF\/ΔMPERF/);
    // The cycles counter is not needed by this method and was closed again.
    expect([...pmu.counters.values()].map((c) => c.event).sort()).toEqual(['aperf', 'aperf', 'mperf', 'mperf', 'tsc', 'tsc']);
  });
});

describe('perf source: cycles / busy time', () => {
  it('divides cycles by the busy time /proc/stat measured over the same window (steal excluded)', async () => {
    const pmu = new FakePmu({ events: ['cycles'] });
    const h = setup(pmu, new FakeHost(3));
    await h.collect();
    const busy = [0.9, 0.25, 0.5];
    h.advance(10, (cpu) => ({ hz: 2.8e9 + cpu * 1e8, busy: busy[cpu], steal: cpu === 2 ? 0.2 : 0 }));
    const reports = await h.collect();
    reports.forEach((r, cpu) => expect(Math.abs(r.hz! / (2.8e9 + cpu * 1e8) - 1)).toBeLessThan(0.01));
    expect(reason(reports[0])).toBe('perf Δcycles / busy time from /proc/stat (90.0 % busy)');
  });

  it('never divides by wall time: an idle core gets a reason, not a low clock', async () => {
    const pmu = new FakePmu({ events: ['cycles'] });
    const h = setup(pmu, new FakeHost(2));
    await h.collect();
    h.advance(10, (cpu) => ({ hz: 3e9, busy: cpu === 0 ? 0.03 : 0.5 }));
    const [idle, busy] = await h.collect();
    expect(idle.hz).toBeNull();
    expect(reason(idle)).toBe('core was 3.0 % busy in the window (under 5.0 %): too few cycles to trust');
    expect(busy.hz).toBe(3e9);
  });

  it('scales a multiplexed cycles counter before dividing by busy time', async () => {
    const pmu = new FakePmu({ events: ['cycles'] });
    const h = setup(pmu, new FakeHost(2));
    await h.collect();
    h.advance(10, (cpu) => ({ hz: 3.1e9, busy: 0.8, running: cpu === 0 ? 0.25 : 1 }));
    const reports = await h.collect();
    expect(reports.map((r) => r.hz)).toEqual([3.1e9, 3.1e9]);
  });

  it('refuses busy times too short for 10 ms ticks', async () => {
    const pmu = new FakePmu({ events: ['cycles'] });
    const h = setup(pmu, new FakeHost(1));
    await h.collect();
    h.advance(1, () => ({ hz: 3e9, busy: 0.1 }));
    const [r] = await h.collect();
    expect(reason(r)).toBe("only 100 ms busy in the window: /proc/stat's 10 ms ticks are too coarse below 200 ms");
  });

  it('detects the synthetic 1 GHz PMU of QEMU with Hypervisor.framework', async () => {
    const pmu = new FakePmu({ events: ['cycles'], synthetic: true });
    const h = setup(pmu, new FakeHost(4));
    await h.collect();
    h.advance(10, (cpu) => ({ hz: 3.2e9, busy: [1, 0.5, 0.2, 0.1][cpu] }));
    const reports = await h.collect();
    for (const r of reports) {
      expect(r.hz).toBeNull();
      expect(reason(r)).toMatch(/^synthetic PMU: every core reads 1\.000 GHz with no variation/);
    }
  });

  it('does not call a real PMU synthetic when cores differ', async () => {
    const pmu = new FakePmu({ events: ['cycles'] });
    const h = setup(pmu, new FakeHost(2));
    await h.collect();
    h.advance(10, (cpu) => ({ hz: cpu ? 1.0e9 : 2.9e9, busy: 0.6 }));
    const reports = await h.collect();
    expect(reports.map((r) => r.hz)).toEqual([2.9e9, 1e9]);
  });
});

describe('perf source: failures fall through with the reason', () => {
  it('ENOENT (no PMU, as in a VM without vPMU)', async () => {
    const pmu = new FakePmu({ events: [], missing: 2 });
    const h = setup(pmu, new FakeHost(2, { msrEvents: ['tsc'] }));
    const reports = await h.collect();
    expect(reason(reports[0])).toBe(
      'ENOENT opening cycles: no hardware PMU (VM without vPMU) or no such event on this CPU; msr PMU has no aperf/mperf event (CPU or hypervisor does not expose APERF/MPERF)',
    );
    // Later collections give the same reason for every CPU without opening again.
    const opened = pmu.opened.length;
    h.advance(10, () => ({ hz: 3e9, busy: 1 }));
    const again = await h.collect();
    expect(again.map(reason)).toEqual(reports.map(reason));
    expect(pmu.opened.length).toBe(opened);
  });

  it('EACCES names perf_event_paranoid', async () => {
    const pmu = new FakePmu({ events: [], missing: 13 });
    const h = setup(pmu, new FakeHost(1, { paranoid: 3 }));
    const [r] = await h.collect();
    expect(reason(r)).toMatch(/^EACCES opening cycles: not permitted \(perf_event_paranoid=3, no CAP_PERFMON/);
  });

  it('EINVAL is reported and leaves the CPU to the next source', async () => {
    const pmu = new FakePmu({ events: [], missing: 22 });
    const h = setup(pmu, new FakeHost(1));
    const [r] = await h.collect();
    expect(reason(r)).toMatch(/^EINVAL opening cycles: the kernel rejected the event/);
    expect(r.source).toBeNull();
  });

  it('is skipped on a tree that is not the live host unless perf was asked for', async () => {
    const pmu = new FakePmu({ events: ['cycles'] });
    const h = setup(pmu, new FakeHost(1), false);
    const [r] = await h.collect();
    expect(reason(r)).toBe(NOT_LIVE_REASON);
    expect(pmu.opened).toEqual([]);
  });

  it('reports a binding that cannot load', async () => {
    const host = new FakeHost(1);
    hosts.push(host);
    const source = new PerfFrequencySource({ explicit: true }, {
      syscalls: () => {
        throw new Error('perf binding unavailable: koffi has no prebuilt binary for this platform');
      },
    });
    const chain = new FrequencyCollector([source], onlineCpus);
    await new HostCollection({ paths: host.paths, collectors: [chain] }).collect();
    expect(chain.lastReports()[0].tried[0].reason).toBe('perf binding unavailable: koffi has no prebuilt binary for this platform');
  });

  it('closes its counters', async () => {
    const pmu = new FakePmu({ events: ['cycles', 'ref-cycles'] });
    const h = setup(pmu, new FakeHost(2));
    await h.collect();
    expect(pmu.counters.size).toBe(4);
    h.source.close();
    expect(pmu.counters.size).toBe(0);
  });
});

describe('perf source: windows stay aligned', () => {
  it('reads the counters of CPUs another source served, so their next window matches /proc/stat', async () => {
    const pmu = new FakePmu({ events: ['cycles'] });
    const host = new FakeHost(2);
    hosts.push(host);
    const source = new PerfFrequencySource({ explicit: true }, { syscalls: () => pmu });
    const ctxFor = async (cpus: number[]) => {
      const chain = new FrequencyCollector([source], () => cpus);
      await new HostCollection({ paths: host.paths, collectors: [chain] }).collect();
      return chain.lastReports();
    };
    await ctxFor([0, 1]);
    pmu.advance(10, () => ({ hz: 3e9, busy: 0.5 }));
    host.advance(10, () => ({ busy: 0.5 }));
    await ctxFor([0]); // CPU 1 served elsewhere this time
    pmu.advance(10, () => ({ hz: 2e9, busy: 0.5 }));
    host.advance(10, () => ({ busy: 0.5 }));
    const reports = await ctxFor([0, 1]);
    expect(reports.map((r) => r.hz ?? r.tried[0].reason)).toEqual([2e9, 2e9]);
  });
});
