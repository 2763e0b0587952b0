// sysfs cpufreq source: cpuN/cpufreq/scaling_cur_freq (kHz, world-readable), then cpuinfo_cur_freq
// (the hardware-read value, usually root-only).
import { readdirSync } from 'node:fs';
import type { CollectContext } from '../types.js';
import type { FrequencyReading, FrequencySource } from './types.js';

const CPU_DIR = 'devices/system/cpu';
const FILES = ['scaling_cur_freq', 'cpuinfo_cur_freq'] as const;

/** kHz text from a cpufreq file to Hz, or why it cannot be used. */
export function parseCpufreqKhz(text: string, file: string): FrequencyReading {
  const raw = text.trim();
  if (!/^\d+$/.test(raw)) return { reason: `${file} reads "${raw}", expected kHz` };
  const khz = Number(raw);
  if (khz === 0) return { reason: `${file} reads 0` };
  return { hz: khz * 1000, note: file };
}

/** How long "no cpufreq driver" is believed before the directory is listed again. */
const RECHECK_MS = 60_000;

export class SysfsFrequencySource implements FrequencySource {
  readonly name = 'sysfs' as const;
  private noDriverSinceMs: number | undefined;

  unavailableReason(ctx: CollectContext): string | undefined {
    const reason = 'no cpufreq directory (VM or cpufreq driver not loaded)';
    if (this.noDriverSinceMs !== undefined && ctx.monoMs - this.noDriverSinceMs < RECHECK_MS) return reason;
    // A loaded cpufreq driver creates policyN directories; an empty or missing directory means none.
    let entries: string[];
    try {
      entries = readdirSync(ctx.sysPath(`${CPU_DIR}/cpufreq`));
    } catch {
      entries = [];
    }
    if (entries.some((e) => e.startsWith('policy'))) {
      this.noDriverSinceMs = undefined;
      return undefined;
    }
    this.noDriverSinceMs = ctx.monoMs;
    return reason;
  }

  read(ctx: CollectContext, cpus: readonly number[]): ReadonlyMap<number, FrequencyReading> {
    const readings = new Map<number, FrequencyReading>();
    for (const cpu of cpus) readings.set(cpu, this.readCpu(ctx, cpu));
    return readings;
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
      if ('hz' in reading) return reading;
      reasons.push(reading.reason);
    }
    if (reasons.length === 0) return { reason: `no cpu${cpu}/cpufreq directory (CPU not managed by the cpufreq driver)` };
    return { reason: reasons.join('; ') };
  }
}

/** The part after "path: " of a read error (for example "permission denied: run as root"). */
function reasonOf(err: unknown): string {
  const message = (err as Error).message;
  const tail = message.slice(message.lastIndexOf(': ') + 2);
  return tail === 'permission denied' ? 'permission denied (usually root-only)' : tail;
}
