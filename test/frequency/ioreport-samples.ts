// Recorded-style IOReport data for tests: DVFS tables as the pmgr entry stores them and sample
// deltas shaped like IOReportCreateSamplesDelta's "CPU Stats" channels on M1 and M1 Pro.
import type { IOReportChannel } from '../../src/collectors/darwin/ioreport-math.js';

/** pmgr voltage-states bytes: {u32 freq, u32 voltage mV} little-endian per state. */
export function voltageStates(freqs: readonly number[], mv = 800): Uint8Array {
  const buf = Buffer.alloc(freqs.length * 8);
  freqs.forEach((f, i) => {
    buf.writeUInt32LE(f, i * 8);
    buf.writeUInt32LE(mv + i * 25, i * 8 + 4);
  });
  return new Uint8Array(buf);
}

/** M1 tables (Hz, as M1–M3 store them). */
export const M1_E_HZ = [600_000_000, 972_000_000, 1_332_000_000, 1_704_000_000, 2_064_000_000];
export const M1_P_HZ = [
  600_000_000, 828_000_000, 1_056_000_000, 1_284_000_000, 1_500_000_000, 1_728_000_000, 1_956_000_000, 2_184_000_000,
  2_388_000_000, 2_592_000_000, 2_772_000_000, 2_988_000_000, 3_096_000_000, 3_144_000_000, 3_204_000_000,
];
/** An M4 Pro P table (kHz, as M4 and later store it). */
export const M4_P_KHZ = [1_260_000, 1_692_000, 2_112_000, 2_592_000, 3_072_000, 3_552_000, 3_888_000, 4_128_000, 4_512_000];

/** State names as IOReport lists them: power-gated states first, then one per DVFS step. */
export function states(residencies: readonly number[], inactive: readonly [string, number][]): IOReportChannel['states'] {
  return [...inactive.map(([name, residency]) => ({ name, residency })), ...residencies.map((r, i) => ({ name: `V${i}P${residencies.length - i}`, residency: r }))];
}

export function coreChannel(channel: string, residencies: readonly number[], idle: number, down = 0): IOReportChannel {
  return { group: 'CPU Stats', subgroup: 'CPU Core Performance States', channel, states: states(residencies, [['IDLE', idle], ['DOWN', down]]) };
}

export function clusterChannel(channel: string, residencies: readonly number[], idle: number): IOReportChannel {
  return { group: 'CPU Stats', subgroup: 'CPU Complex Performance States', channel, states: states(residencies, [['IDLE', idle]]) };
}
