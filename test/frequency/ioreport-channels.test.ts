// IOReport "CPU Core Performance States" channel names as real Macs publish them, and the order
// they take (tier, die, cluster, core: macOS numbers logical CPUs from the slowest tier up).
//
// Every name under `seen` is copied verbatim from a public dump of a real machine (source next to
// it). Lists under `completed` add the chip's remaining cores by the pattern of the seen names and
// the chip's published core counts: they are marked as such, never presented as dumped.
// No public channel list was found for the M1 (base), M1 Ultra, M4 Pro or M5 (base): those chips
// are not covered here (the README says so).
import { describe, expect, it } from 'vitest';
import { ioreportFrequencies, parseCoreChannel } from '../../src/collectors/darwin/ioreport-math.js';
import { clusterChannel, coreChannel, M1_E_HZ, M1_P_HZ } from './ioreport-samples.js';

type Expect = [tier: 'E' | 'M' | 'P', die: number, cluster: number, core: number];

const chips: { chip: string; source: string; seen: Record<string, Expect> }[] = [
  {
    chip: 'M1 Pro (8-core)',
    // op06072/NeoAsitop#2 (iorepdump of an M1 Pro 8-core/14-GPU MacBook Pro): "Chn: ECPU010", "Chn: PCPU100".
    source: 'https://github.com/op06072/NeoAsitop/issues/2',
    seen: { ECPU010: ['E', 0, 0, 1], PCPU100: ['P', 0, 1, 0] },
  },
  {
    chip: 'M2',
    // dehydratedpotato/socpowerbud#8 (dbwiddis's M2 iorepdump): "Chn: ECPU00".
    source: 'https://github.com/dehydratedpotato/socpowerbud/issues/8',
    seen: { ECPU00: ['E', 0, 0, 0] },
  },
  {
    chip: 'M2 Ultra',
    // vladkens/macmon#17 and #68 (macmon debug dumps of M2 Ultra Mac Studios).
    source: 'https://github.com/vladkens/macmon/issues/17, https://github.com/vladkens/macmon/issues/68',
    seen: {
      DIE_0_ECPU_CPU2: ['E', 0, 0, 2],
      DIE_0_ECPU_CPU3: ['E', 0, 0, 3],
      DIE_0_PCPU_CPU0: ['P', 0, 0, 0],
      DIE_0_PCPU_CPU1: ['P', 0, 0, 1],
      DIE_0_PCPU_CPU2: ['P', 0, 0, 2],
      DIE_0_PCPU_CPU3: ['P', 0, 0, 3],
      DIE_0_PCPU1_CPU0: ['P', 0, 1, 0],
      DIE_0_PCPU1_CPU1: ['P', 0, 1, 1],
    },
  },
  {
    chip: 'M3 Pro (Mac15,7, macOS 26.6.1)',
    // oshi/oshi#3675 (IOReport dump quoted in the pull request): "ECPU0 (24Mticks) = [...]", "PCPU0 (24Mticks) = [...]".
    source: 'https://github.com/oshi/oshi/pull/3675',
    seen: { ECPU0: ['E', 0, 0, 0], PCPU0: ['P', 0, 0, 0] },
  },
  {
    chip: 'M4 (Mac mini Mac16,10, macOS 26)',
    // vladkens/macmon#78: "IOReport `PCPU0` residency" in CPU Core Performance States.
    source: 'https://github.com/vladkens/macmon/issues/78',
    seen: { PCPU0: ['P', 0, 0, 0] },
  },
  {
    chip: 'M5 Max',
    // lablup/all-smi#167, channel table of an M5 Max: `MCPU00`-`MCPU05`, `MCPU10`-`MCPU15`, `PCPU0`-`PCPU5`.
    source: 'https://github.com/lablup/all-smi/issues/167',
    seen: Object.fromEntries([
      ...[0, 1, 2, 3, 4, 5].map((i) => [`MCPU0${i}`, ['M', 0, 0, i]]),
      ...[0, 1, 2, 3, 4, 5].map((i) => [`MCPU1${i}`, ['M', 0, 1, i]]),
      ...[0, 1, 2, 3, 4, 5].map((i) => [`PCPU${i}`, ['P', 0, 0, i]]),
    ]) as Record<string, Expect>,
  },
];

describe('core channel names from real dumps', () => {
  for (const { chip, source, seen } of chips) {
    it(`${chip}: every seen name parses (${source})`, () => {
      for (const [name, [tier, die, cluster, core]] of Object.entries(seen)) {
        expect(parseCoreChannel(name), name).toEqual({ tier: tier === 'P' ? 'P' : 'E', mid: tier === 'M', die, cluster, core });
      }
    });
  }

  it('cluster and non-CPU channels are not cores', () => {
    // Cluster and complex channels from the same dumps (macmon#66: PCPM, PCPM_IDLE; M1 Pro: ECPU, PCPU).
    for (const name of ['ECPU', 'PCPU', 'PCPM', 'PCPM_IDLE', 'GPUPH', 'DIE_0_PCPU']) expect(parseCoreChannel(name), name).toBeUndefined();
  });
});

/** A delta where every core has its own mix of the two lowest states, so each CPU's value names its channel. */
function delta(names: readonly string[]) {
  return names.map((name, index) => {
    const table = parseCoreChannel(name)!.tier === 'P' ? M1_P_HZ : M1_E_HZ;
    const residency = table.map((_, i) => (i === 0 ? index + 1 : i === 1 ? 50 : 0));
    const hz = Math.round((table[0] * (index + 1) + table[1] * 50) / (index + 51));
    return { name, channel: coreChannel(name, residency, 10), hz };
  });
}

const shuffle = <T>(list: readonly T[]): T[] => list.map((v, i) => [(i * 7919) % 101, v] as const).sort((a, b) => a[0] - b[0]).map(([, v]) => v);

describe('logical CPU order: tier, die, cluster, core', () => {
  it('M2 Ultra, completed list (8 E and 16 P cores over two dies): E cores first, then P by die and cluster', () => {
    // Completed by the pattern of the seen DIE_0_* names for both dies (24 cores: hw.perflevel1 8, hw.perflevel0 16).
    const names = [0, 1].flatMap((die) => [
      ...[0, 1, 2, 3].map((c) => `DIE_${die}_ECPU_CPU${c}`),
      ...[0, 1, 2, 3].map((c) => `DIE_${die}_PCPU_CPU${c}`),
      ...[0, 1, 2, 3].map((c) => `DIE_${die}_PCPU1_CPU${c}`),
    ]);
    const cores = delta(names);
    const result = ioreportFrequencies({ channels: shuffle(cores.map((c) => c.channel)), tables: { E: M1_E_HZ, P: M1_P_HZ } });
    const expectedOrder = [
      ...[0, 1].flatMap((die) => [0, 1, 2, 3].map((c) => `DIE_${die}_ECPU_CPU${c}`)),
      ...[0, 1].flatMap((die) => ['PCPU', 'PCPU1'].flatMap((cl) => [0, 1, 2, 3].map((c) => `DIE_${die}_${cl}_CPU${c}`))),
    ];
    expect([...result.keys()]).toEqual([...Array(24).keys()]);
    expectedOrder.forEach((name, cpu) => expect(result.get(cpu), `cpu${cpu} = ${name}`).toMatchObject({ hz: cores.find((c) => c.name === name)!.hz }));
  });

  it('M5 Max, names as listed: the 12 MCPU cores (lower tier) first, then the 6 PCPU cores', () => {
    const names = Object.keys(chips.find((c) => c.chip === 'M5 Max')!.seen);
    const cores = delta(names);
    const result = ioreportFrequencies({ channels: shuffle(cores.map((c) => c.channel)), tables: { E: M1_E_HZ, P: M1_P_HZ } });
    const expectedOrder = [...names.filter((n) => n.startsWith('MCPU0')), ...names.filter((n) => n.startsWith('MCPU1')), ...names.filter((n) => n.startsWith('PCPU'))];
    expect(result.size).toBe(18);
    expectedOrder.forEach((name, cpu) => expect(result.get(cpu), `cpu${cpu} = ${name}`).toMatchObject({ hz: cores.find((c) => c.name === name)!.hz }));
  });

  it('M3 Pro on macOS 26, completed list (6 E, 6 P one-digit names): per core, not the cluster clock', () => {
    // Completed by the pattern of the seen ECPU0/PCPU0 for the M3 Pro's 6 E and 6 P cores.
    const names = [...[0, 1, 2, 3, 4, 5].map((i) => `ECPU${i}`), ...[0, 1, 2, 3, 4, 5].map((i) => `PCPU${i}`)];
    const cores = delta(names);
    const channels = [...shuffle(cores.map((c) => c.channel)), clusterChannel('ECPU', [0, 0, 0, 0, 1], 0), clusterChannel('PCPU', M1_P_HZ.map(() => 1), 0)];
    const result = ioreportFrequencies({ channels, tables: { E: M1_E_HZ, P: M1_P_HZ }, tierCpus: { E: 6, P: 6 } });
    names.forEach((name, cpu) => {
      expect(result.get(cpu)).toEqual({ hz: cores.find((c) => c.name === name)!.hz, note: 'IOReport residency-weighted DVFS clock (core)' });
    });
  });
});

describe('core channels checked against hw.perflevel counts', () => {
  it('channels of disabled cores (no tick at all, not even IDLE) are dropped: a binned M1 Pro maps its 6 P cores', () => {
    // M1 Pro family names (NeoAsitop#2). Not from a dump: no public listing shows whether a binned chip
    // publishes channels of its disabled cores (macmon#48 filters "dead/disabled cores" on M5, and the
    // SMC lists 8 P-core sensors on a 6-P-core M1 Pro, exelban/stats#803), so the case is built here.
    const names = ['ECPU000', 'ECPU010', ...[0, 1, 2, 3].map((i) => `PCPU0${i}0`), ...[0, 1, 2, 3].map((i) => `PCPU1${i}0`)];
    const cores = delta(names);
    const dead = new Set(['PCPU020', 'PCPU130']);
    const channels = cores.map((c) => (dead.has(c.name) ? { ...c.channel, states: c.channel.states.map((st) => ({ ...st, residency: 0 })) } : c.channel));
    const result = ioreportFrequencies({ channels, tables: { E: M1_E_HZ, P: M1_P_HZ }, tierCpus: { E: 2, P: 6 } });
    const live = names.filter((n) => !dead.has(n));
    expect(result.size).toBe(8);
    live.forEach((name, cpu) => expect(result.get(cpu), `cpu${cpu} = ${name}`).toMatchObject({ hz: cores.find((c) => c.name === name)!.hz }));
  });

  it('channels that cannot be matched to the CPUs fall back to the cluster clock, saying why', () => {
    const cores = delta(['ECPU00', 'ECPU01', 'PCPU00']);
    const channels = [...cores.map((c) => c.channel), clusterChannel('ECPU', [0, 0, 0, 0, 1], 0), clusterChannel('PCPU', M1_P_HZ.map((_, i) => (i === 14 ? 1 : 0)), 0)];
    const result = ioreportFrequencies({ channels, tables: { E: M1_E_HZ, P: M1_P_HZ }, tierCpus: { E: 2, P: 4 } });
    expect(result.size).toBe(6);
    expect(result.get(2)).toEqual({
      hz: 3.204e9,
      variant: 'cluster',
      note: "IOReport residency-weighted DVFS clock of cluster PCPU: 1 P core channels for 4 logical CPUs (hw.perflevel0.logicalcpu), so every core of the cluster reads the cluster's clock",
    });
  });
});
