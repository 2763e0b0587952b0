// The perf events the frequency estimate uses, and discovery of the msr PMU (aperf, mperf, tsc)
// from sysfs bus/event_source/devices/msr.
import {
  PERF_COUNT_HW_CPU_CYCLES,
  PERF_COUNT_HW_REF_CPU_CYCLES,
  PERF_TYPE_HARDWARE,
  type PerfEventAttr,
} from '../../../native-bindings/linux-perf.js';

export type PerfEventName = 'cycles' | 'ref-cycles' | 'aperf' | 'mperf' | 'tsc';

export interface PerfEvent {
  readonly name: PerfEventName;
  readonly attr: PerfEventAttr;
}

export const CYCLES: PerfEvent = { name: 'cycles', attr: { type: PERF_TYPE_HARDWARE, config: PERF_COUNT_HW_CPU_CYCLES } };
export const REF_CYCLES: PerfEvent = {
  name: 'ref-cycles',
  attr: { type: PERF_TYPE_HARDWARE, config: PERF_COUNT_HW_REF_CPU_CYCLES },
};

const MSR_DIR = 'bus/event_source/devices/msr';
const MSR_EVENTS = ['aperf', 'mperf', 'tsc'] as const;
type MsrEventName = (typeof MSR_EVENTS)[number];

/** The msr PMU's events present on this host (a dynamic PMU type, so looked up in sysfs). */
export interface MsrPmu {
  readonly events: ReadonlyMap<MsrEventName, PerfEvent>;
  /** Why aperf/mperf cannot be used, when they cannot. */
  readonly aperfMperfReason?: string;
}

/** "event=0x01" (sysfs PMU event alias) to its config value; undefined for other formats. */
export function parsePmuEventConfig(text: string): number | undefined {
  const m = /^event=(0x[0-9a-f]+|\d+)$/i.exec(text.trim());
  return m ? Number(m[1]) : undefined;
}

/** Reads the msr PMU description through `readSys` (relative to sysfs; undefined when missing). */
export function discoverMsrPmu(readSys: (relative: string) => string | undefined): MsrPmu | { readonly reason: string } {
  const typeText = readSys(`${MSR_DIR}/type`);
  if (typeText === undefined) return { reason: 'no msr PMU (sysfs bus/event_source/devices/msr absent: kernel without CONFIG_X86_MSR perf or not x86)' };
  const type = Number(typeText.trim());
  if (!/^\d+$/.test(typeText.trim())) return { reason: `msr PMU type reads "${typeText.trim()}", expected a number` };
  const events = new Map<MsrEventName, PerfEvent>();
  for (const name of MSR_EVENTS) {
    const text = readSys(`${MSR_DIR}/events/${name}`);
    const config = text === undefined ? undefined : parsePmuEventConfig(text);
    if (config !== undefined) events.set(name, { name, attr: { type, config } });
  }
  const missing = (['aperf', 'mperf'] as const).filter((n) => !events.has(n));
  const aperfMperfReason =
    missing.length === 0 ? undefined : `msr PMU has no ${missing.join('/')} event (CPU or hypervisor does not expose APERF/MPERF)`;
  return { events, aperfMperfReason };
}
