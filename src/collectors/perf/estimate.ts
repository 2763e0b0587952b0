// Pure arithmetic of the perf frequency estimate: counter deltas with multiplexing scaling, the
// three estimators and the synthetic-PMU check. Cycles stop while a core is halted, so cycles over
// wall time is busy fraction × clock, never the clock: every estimator divides by a busy measure.
import type { FrequencyReading } from '../frequency/types.js';
import type { PerfCount } from './syscalls.js';

/** A core under this busy fraction in a window keeps no perf value for it. */
export const MIN_BUSY_FRACTION = 0.05;
/**
 * Busy time below this is too coarse to divide by: /proc/stat counts in 10 ms ticks, so 0.2 s is
 * 20 ticks (a few percent of quantisation error).
 */
export const MIN_BUSY_SECONDS = 0.2;
/** QEMU with Hypervisor.framework emulates the cycle counter as a constant 1 GHz clock. */
export const SYNTHETIC_HZ = 1e9;
export const SYNTHETIC_TOLERANCE = 0.003;

export type Reason = { readonly reason: string };
/** A counter's increase over a window (already scaled for multiplexing), or why there is none. */
export type Delta = number | Reason;

export function isReason(value: unknown): value is Reason {
  return typeof value === 'object' && value !== null && 'reason' in value;
}

/**
 * Increase of a counter between two reads. When the PMU multiplexed the counter it ran only part
 * of the time it was enabled: the increase is scaled by Δenabled/Δrunning over the same window.
 */
export function scaledDelta(before: PerfCount, after: PerfCount): Delta {
  const value = after.value - before.value;
  const enabled = after.enabled - before.enabled;
  const running = after.running - before.running;
  if (value < 0 || enabled < 0 || running < 0) return { reason: 'counter went backwards (reset or CPU hot-plug)' };
  if (enabled === 0) return { reason: 'counter was not enabled during the window' };
  if (running === 0) return { reason: 'counter never got a PMU slot during the window (multiplexed out by other events)' };
  return running === enabled ? value : (value * enabled) / running;
}

export type PerfMethod = 'ref-cycles' | 'aperf-mperf' | 'busy-time';

export const METHOD_DESCRIPTIONS: Record<PerfMethod, string> = {
  'ref-cycles': 'nominal × Δcycles/Δref-cycles',
  'aperf-mperf': 'TSC × ΔAPERF/ΔMPERF (msr PMU)',
  'busy-time': 'Δcycles / busy time from /proc/stat',
};

/** Busy and total seconds of one CPU from /proc/stat over the same window as the counters. */
export interface BusyWindow {
  /** Seconds in user, nice, system and interrupt (steal excluded: the vCPU did not run). */
  readonly busySeconds: number;
  readonly totalSeconds: number;
}

export interface CoreWindow {
  /** Seconds the counters were enabled during the window (time_enabled delta). */
  readonly seconds: number;
  readonly cycles?: Delta;
  readonly refCycles?: Delta;
  readonly aperf?: Delta;
  readonly mperf?: Delta;
  /** msr tsc counter: gives the nominal (TSC) rate measured over the window itself. */
  readonly tsc?: Delta;
  /** Nominal frequency from sysfs or cpuinfo, used when there is no tsc counter. */
  readonly nominal?: { readonly hz: number; readonly from: string } | Reason;
  readonly busy?: BusyWindow | Reason;
}

const percent = (fraction: number): string => `${(fraction * 100).toFixed(1)} %`;

function underBusy(fraction: number): Reason {
  return { reason: `core was ${percent(fraction)} busy in the window (under ${percent(MIN_BUSY_FRACTION)}): too few cycles to trust` };
}

/** The reference (TSC) rate for the window: measured by the tsc counter, else the nominal value. */
function referenceHz(w: CoreWindow): { hz: number; from: string } | Reason {
  if (typeof w.tsc === 'number' && w.tsc > 0 && w.seconds > 0) return { hz: w.tsc / w.seconds, from: 'msr tsc counter' };
  if (w.nominal && !isReason(w.nominal)) return w.nominal;
  const why = isReason(w.tsc) ? `tsc counter: ${w.tsc.reason}; ` : '';
  return { reason: `nominal (TSC) frequency unknown: ${why}${w.nominal && isReason(w.nominal) ? w.nominal.reason : 'no source for it'}` };
}

function need(name: string, delta: Delta | undefined): number | Reason {
  if (delta === undefined) return { reason: `${name} counter is not open` };
  if (isReason(delta)) return { reason: `${name}: ${delta.reason}` };
  return delta;
}

/** One core's frequency over one window by `method`, or why there is none. */
export function estimateCore(method: PerfMethod, w: CoreWindow): FrequencyReading {
  if (!(w.seconds > 0)) return { reason: 'empty counting window' };
  switch (method) {
    case 'ref-cycles':
      return ratioEstimate(w, need('cycles', w.cycles), need('ref-cycles', w.refCycles), 'ref-cycles');
    case 'aperf-mperf':
      return ratioEstimate(w, need('aperf', w.aperf), need('mperf', w.mperf), 'aperf-mperf');
    case 'busy-time':
      return busyTimeEstimate(w);
  }
}

/** reference × Δnumerator/Δdenominator; the denominator counts at the reference rate while busy. */
function ratioEstimate(w: CoreWindow, num: number | Reason, den: number | Reason, method: PerfMethod): FrequencyReading {
  if (isReason(num)) return num;
  if (isReason(den)) return den;
  const ref = referenceHz(w);
  if (isReason(ref)) return ref;
  const busy = den / (ref.hz * w.seconds);
  if (busy < MIN_BUSY_FRACTION || num <= 0) return underBusy(busy);
  return {
    hz: Math.round((ref.hz * num) / den),
    note: `perf ${METHOD_DESCRIPTIONS[method]} (reference ${(ref.hz / 1e9).toFixed(3)} GHz from ${ref.from}, ${percent(Math.min(busy, 1))} busy)`,
  };
}

function busyTimeEstimate(w: CoreWindow): FrequencyReading {
  const cycles = need('cycles', w.cycles);
  if (isReason(cycles)) return cycles;
  if (!w.busy) return { reason: 'no /proc/stat busy time for the window' };
  if (isReason(w.busy)) return w.busy;
  const { busySeconds, totalSeconds } = w.busy;
  // The tick window and the counter window must cover the same stretch of time.
  if (Math.abs(totalSeconds - w.seconds) > Math.max(0.05, 0.25 * w.seconds)) {
    return {
      reason: `/proc/stat window (${totalSeconds.toFixed(2)} s) does not match the counter window (${w.seconds.toFixed(2)} s)`,
    };
  }
  const fraction = totalSeconds > 0 ? busySeconds / totalSeconds : 0;
  if (fraction < MIN_BUSY_FRACTION || cycles <= 0) return underBusy(fraction);
  if (busySeconds < MIN_BUSY_SECONDS) {
    return {
      reason: `only ${Math.round(busySeconds * 1000)} ms busy in the window: /proc/stat's 10 ms ticks are too coarse below ${MIN_BUSY_SECONDS * 1000} ms`,
    };
  }
  return {
    hz: Math.round(cycles / busySeconds),
    note: `perf ${METHOD_DESCRIPTIONS['busy-time']} (${percent(Math.min(fraction, 1))} busy)`,
  };
}

const nearSynthetic = (hz: number): boolean => Math.abs(hz - SYNTHETIC_HZ) <= SYNTHETIC_HZ * SYNTHETIC_TOLERANCE;

export const SYNTHETIC_REASON =
  'synthetic PMU: every core reads 1.000 GHz with no variation (an emulated cycle counter, e.g. QEMU with Hypervisor.framework)';

/** One core's window as the synthetic check sees it. */
export interface CoreRate {
  /** Cycles per wall-clock second. */
  readonly cyclesPerSecond: number;
  /** Busy fraction from /proc/stat over the same window, when known. */
  readonly busy?: number;
}

/**
 * True when the counters are an emulated constant 1 GHz clock: every core's estimate sits at
 * 1.000 GHz, or every core's cycles per wall-clock second sits at 1.000 GHz while the cores were
 * busy to clearly different degrees (a real core only counts while it runs, so its rate follows
 * its load; independent cores never agree to 0.3 % by chance).
 */
export function isSyntheticPmu(rates: readonly CoreRate[], estimates: readonly number[]): boolean {
  if (estimates.length > 0 && estimates.every(nearSynthetic)) return true;
  const counting = rates.filter((r) => r.cyclesPerSecond > 0);
  if (counting.length === 0 || !counting.every((r) => nearSynthetic(r.cyclesPerSecond))) return false;
  const busy = counting.flatMap((r) => (r.busy === undefined ? [] : [r.busy]));
  return busy.length >= 2 && Math.max(...busy) - Math.min(...busy) >= 0.1;
}
