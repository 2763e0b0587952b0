// The nominal (TSC) clock the ref-cycles estimate scales by, when no msr tsc counter measures it:
// sysfs base_frequency (intel_pstate), the "@ 2.60GHz" of the model name, or, in a VM only,
// cpuinfo's "cpu MHz" (there it is the TSC speed the hypervisor advertises).
import { parseCpuinfoMhz } from '../linux/cpuinfo-parser.js';
import type { Reason } from './estimate.js';

export interface CpuIdentity {
  readonly modelName: string | undefined;
  /** The "hypervisor" CPUID flag: the kernel runs as a guest. */
  readonly hypervisor: boolean;
}

/** The first "model name" and whether the first "flags" line has "hypervisor" (x86 cpuinfo). */
export function parseCpuIdentity(cpuinfo: string): CpuIdentity {
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo);
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo);
  return { modelName: model?.[1].trim(), hypervisor: flags ? /(^|\s)hypervisor(\s|$)/.test(flags[1]) : false };
}

/** "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz" -> 2.4e9. */
export function modelNameHz(modelName: string | undefined): number | undefined {
  const m = modelName ? /@\s*(\d+(?:\.\d+)?)\s*([GM])Hz/i.exec(modelName) : null;
  if (!m) return undefined;
  return Number(m[1]) * (m[2].toUpperCase() === 'G' ? 1e9 : 1e6);
}

export interface NominalInputs {
  /** sysfs cpu0/cpufreq/base_frequency text (kHz), when present. */
  readonly baseFrequencyKhz?: string;
  /** /proc/cpuinfo text, when readable. */
  readonly cpuinfo?: string;
}

export function nominalHz(inputs: NominalInputs): { hz: number; from: string } | Reason {
  const base = inputs.baseFrequencyKhz?.trim();
  if (base && /^\d+$/.test(base) && Number(base) > 0) return { hz: Number(base) * 1000, from: 'sysfs base_frequency' };
  if (inputs.cpuinfo === undefined) return { reason: 'no base_frequency in sysfs and /proc/cpuinfo unreadable' };
  const identity = parseCpuIdentity(inputs.cpuinfo);
  const fromModel = modelNameHz(identity.modelName);
  if (fromModel) return { hz: fromModel, from: 'the cpuinfo model name' };
  if (identity.hypervisor) {
    const mhz = parseCpuinfoMhz(inputs.cpuinfo).values().next().value;
    if (mhz !== undefined && mhz > 0) return { hz: mhz * 1e6, from: 'cpuinfo cpu MHz (the TSC speed in a VM)' };
  }
  return { reason: 'no base_frequency in sysfs, no "@ N GHz" in the model name' };
}
