// macOS IOReport frequency arithmetic with recorded-style samples, and the ioreport/sysctl sources
// over a scripted API (the FFI layer itself runs on darwin only).
import { describe, expect, it } from 'vitest';
import type { DarwinChannel, DarwinIOReport, DarwinSample } from '../../native-bindings/darwin-ioreport.js';
import {
  accClusterTableKeys,
  decodeVoltageStates,
  dvfsTableHz,
  dvfsUnitForChip,
  IDLE_WINDOW_REASON,
  ioreportFrequencies,
  parseClusterChannel,
  parseCoreChannel,
  residencyWeightedHz,
} from '../../src/collectors/darwin/ioreport-math.js';
import { IOReportFrequencySource, MIN_WINDOW_MS } from '../../src/collectors/darwin/ioreport-source.js';
import { SysctlFrequencySource } from '../../src/collectors/darwin/sysctl-source.js';
import { clusterChannel, coreChannel, M1_E_HZ, M1_P_HZ, M4_P_KHZ, states, voltageStates } from './ioreport-samples.js';

const weighted = (res: readonly number[], table: readonly number[]): number =>
  Math.round(res.reduce((s, r, i) => s + r * table[i], 0) / res.reduce((s, r) => s + r, 0));

describe('DVFS tables', () => {
  it('decodes pmgr voltage-states records', () => {
    expect(decodeVoltageStates(voltageStates(M1_E_HZ))).toEqual(M1_E_HZ);
    expect(decodeVoltageStates(new Uint8Array(7))).toEqual([]);
  });
  it('uses Hz for M1–M3 and kHz for M4 and later', () => {
    expect(dvfsUnitForChip('Apple M1 Pro')).toBe('Hz');
    expect(dvfsUnitForChip('Apple M3 Max')).toBe('Hz');
    expect(dvfsUnitForChip('Apple M4 Pro')).toBe('kHz');
    expect(dvfsUnitForChip('Apple M5')).toBe('kHz');
    expect(dvfsUnitForChip('Intel(R) Core(TM) i9-9980HK CPU @ 2.40GHz')).toBeUndefined();
    expect(dvfsTableHz(M4_P_KHZ, 'Apple M4 Pro').at(-1)).toBe(4.512e9);
    expect(dvfsTableHz(M1_P_HZ, 'Apple M1').at(-1)).toBe(3.204e9);
    // Unknown chip: the magnitude decides.
    expect(dvfsTableHz(M4_P_KHZ, undefined).at(-1)).toBe(4.512e9);
    expect(dvfsTableHz(M1_P_HZ, 'Apple M9 Ultra').at(-1)).toBe(3.204e12);
  });
  it('finds the E and P tables in acc-clusters (M5 and later)', () => {
    const bytes = new Uint8Array(24);
    bytes.set([1, 0], 0); // voltage-states1: tier 0
    bytes.set([9, 2], 8); // voltage-states9: tier 2 (fastest)
    bytes.set([5, 1], 16); // voltage-states5: tier 1
    expect(accClusterTableKeys(bytes)).toEqual({ E: 'voltage-states5-sram', P: 'voltage-states9-sram' });
    expect(accClusterTableKeys(new Uint8Array(8))).toBeUndefined();
  });
});

describe('residency-weighted frequency', () => {
  it('skips IDLE, DOWN and OFF and weights the active states', () => {
    const res = [0, 0, 100, 300, 600];
    const r = residencyWeightedHz(states(res, [['IDLE', 5000], ['DOWN', 200], ['OFF', 10]]), M1_E_HZ);
    expect(r).toEqual({ hz: weighted(res, M1_E_HZ) });
    expect(r).toEqual({ hz: 1_882_800_000 });
  });
  it('says when the core idled all window or the table does not fit', () => {
    expect(residencyWeightedHz(states([0, 0, 0, 0, 0], [['IDLE', 9000]]), M1_E_HZ)).toEqual({
      reason: IDLE_WINDOW_REASON,
    });
    expect(residencyWeightedHz(states([1, 2, 3], [['IDLE', 1]]), M1_E_HZ)).toEqual({
      reason: '3 performance states but 5 DVFS table entries: cannot pair them',
    });
    expect(residencyWeightedHz(states([1], []), [])).toEqual({ reason: 'no DVFS frequency table for this core type in the pmgr entry' });
  });
});

describe('channel names', () => {
  it('parses per-core and cluster names', () => {
    expect(parseCoreChannel('PCPU140')).toEqual({ tier: 'P', mid: false, die: 0, cluster: 1, core: 4 });
    expect(parseCoreChannel('DIE_1_ECPU020')).toEqual({ tier: 'E', mid: false, die: 1, cluster: 0, core: 2 });
    expect(parseCoreChannel('MCPU010')).toEqual({ tier: 'E', mid: true, die: 0, cluster: 0, core: 1 });
    expect(parseCoreChannel('PCPM1')).toBeUndefined();
    expect(parseClusterChannel('PCPU1')).toEqual({ tier: 'P', mid: false, die: 0, cluster: 1 });
    expect(parseClusterChannel('ECPU')).toEqual({ tier: 'E', mid: false, die: 0, cluster: 0 });
    expect(parseClusterChannel('PCPU140')).toBeUndefined();
  });
});

/** An M1 delta: 4 E cores then 4 P cores, listed out of order as IOReport may. */
function m1Delta(): { channels: DarwinChannel[]; expected: number[] } {
  const e = [
    [0, 0, 50, 50, 900],
    [10, 0, 0, 0, 0],
    [500, 500, 0, 0, 0],
    [0, 0, 0, 0, 0],
  ];
  const p = [M1_P_HZ.map((_, i) => (i === 14 ? 1000 : 0)), M1_P_HZ.map(() => 10), M1_P_HZ.map((_, i) => (i < 3 ? 100 : 0)), M1_P_HZ.map((_, i) => i)];
  const channels = [
    ...p.map((r, i) => coreChannel(`PCPU0${i}0`, r, 100)),
    ...e.map((r, i) => coreChannel(`ECPU0${i}0`, r, i === 3 ? 9000 : 100)),
    clusterChannel('ECPU', [0, 0, 0, 0, 1], 0),
  ].map((c) => ({ ...c, states: [...c.states] }));
  const expected = [...e.map((r) => weighted(r, M1_E_HZ)), ...p.map((r) => weighted(r, M1_P_HZ))];
  return { channels, expected };
}

describe('ioreportFrequencies', () => {
  it('gives each logical CPU its core channel, efficiency cores first (M1)', () => {
    const { channels, expected } = m1Delta();
    const result = ioreportFrequencies({ channels, tables: { E: M1_E_HZ, P: M1_P_HZ } });
    expect([...result.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(result.get(0)).toEqual({ hz: expected[0], note: 'IOReport residency-weighted DVFS clock (core)' });
    expect(result.get(1)).toMatchObject({ hz: 600_000_000 });
    expect(result.get(2)).toMatchObject({ hz: 786_000_000 });
    expect(result.get(3)).toEqual({ reason: IDLE_WINDOW_REASON });
    expect(result.get(4)).toMatchObject({ hz: 3_204_000_000 });
    for (let cpu = 5; cpu < 8; cpu++) expect(result.get(cpu)).toMatchObject({ hz: expected[cpu] });
  });

  it('falls back to cluster channels, splitting each tier across its clusters (M1 Pro)', () => {
    const channels = [
      clusterChannel('PCPU1', M1_P_HZ.map((_, i) => (i === 0 ? 1 : 0)), 5),
      clusterChannel('ECPU', [0, 0, 0, 0, 1], 5),
      clusterChannel('PCPU', M1_P_HZ.map((_, i) => (i === 14 ? 1 : 0)), 5),
    ];
    const result = ioreportFrequencies({ channels, tables: { E: M1_E_HZ, P: M1_P_HZ }, tierCpus: { E: 2, P: 8 } });
    const hz = [...result.values()].map((r) => ('hz' in r ? r.hz : r.reason));
    expect(hz).toEqual([2.064e9, 2.064e9, 3.204e9, 3.204e9, 3.204e9, 3.204e9, 6e8, 6e8, 6e8, 6e8]);
    expect(result.get(6)).toMatchObject({ variant: 'cluster', note: expect.stringMatching(/^IOReport residency-weighted DVFS clock of cluster PCPU1: no per-core channels/) });
  });
});

/** A scripted IOReport API: each sample() returns the next cumulative residency snapshot. */
class FakeIOReport implements DarwinIOReport {
  live = 0;
  delta: DarwinChannel[] = m1Delta().channels;
  constructor(
    private readonly tables: Record<string, Uint8Array> = {
      'voltage-states1-sram': voltageStates(M1_E_HZ),
      'voltage-states5-sram': voltageStates(M1_P_HZ),
    },
  ) {}
  subscribe() {
    return {
      sample: () => {
        this.live++;
        return {} as DarwinSample;
      },
      delta: () => this.delta,
      release: () => {
        this.live--;
      },
    };
  }
  pmgrProperty(key: string) {
    return this.tables[key];
  }
  sysctlString(name: string) {
    return name === 'machdep.cpu.brand_string' ? 'Apple M1' : undefined;
  }
  sysctlNumber(name: string) {
    return ({ 'hw.perflevel0.logicalcpu': 4, 'hw.perflevel1.logicalcpu': 4 } as Record<string, number>)[name];
  }
}

describe('ioreport source', () => {
  it('samples between collections, at least 250 ms apart, without leaking samples', () => {
    const api = new FakeIOReport();
    let now = 1000;
    const source = new IOReportFrequencySource({ api: () => api, clock: () => now });
    const cpus = [0, 1, 2, 3, 4, 5, 6, 7];
    expect(source.unavailableReason()).toBeUndefined();
    expect(source.read(undefined, cpus).get(0)).toEqual({
      reason: 'warming up: the first IOReport sample was taken, the estimate comes from the next collection',
    });
    now += 100;
    expect(source.read(undefined, cpus).get(0)).toEqual({ reason: `warming up: less than ${MIN_WINDOW_MS} ms since the previous IOReport sample` });
    now += 200;
    const readings = source.read(undefined, cpus);
    expect(readings.get(4)).toMatchObject({ hz: 3.204e9 });
    expect(readings.get(3)).toEqual({ reason: IDLE_WINDOW_REASON });
    // Too soon again: the last answer is repeated rather than a noisy one computed.
    now += 50;
    expect(source.read(undefined, cpus).get(4)).toMatchObject({ hz: 3.204e9 });
    expect(source.read(undefined, [8]).get(8)).toEqual({ reason: 'no IOReport performance-state channel for this CPU' });
    expect(api.live).toBe(1);
    source.close();
    expect(api.live).toBe(0);
  });

  it('explains a Mac without DVFS tables and a missing binding', () => {
    const intel = new IOReportFrequencySource({ api: () => new FakeIOReport({}) });
    expect(intel.unavailableReason()).toBe(
      'no DVFS tables in the IORegistry pmgr entry (Apple M1: not Apple Silicon, or a macOS VM); use sysctl',
    );
    const linux = new IOReportFrequencySource({
      api: () => {
        throw new Error('IOReport binding unavailable: IOReport exists on macOS only (this is linux)');
      },
    });
    expect(linux.read(undefined, [0]).get(0)).toEqual({ reason: 'IOReport binding unavailable: IOReport exists on macOS only (this is linux)' });
  });
});

describe('sysctl source', () => {
  it('reports hw.cpufrequency as a low-confidence nominal clock', () => {
    const source = new SysctlFrequencySource(() => (name) => (name === 'hw.cpufrequency' ? 2_400_000_000 : undefined));
    expect(source.unavailableReason()).toBeUndefined();
    expect(source.read(undefined, [0, 1]).get(1)).toEqual({
      hz: 2.4e9,
      note: 'hw.cpufrequency: nominal clock (low confidence: ignores turbo and throttling)',
    });
  });
  it('explains Apple Silicon, where the sysctl does not exist', () => {
    const source = new SysctlFrequencySource(() => () => undefined);
    expect(source.unavailableReason()).toBe('sysctl hw.cpufrequency does not exist (Apple Silicon: use ioreport)');
  });
});
