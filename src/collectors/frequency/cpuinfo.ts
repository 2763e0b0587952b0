// /proc/cpuinfo "cpu MHz" source (x86 only). Low confidence: in VMs it is often the nominal TSC
// speed, and on some kernels a cached value rather than the current clock.
import { existsSync } from 'node:fs';
import { cpuinfoMhzWithoutAperfMperf, parseCpuinfoMhz } from '../linux/cpuinfo-parser.js';
import type { CollectContext } from '../types.js';
import type { FrequencyReading, FrequencySource } from './types.js';

const NOTE = 'cpu MHz from /proc/cpuinfo (low confidence: nominal in VMs)';
const NOMINAL_NOTE =
  'cpu MHz from /proc/cpuinfo: the fixed boot-time nominal clock (no APERF/MPERF and no cpufreq, so the kernel prints cpu_khz)';
/** Variant of sysmon.cpu.frequency.source when cpuinfo can only print the nominal clock. */
export const NOMINAL_VARIANT = 'nominal';

/** How long a fixed cpu_khz reading is reused before cpuinfo is read again (a cpufreq driver may load). */
const FIXED_REUSE_MS = 60_000;

interface CpuinfoMhz {
  readonly mhz: ReadonlyMap<number, number>;
  /** The kernel prints its fixed boot-time cpu_khz, not a measured clock. */
  readonly nominal: boolean;
}

export class CpuinfoFrequencySource implements FrequencySource {
  readonly name = 'cpuinfo' as const;
  /** The live kernel's fixed cpu_khz per CPU, and when it was read (see nominal()). */
  private fixed: { mhz: ReadonlyMap<number, number>; readAtMs: number } | undefined;

  private mhz(ctx: CollectContext): CpuinfoMhz {
    if (this.fixed && ctx.monoMs - this.fixed.readAtMs < FIXED_REUSE_MS) return { mhz: this.fixed.mhz, nominal: true };
    return ctx.memo('linux.cpuinfo-mhz', () => {
      const text = ctx.readProc('cpuinfo');
      const mhz = parseCpuinfoMhz(text, ctx.procPath('cpuinfo'));
      const nominal = this.nominal(ctx, text, mhz);
      // Rendering /proc/cpuinfo is the dearest read of a collection: on the live kernel a fixed value
      // is reused instead of read again.
      this.fixed = nominal && ctx.paths.live ? { mhz, readAtMs: ctx.monoMs } : undefined;
      return { mhz, nominal };
    });
  }

  /**
   * x86 kernels print the measured APERF/MPERF clock, else cpufreq's, else the fixed boot-time
   * cpu_khz: without APERF/MPERF and without a cpufreq policy on any CPU, "cpu MHz" is nominal.
   */
  private nominal(ctx: CollectContext, text: string, mhz: ReadonlyMap<number, number>): boolean {
    if (mhz.size === 0 || !cpuinfoMhzWithoutAperfMperf(text)) return false;
    for (const cpu of mhz.keys()) {
      if (existsSync(ctx.sysPath(`devices/system/cpu/cpu${cpu}/cpufreq`))) return false;
    }
    return true;
  }

  unavailableReason(ctx: CollectContext): string | undefined {
    let mhz: ReadonlyMap<number, number>;
    try {
      mhz = this.mhz(ctx).mhz;
    } catch (err) {
      return (err as Error).message;
    }
    if (mhz.size === 0) return 'no "cpu MHz" lines in /proc/cpuinfo (only x86 kernels have them, e.g. not aarch64)';
    return undefined;
  }

  read(ctx: CollectContext, cpus: readonly number[]): ReadonlyMap<number, FrequencyReading> {
    const { mhz, nominal } = this.mhz(ctx);
    const readings = new Map<number, FrequencyReading>();
    for (const cpu of cpus) {
      const value = mhz.get(cpu);
      // A CPU the reused reading does not know (hot-added): read cpuinfo again next collection.
      if (value === undefined && mhz === this.fixed?.mhz) this.fixed = undefined;
      if (value === undefined) readings.set(cpu, { reason: `no "cpu MHz" line for processor ${cpu} in /proc/cpuinfo` });
      else if (value <= 0) readings.set(cpu, { reason: `/proc/cpuinfo reads ${value} MHz for processor ${cpu}` });
      else if (nominal) readings.set(cpu, { hz: Math.round(value * 1e6), note: NOMINAL_NOTE, variant: NOMINAL_VARIANT });
      else readings.set(cpu, { hz: Math.round(value * 1e6), note: NOTE });
    }
    return readings;
  }
}
