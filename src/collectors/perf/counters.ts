// Per-CPU counter groups kept open across collections: which events opened on a CPU decides the
// estimation method, and each read returns the deltas since the previous one.
import { type CoreWindow, type Delta, isReason, type PerfMethod, type Reason, scaledDelta } from './estimate.js';
import { explainPerfErrno } from './errno.js';
import { CYCLES, type MsrPmu, type PerfEvent, type PerfEventName, REF_CYCLES } from './events.js';
import { isErrno, type PerfCount, type PerfSyscalls } from './syscalls.js';

/** Outcome of opening one event on one CPU (shown by `doctor`). */
export interface OpenAttempt {
  readonly event: PerfEventName;
  readonly ok: boolean;
  readonly reason: string;
  readonly errno?: number;
}

/** The events each method needs, in the order their readings are taken. */
const METHOD_EVENTS: Record<PerfMethod, readonly PerfEventName[]> = {
  'ref-cycles': ['cycles', 'ref-cycles'],
  'aperf-mperf': ['aperf', 'mperf'],
  'busy-time': ['cycles'],
};

export interface CpuCountersOpen {
  readonly counters: CpuCounters;
  readonly attempts: readonly OpenAttempt[];
}

export interface CpuCountersFailed {
  readonly reason: string;
  readonly attempts: readonly OpenAttempt[];
}

/** Opens (disabled), resets and enables one event; the fd or why not. */
function openEvent(sys: PerfSyscalls, event: PerfEvent, cpu: number, paranoid?: number): { fd: number } | OpenAttempt {
  const fd = sys.open(event.attr, cpu);
  if (isErrno(fd)) {
    return { event: event.name, ok: false, errno: fd.errno, reason: explainPerfErrno(fd.errno, event.name, paranoid).reason };
  }
  const failed = sys.reset(fd) ?? sys.enable(fd);
  if (failed) {
    sys.close(fd);
    return { event: event.name, ok: false, errno: failed.errno, reason: explainPerfErrno(failed.errno, `${event.name} (enable)`, paranoid).reason };
  }
  return { fd };
}

/**
 * Tries, on one CPU, ref-cycles + cycles, then the msr aperf/mperf pair, then cycles alone (the
 * order of preference), plus the msr tsc counter that measures the reference clock. Counters the
 * chosen method does not need are closed again.
 */
export function openCpuCounters(
  sys: PerfSyscalls,
  cpu: number,
  msr: MsrPmu | Reason,
  paranoid?: number,
): CpuCountersOpen | CpuCountersFailed {
  const attempts: OpenAttempt[] = [];
  const fds = new Map<PerfEventName, number>();
  const tryOpen = (event: PerfEvent): void => {
    const r = openEvent(sys, event, cpu, paranoid);
    if ('fd' in r) {
      fds.set(event.name, r.fd);
      attempts.push({ event: event.name, ok: true, reason: event.name === 'tsc' ? 'opened (measures the reference clock)' : 'opened' });
    } else {
      attempts.push(r);
    }
  };
  tryOpen(CYCLES);
  if (fds.has('cycles')) tryOpen(REF_CYCLES);
  let msrReason: string | undefined;
  if (isReason(msr)) {
    msrReason = msr.reason;
  } else {
    for (const name of ['aperf', 'mperf', 'tsc'] as const) {
      const event = msr.events.get(name);
      if (event) tryOpen(event);
    }
    msrReason = msr.aperfMperfReason;
  }
  const method: PerfMethod | undefined =
    fds.has('cycles') && fds.has('ref-cycles')
      ? 'ref-cycles'
      : fds.has('aperf') && fds.has('mperf')
        ? 'aperf-mperf'
        : fds.has('cycles')
          ? 'busy-time'
          : undefined;
  const keep = new Set<PerfEventName>(method ? METHOD_EVENTS[method] : []);
  if (method && method !== 'busy-time') keep.add('tsc');
  for (const [name, fd] of fds) {
    if (!keep.has(name)) {
      sys.disable(fd);
      sys.close(fd);
      fds.delete(name);
    }
  }
  if (!method) {
    const failures = attempts.filter((a) => !a.ok && (a.event !== 'tsc')).map((a) => a.reason);
    if (msrReason) failures.push(msrReason);
    return { reason: failures.join('; '), attempts };
  }
  return { counters: new CpuCounters(sys, method, fds), attempts };
}

/** The deltas of one CPU's counters between two reads. */
export interface CounterWindow {
  readonly seconds: number;
  readonly deltas: ReadonlyMap<PerfEventName, Delta>;
}

export class CpuCounters {
  private last = new Map<PerfEventName, PerfCount | Reason>();

  constructor(
    private readonly sys: PerfSyscalls,
    readonly method: PerfMethod,
    private readonly fds: ReadonlyMap<PerfEventName, number>,
  ) {}

  /** Reads every counter; the window since the previous read, or undefined on the first read. */
  sample(): CounterWindow | undefined {
    const now = new Map<PerfEventName, PerfCount | Reason>();
    for (const [name, fd] of this.fds) {
      const r = this.sys.read(fd);
      now.set(name, isErrno(r) ? { reason: `read failed: ${explainPerfErrno(r.errno, name).code}` } : r);
    }
    const before = this.last;
    this.last = now;
    if (before.size === 0) return undefined;
    const deltas = new Map<PerfEventName, Delta>();
    let seconds = 0;
    for (const [name, after] of now) {
      const prev = before.get(name);
      if (!prev || isReason(prev)) deltas.set(name, prev ?? { reason: 'no previous reading' });
      else if (isReason(after)) deltas.set(name, after);
      else {
        deltas.set(name, scaledDelta(prev, after));
        // time_enabled advances with wall time while the counter is enabled: the window length.
        if (seconds === 0 && name === METHOD_EVENTS[this.method][0]) seconds = (after.enabled - prev.enabled) / 1e9;
      }
    }
    return { seconds, deltas };
  }

  close(): void {
    for (const fd of this.fds.values()) {
      this.sys.disable(fd);
      this.sys.close(fd);
    }
    this.last.clear();
  }
}

/** A CoreWindow (see estimate.ts) from counter deltas. */
export function coreWindow(w: CounterWindow, extra: Pick<CoreWindow, 'busy' | 'nominal'>): CoreWindow {
  return {
    seconds: w.seconds,
    cycles: w.deltas.get('cycles'),
    refCycles: w.deltas.get('ref-cycles'),
    aperf: w.deltas.get('aperf'),
    mperf: w.deltas.get('mperf'),
    tsc: w.deltas.get('tsc'),
    ...extra,
  };
}
