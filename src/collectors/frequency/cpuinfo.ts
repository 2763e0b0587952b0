// /proc/cpuinfo "cpu MHz" source (x86 only). Low confidence: in VMs it is often the nominal TSC
// speed, and on some kernels a cached value rather than the current clock.
import { join } from 'node:path';
import { parseCpuinfoMhz } from '../linux/cpuinfo-parser.js';
import type { CollectContext } from '../types.js';
import type { FrequencyReading, FrequencySource } from './types.js';

const NOTE = 'cpu MHz from /proc/cpuinfo (low confidence: nominal in VMs)';

export class CpuinfoFrequencySource implements FrequencySource {
  readonly name = 'cpuinfo' as const;

  private mhz(ctx: CollectContext): ReadonlyMap<number, number> {
    return ctx.memo('linux.cpuinfo-mhz', () => parseCpuinfoMhz(ctx.readProc('cpuinfo'), join(ctx.paths.procfs, 'cpuinfo')));
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
      if (value === undefined) readings.set(cpu, { reason: `no "cpu MHz" line for processor ${cpu} in /proc/cpuinfo` });
      else if (value <= 0) readings.set(cpu, { reason: `/proc/cpuinfo reads ${value} MHz for processor ${cpu}` });
      else readings.set(cpu, { hz: Math.round(value * 1e6), note: NOTE });
    }
    return readings;
  }
}
