// `doctor`'s perf section: privilege inputs (perf_event_paranoid, CapEff) and what opening each
// counter on CPU 0 does right now, with the fixes for what failed.
import { join } from 'node:path';
import { PERF_COUNT_SW_CPU_CLOCK, PERF_TYPE_SOFTWARE } from '../../native-bindings/linux-perf.js';
import { openCpuCounters } from '../collectors/perf/counters.js';
import { METHOD_DESCRIPTIONS, type PerfMethod } from '../collectors/perf/estimate.js';
import { explainPerfErrno, parseParanoid } from '../collectors/perf/errno.js';
import { discoverMsrPmu } from '../collectors/perf/events.js';
import { isErrno, koffiPerfSyscalls, type PerfSyscalls } from '../collectors/perf/syscalls.js';
import type { HostPaths } from '../collectors/types.js';
import { type Capabilities, parseCapEff } from './capabilities.js';
import { readText } from './read-text.js';

export interface PerfEventCheck {
  readonly event: string;
  readonly ok: boolean;
  readonly reason: string;
}

export interface PerfReport {
  /** A frequency estimate method can run on this host. */
  readonly usable: boolean;
  readonly method: PerfMethod | null;
  readonly reason: string;
  readonly paranoid: number | null;
  readonly capabilities: Capabilities | null;
  readonly events: readonly PerfEventCheck[];
  readonly fixes: readonly string[];
}

export interface PerfProbeOptions {
  readonly paths: HostPaths;
  readonly platform?: NodeJS.Platform;
  /** The agent's own root, for /proc/self/status. */
  readonly selfRoot?: string;
  readonly syscalls?: () => PerfSyscalls;
}

export function probePerf(o: PerfProbeOptions): PerfReport {
  const paranoid = parseParanoid(readText(join(o.paths.procfs, 'sys/kernel/perf_event_paranoid'))) ?? null;
  const status = readText(join(o.selfRoot ?? '/', 'proc/self/status'));
  const capabilities = status === undefined ? null : (parseCapEff(status) ?? null);
  const base = { paranoid, capabilities, events: [] as PerfEventCheck[], fixes: [] as string[], usable: false, method: null };
  const platform = o.platform ?? process.platform;
  if (platform !== 'linux') return { ...base, reason: `perf counters are Linux only (this is ${platform})` };
  let sys: PerfSyscalls;
  try {
    sys = (o.syscalls ?? koffiPerfSyscalls)();
  } catch (err) {
    return { ...base, reason: (err as Error).message, fixes: ['reinstall otel-sysmon so koffi has its prebuilt binary for this platform'] };
  }

  const events: PerfEventCheck[] = [];
  const fixes = new Set<string>();
  // A software counter on CPU 0 tells "perf_event_open is allowed" apart from "no PMU".
  const clock = sys.open({ type: PERF_TYPE_SOFTWARE, config: PERF_COUNT_SW_CPU_CLOCK }, 0);
  if (isErrno(clock)) {
    const e = explainPerfErrno(clock.errno, 'cpu-clock', paranoid ?? undefined);
    events.push({ event: 'cpu-clock (software)', ok: false, reason: e.reason });
    for (const f of e.fixes) fixes.add(f);
  } else {
    sys.close(clock);
    events.push({ event: 'cpu-clock (software)', ok: true, reason: 'perf_event_open works for CPU-wide counters' });
  }

  const msr = discoverMsrPmu((relative) => readText(join(o.paths.sysfs, relative)));
  const opened = openCpuCounters(sys, 0, msr, paranoid ?? undefined);
  for (const a of opened.attempts) {
    events.push({ event: a.event, ok: a.ok, reason: a.reason });
    if (!a.ok && a.errno !== undefined && a.event !== 'tsc') for (const f of explainPerfErrno(a.errno, a.event).fixes) fixes.add(f);
  }
  if ('reason' in msr) events.push({ event: 'msr PMU', ok: false, reason: msr.reason });
  else if (msr.aperfMperfReason) events.push({ event: 'aperf/mperf', ok: false, reason: msr.aperfMperfReason });

  if ('counters' in opened) {
    const method = opened.counters.method;
    opened.counters.close();
    return {
      ...base,
      usable: true,
      method,
      reason: `perf counters work: ${METHOD_DESCRIPTIONS[method]}`,
      events,
      fixes: [],
    };
  }
  return { ...base, reason: opened.reason, events, fixes: [...fixes] };
}
