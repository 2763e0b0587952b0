// sysfs cpufreq source: cpuN/cpufreq/scaling_cur_freq (kHz, world-readable), then cpuinfo_cur_freq
// (the hardware-read value, usually root-only). Read per CPU through cpuN/cpufreq whatever the
// layout, as node_exporter and the procfs library do: since Linux 4.4 cpuN/cpufreq is a symlink to
// cpufreq/policyN; older and some vendor kernels have a real cpuN/cpufreq directory (or a symlink to
// another CPU's) and no policyN; a tree can mix both, and CPUs the driver does not manage have none.
import { readdirSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import type { CollectContext } from '../types.js';
import type { FrequencyReading, FrequencySource } from './types.js';

const CPU_DIR = 'devices/system/cpu';
const FILES = ['scaling_cur_freq', 'cpuinfo_cur_freq'] as const;

export const NO_CPUFREQ_REASON = 'no cpufreq directory (VM or cpufreq driver not loaded)';
/** Variant of sysmon.cpu.frequency.source for values read through a pre-policyN directory. */
export const LEGACY_VARIANT = 'legacy';
const LEGACY_NOTE = 'legacy cpuN/cpufreq directory without policyN (kernel before ~4.4 or a vendor kernel)';

/** kHz text from a cpufreq file to Hz, or why it cannot be used. */
export function parseCpufreqKhz(text: string, file: string): FrequencyReading {
  const raw = text.trim();
  if (!/^\d+$/.test(raw)) return { reason: `${file} reads "${raw}", expected kHz` };
  const khz = Number(raw);
  if (khz === 0) return { reason: `${file} reads 0` };
  return { hz: khz * 1000, note: file };
}

/** How long the cpufreq layout (and "no cpufreq driver") is believed before sysfs is listed again. */
const RECHECK_MS = 60_000;

type CpuLayout = 'policy' | 'legacy';

/** Which CPUs have cpufreq and through which layout, as of one listing. */
interface Layout {
  readonly atMs: number;
  /** True when neither policyN nor any cpuN/cpufreq exists. */
  readonly none: boolean;
  /** Per CPU, filled on first use (a CPU hot-added later is looked at when first read). */
  readonly cpus: Map<number, CpuLayout | null>;
}

export class SysfsFrequencySource implements FrequencySource {
  readonly name = 'sysfs' as const;
  private layout: Layout | undefined;

  unavailableReason(ctx: CollectContext): string | undefined {
    return this.currentLayout(ctx).none ? NO_CPUFREQ_REASON : undefined;
  }

  read(ctx: CollectContext, cpus: readonly number[]): ReadonlyMap<number, FrequencyReading> {
    const readings = new Map<number, FrequencyReading>();
    for (const cpu of cpus) readings.set(cpu, this.readCpu(ctx, cpu));
    return readings;
  }

  private currentLayout(ctx: CollectContext): Layout {
    if (this.layout && ctx.monoMs - this.layout.atMs < RECHECK_MS) return this.layout;
    this.layout = { atMs: ctx.monoMs, none: !anyCpufreq(ctx), cpus: new Map() };
    return this.layout;
  }

  /** policy or legacy for a CPU with a cpufreq directory; null without one. */
  private cpuLayout(ctx: CollectContext, cpu: number): CpuLayout | null {
    const layout = this.currentLayout(ctx);
    let kind = layout.cpus.get(cpu);
    if (kind === undefined) {
      const target = realPath(ctx.sysPath(`${CPU_DIR}/cpu${cpu}/cpufreq`));
      kind = target === undefined ? null : /^policy\d+$/.test(basename(target)) ? 'policy' : 'legacy';
      layout.cpus.set(cpu, kind);
    }
    return kind;
  }

  private readCpu(ctx: CollectContext, cpu: number): FrequencyReading {
    const reasons: string[] = [];
    for (const file of FILES) {
      let text: string | undefined;
      try {
        text = ctx.readSysOptional(`${CPU_DIR}/cpu${cpu}/cpufreq/${file}`);
      } catch (err) {
        reasons.push(`${file}: ${reasonOf(err)}`);
        continue;
      }
      if (text === undefined) continue;
      const reading = parseCpufreqKhz(text, file);
      if ('hz' in reading) {
        if (this.cpuLayout(ctx, cpu) !== 'legacy') return reading;
        return { hz: reading.hz, note: `${file} (${LEGACY_NOTE})`, variant: LEGACY_VARIANT };
      }
      reasons.push(reading.reason);
    }
    if (reasons.length === 0) return { reason: `no cpu${cpu}/cpufreq directory (CPU not managed by the cpufreq driver)` };
    return { reason: reasons.join('; ') };
  }
}

/** A loaded cpufreq driver creates policyN directories (4.4+) or cpuN/cpufreq ones (older kernels). */
function anyCpufreq(ctx: CollectContext): boolean {
  if (list(ctx.sysPath(`${CPU_DIR}/cpufreq`)).some((e) => e.startsWith('policy'))) return true;
  return list(ctx.sysPath(CPU_DIR)).some((e) => /^cpu\d+$/.test(e) && realPath(ctx.sysPath(`${CPU_DIR}/${e}/cpufreq`)) !== undefined);
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The part after "path: " of a read error (for example "permission denied: run as root"). */
function reasonOf(err: unknown): string {
  const message = (err as Error).message;
  const tail = message.slice(message.lastIndexOf(': ') + 2);
  return tail === 'permission denied' ? 'permission denied (usually root-only)' : tail;
}
