// /proc/cpuinfo "cpu MHz" source (x86 only). Low confidence: in VMs it is often the nominal TSC
// speed, and on some kernels a cached value rather than the current clock.
import { existsSync } from 'node:fs';
import { cpuinfoMhzWithoutAperfMperf, parseCpuinfoMhz } from '../linux/cpuinfo-parser.js';
import type { CollectContext } from '../types.js';
import type { FrequencyReading, FrequencySource } from './types.js';

const NOTE = 'cpu MHz from /proc/cpuinfo (low confidence: nominal in VMs)';

/** How long a fixed cpu_khz reading is reused before cpuinfo is read again (a cpufreq driver may load). */
const FIXED_REUSE_MS = 60_000;

export class CpuinfoFrequencySource implements FrequencySource {
  readonly name = 'cpuinfo' as const;
  /** The live kernel's fixed cpu_khz per CPU, and when it was read (see reuseFixed). */
  private fixed: { mhz: ReadonlyMap<number, number>; readAtMs: number } | undefined;

  private mhz(ctx: CollectContext): ReadonlyMap<number, number> {
    if (this.fixed && ctx.monoMs - this.fixed.readAtMs < FIXED_REUSE_MS) return this.fixed.mhz;
    return ctx.memo('linux.cpuinfo-mhz', () => {
      const text = ctx.readProc('cpuinfo');
      const mhz = parseCpuinfoMhz(text, ctx.procPath('cpuinfo'));
      this.fixed = this.reuseFixed(ctx, text, mhz) ? { mhz, readAtMs: ctx.monoMs } : undefined;
      return mhz;
    });
  }

  /**
   * Rendering /proc/cpuinfo is the dearest read of a collection. When this live kernel prints the fixed
   * boot-time cpu_khz (no APERF/MPERF, no cpufreq policy on any CPU), reading it again shows nothing new.
   */
  private reuseFixed(ctx: CollectContext, text: string, mhz: ReadonlyMap<number, number>): boolean {
    if (!ctx.paths.live || mhz.size === 0 || !cpuinfoMhzWithoutAperfMperf(text)) return false;
    for (const cpu of mhz.keys()) {
      if (existsSync(ctx.sysPath(`devices/system/cpu/cpu${cpu}/cpufreq`))) return false;
    }
    return true;
  }

  unavailableReason(ctx: CollectContext): string | undefined {
    let mhz: ReadonlyMap<number, number>;
    try {
      mhz = this.mhz(ctx);
    } catch (err) {
      return (err as Error).message;
    }
    if (mhz.size === 0) return 'no "cpu MHz" lines in /proc/cpuinfo (only x86 kernels have them, e.g. not aarch64)';
    return undefined;
  }

  read(ctx: CollectContext, cpus: readonly number[]): ReadonlyMap<number, FrequencyReading> {
    const mhz = this.mhz(ctx);
    const readings = new Map<number, FrequencyReading>();
    for (const cpu of cpus) {
      const value = mhz.get(cpu);
      // A CPU the reused reading does not know (hot-added): read cpuinfo again next collection.
      if (value === undefined && mhz === this.fixed?.mhz) this.fixed = undefined;
      if (value === undefined) readings.set(cpu, { reason: `no "cpu MHz" line for processor ${cpu} in /proc/cpuinfo` });
      else if (value <= 0) readings.set(cpu, { reason: `/proc/cpuinfo reads ${value} MHz for processor ${cpu}` });
      else readings.set(cpu, { hz: Math.round(value * 1e6), note: NOTE });
    }
    return readings;
  }
}
