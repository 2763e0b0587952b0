// The IOReport binding (createDarwinIOReport, the code that runs on macOS) over a fake
// CoreFoundation/IOReport library: NULL samples and deltas are one logged error and a reason, never
// a CFRelease(NULL); nothing leaks. Also: the sysctl loader opens libSystem only.
import { describe, expect, it } from 'vitest';
import {
  createDarwinIOReport,
  IOREPORT_PATH,
  LIBSYSTEM_FUNCTIONS,
  LIBSYSTEM_PATH,
  type NativeFunctions,
  openDarwinSysctl,
} from '../../native-bindings/darwin-ioreport.js';
import { CLUSTER_STATES, CORE_STATES } from '../../src/collectors/darwin/ioreport-math.js';
import {
  CLUSTER_ONLY_MESSAGE,
  IOReportFrequencySource,
  NULL_DELTA_REASON,
  NULL_SAMPLE_REASON,
} from '../../src/collectors/darwin/ioreport-source.js';
import { memoryLogger } from '../collectors/fixture-host.js';
import { FakeCoreFoundation, type FakeChannel, fakeSysctl } from './fake-corefoundation.js';
import { M1_E_HZ, M1_P_HZ, voltageStates } from './ioreport-samples.js';

const STATES_E = ['IDLE', 'DOWN', ...M1_E_HZ.map((_, i) => `V${i}P${M1_E_HZ.length - 1 - i}`)];
const STATES_P = ['IDLE', 'DOWN', ...M1_P_HZ.map((_, i) => `V${i}P${M1_P_HZ.length - 1 - i}`)];
const M1: FakeChannel[] = [
  { subgroup: CORE_STATES, name: 'ECPU000', states: STATES_E },
  { subgroup: CORE_STATES, name: 'PCPU000', states: STATES_P },
];
const PMGR = { 'voltage-states1-sram': voltageStates(M1_E_HZ), 'voltage-states5-sram': voltageStates(M1_P_HZ) };
const SYSCTL = fakeSysctl({ 'machdep.cpu.brand_string': 'Apple M1', 'hw.perflevel0.logicalcpu': 1, 'hw.perflevel1.logicalcpu': 1 });

/** Cumulative residencies: the E core in its top state, the P core in its lowest, `t` ticks each. */
const at = (t: number): number[][] => [
  [0, 0, 0, 0, 0, 0, t],
  [0, 0, t, ...M1_P_HZ.slice(1).map(() => 0)],
];

function setup(fake: FakeCoreFoundation) {
  let now = 0;
  const log = memoryLogger();
  const source = new IOReportFrequencySource({ api: () => createDarwinIOReport(fake.libraries(), SYSCTL), clock: () => now, log });
  return {
    log,
    source,
    read(afterMs = 1000) {
      now += afterMs;
      return source.read(undefined, [0, 1]);
    },
  };
}

describe('IOReport binding over a fake library', () => {
  it('a NULL sample is one logged error and a reason; the next good sample measures again; nothing leaks', () => {
    const fake = new FakeCoreFoundation(M1, PMGR);
    fake.samples = [at(0), null, null, at(3000), at(4000)];
    const h = setup(fake);
    expect(h.read().get(0)).toMatchObject({ reason: expect.stringMatching(/^warming up/) });
    expect(h.read().get(0)).toEqual({ reason: NULL_SAMPLE_REASON });
    expect(h.read().get(1)).toEqual({ reason: NULL_SAMPLE_REASON });
    // The baseline survived the NULL samples: this window runs from the first sample.
    expect(h.read().get(0)).toMatchObject({ hz: M1_E_HZ.at(-1) });
    expect(h.read().get(1)).toMatchObject({ hz: M1_P_HZ[0] });
    expect(fake.releasedNull).toBe(0);
    expect(h.log.lines.filter((l) => l.startsWith('error'))).toEqual([`error ioreport frequency source failed ${JSON.stringify({ reason: NULL_SAMPLE_REASON })}`]);
    expect(h.log.lines.filter((l) => l.startsWith('info'))).toHaveLength(1);
    h.source.close();
    // Left: the subscription and its channel dictionary, held for the source's lifetime, as in the real binding.
    expect([...fake.live].map((o) => o.kind).sort()).toEqual(['dict', 'subscription']);
  });

  it('a NULL delta is a reason too, and both samples are released', () => {
    const fake = new FakeCoreFoundation(M1, PMGR);
    fake.samples = [at(0), at(1000), at(2000)];
    fake.deltas = [false, true];
    const h = setup(fake);
    h.read();
    expect(h.read().get(0)).toEqual({ reason: NULL_DELTA_REASON });
    expect(h.read().get(0)).toMatchObject({ hz: M1_E_HZ.at(-1) });
    expect(fake.releasedNull).toBe(0);
    h.source.close();
    expect([...fake.live].filter((o) => o.kind === 'sample' || o.kind === 'delta')).toEqual([]);
  });

  it('only cluster channels: every CPU gets ioreport/cluster and it is logged once', () => {
    const clusters: FakeChannel[] = [
      { subgroup: CLUSTER_STATES, name: 'ECPU', states: STATES_E },
      { subgroup: CLUSTER_STATES, name: 'PCPU', states: STATES_P },
    ];
    const fake = new FakeCoreFoundation(clusters, PMGR);
    fake.samples = [at(0), at(1000), at(2000)];
    const h = setup(fake);
    h.read();
    const readings = h.read();
    expect(readings.get(0)).toMatchObject({ hz: M1_E_HZ.at(-1), variant: 'cluster' });
    expect(readings.get(1)).toMatchObject({ hz: M1_P_HZ[0], variant: 'cluster' });
    h.read();
    expect(h.log.lines.filter((l) => l.includes(CLUSTER_ONLY_MESSAGE))).toHaveLength(1);
    h.source.close();
  });
});

describe('sysctl binding', () => {
  it('opens libSystem only, so it works where libIOReport does not load', () => {
    const opened: string[] = [];
    const sysctl = openDarwinSysctl((path, signatures) => {
      opened.push(path);
      if (path === IOREPORT_PATH) throw new Error('libIOReport.dylib: image not found');
      expect(signatures).toEqual(LIBSYSTEM_FUNCTIONS);
      const fns: NativeFunctions = {
        sysctlbyname: (_name, buffer, length) => {
          if (buffer) (buffer as Buffer).writeBigUInt64LE(2_400_000_000n);
          (length as number[])[0] = 8;
          return 0;
        },
      };
      return fns;
    });
    expect(sysctl.sysctlNumber('hw.cpufrequency')).toBe(2.4e9);
    expect(opened).toEqual([LIBSYSTEM_PATH]);
  });
});
