// The `perf` frequency source: per-CPU hardware counters opened once and kept open; each
// collection reads them (a handful of read(2) calls, no sleeping window) and estimates each core's
// clock from the deltas since the previous collection.
import { CPU_MODES } from '../linux/procstat-parser.js';
import { CpuTicksWindow } from '../linux/procstat.js';
import type { FrequencySourceOptions } from '../frequency/registry.js';
import type { FrequencyReading, FrequencySource } from '../frequency/types.js';
import type { CollectContext } from '../types.js';
import { type CpuCounters, coreWindow, openCpuCounters } from './counters.js';
import { type BusyWindow, type CoreRate, type CoreWindow, estimateCore, isReason, isSyntheticPmu, type Reason, SYNTHETIC_REASON } from './estimate.js';
import { parseParanoid } from './errno.js';
import { discoverMsrPmu, type MsrPmu } from './events.js';
import { nominalHz } from './nominal.js';
import { koffiPerfSyscalls, type PerfSyscalls } from './syscalls.js';

const STEAL_INDEX = CPU_MODES.indexOf('steal');

export const NOT_LIVE_REASON =
  'skipped: --procfs/--sysfs/--rootfs point at another tree and perf counters measure the live CPUs (list perf in --frequency-sources to use it anyway)';
const WARMING_UP = 'warming up: counters opened, the first estimate comes from the next collection';

export interface PerfSourceDeps {
  /** The syscall layer; the koffi binding by default. Throws when it cannot load. */
  readonly syscalls?: () => PerfSyscalls;
}

/** Per CPU: the open counters, or why none could be opened. */
type CpuState = { readonly counters: CpuCounters } | Reason;

export class PerfFrequencySource implements FrequencySource {
  readonly name = 'perf' as const;
  private sys: PerfSyscalls | Reason | undefined;
  private readonly cpus = new Map<number, CpuState>();
  private readonly ticks = new CpuTicksWindow();
  private msr: MsrPmu | Reason | undefined;
  private nominal: CoreWindow['nominal'];

  constructor(
    private readonly options: Pick<FrequencySourceOptions, 'explicit'>,
    private readonly deps: PerfSourceDeps = {},
  ) {}

  unavailableReason(ctx: CollectContext): string | undefined {
    if (!ctx.paths.live && !this.options.explicit) return NOT_LIVE_REASON;
    const sys = this.syscalls();
    if (isReason(sys)) return sys.reason;
    // Every CPU tried and none could open a counter: one reason for all.
    if (this.cpus.size > 0 && [...this.cpus.values()].every(isReason)) {
      const reasons = new Set([...this.cpus.values()].map((s) => (s as Reason).reason));
      if (reasons.size === 1) return [...reasons][0];
    }
    return undefined;
  }

  read(ctx: CollectContext, cpus: readonly number[]): ReadonlyMap<number, FrequencyReading> {
    const readings = new Map<number, FrequencyReading>();
    const sys = this.syscalls();
    if (isReason(sys)) {
      for (const cpu of cpus) readings.set(cpu, sys);
      return readings;
    }
    // Advanced on every read so its window is exactly the counters' window; counters of CPUs an
    // earlier source served this time are read too, so their next window is aligned as well.
    const busy = this.ticks.advance(ctx);
    const asked = new Set(cpus);
    for (const [cpu, state] of this.cpus) if (!asked.has(cpu) && !isReason(state)) state.counters.sample();
    const rates: CoreRate[] = [];
    const measured: number[] = [];
    for (const cpu of cpus) {
      let state = this.cpus.get(cpu);
      if (!state) {
        state = this.open(sys, ctx, cpu);
        if (!isReason(state)) state.counters.sample();
        readings.set(cpu, isReason(state) ? state : { reason: WARMING_UP });
        continue;
      }
      if (isReason(state)) {
        readings.set(cpu, state);
        continue;
      }
      const window = state.counters.sample();
      if (!window) {
        readings.set(cpu, { reason: WARMING_UP });
        continue;
      }
      measured.push(cpu);
      const cycles = window.deltas.get('cycles');
      const busyTime = busyWindow(busy.get(cpu));
      if (typeof cycles === 'number' && window.seconds > 0) {
        const fraction = isReason(busyTime) || busyTime.totalSeconds <= 0 ? undefined : busyTime.busySeconds / busyTime.totalSeconds;
        rates.push({ cyclesPerSecond: cycles / window.seconds, busy: fraction });
      }
      const extra = { busy: busyTime, nominal: state.counters.method === 'ref-cycles' ? this.nominalHz(ctx) : undefined };
      readings.set(cpu, estimateCore(state.counters.method, coreWindow(window, extra)));
    }
    const estimates = measured.flatMap((cpu) => {
      const r = readings.get(cpu)!;
      return 'hz' in r ? [r.hz] : [];
    });
    if (isSyntheticPmu(rates, estimates)) for (const cpu of measured) readings.set(cpu, { reason: SYNTHETIC_REASON, variant: 'synthetic' });
    return readings;
  }

  close(): void {
    for (const state of this.cpus.values()) if (!isReason(state)) state.counters.close();
    this.cpus.clear();
  }

  private syscalls(): PerfSyscalls | Reason {
    if (this.sys === undefined) {
      try {
        this.sys = (this.deps.syscalls ?? koffiPerfSyscalls)();
      } catch (err) {
        this.sys = { reason: (err as Error).message };
      }
    }
    return this.sys;
  }

  private open(sys: PerfSyscalls, ctx: CollectContext, cpu: number): CpuState {
    this.msr ??= discoverMsrPmu((relative) => readOptional(() => ctx.readSysOptional(relative)));
    const result = openCpuCounters(sys, cpu, this.msr, paranoid(ctx));
    const state: CpuState = 'counters' in result ? { counters: result.counters } : { reason: result.reason };
    this.cpus.set(cpu, state);
    return state;
  }

  private nominalHz(ctx: CollectContext): CoreWindow['nominal'] {
    this.nominal ??= nominalHz({
      baseFrequencyKhz: readOptional(() => ctx.readSysOptional('devices/system/cpu/cpu0/cpufreq/base_frequency')),
      cpuinfo: readOptional(() => ctx.readProc('cpuinfo')),
    });
    return this.nominal;
  }
}

/** Busy time for cycles: the CPU ran user, nice, system or interrupt code (not steal). */
function busyWindow(w: { busySeconds: number; totalSeconds: number; modeSeconds: readonly number[] } | undefined): BusyWindow | Reason {
  if (!w) return { reason: 'warming up: no previous /proc/stat reading for this CPU' };
  return { busySeconds: w.busySeconds - (w.modeSeconds[STEAL_INDEX] ?? 0), totalSeconds: w.totalSeconds };
}

function readOptional(read: () => string | undefined): string | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function paranoid(ctx: CollectContext): number | undefined {
  return parseParanoid(readOptional(() => ctx.readProc('sys/kernel/perf_event_paranoid')));
}
