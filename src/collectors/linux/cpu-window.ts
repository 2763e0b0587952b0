// Per-CPU activity between two readings of cumulative tick counters. Platform-neutral: the Linux
// collector feeds it /proc/stat ticks, the non-Linux fallback os.cpus() milliseconds.
import { CPU_MODES, type CpuTicks, IDLE_INDEX, IOWAIT_INDEX } from './procstat-parser.js';

/** One CPU's activity over a window. */
export interface CpuWindow {
  /** Seconds per mode (indexed like CPU_MODES) during the window. */
  readonly modeSeconds: readonly number[];
  /** Seconds not idle and not waiting for I/O. */
  readonly busySeconds: number;
  readonly totalSeconds: number;
}

/**
 * Keeps the previous reading per CPU. A CPU seen for the first time, or whose counters went
 * backwards (hot-plug resets them), gets no window and a fresh baseline; when no tick elapsed the
 * older baseline is kept so the next window is not empty.
 */
export class CpuWindowTracker {
  private previous = new Map<number, CpuTicks>();

  constructor(private readonly secondsPerTick: number) {}

  /**
   * `wallSeconds` (the wall-clock time since the previous call) floors each CPU's elapsed time:
   * Apple Silicon stops counting any tick on a parked core, so the ticks of a mostly parked core sum
   * to a fraction of the window and busy/ticks overstates its load (to 100 % for one busy tick).
   * The missing time is idle, as `top` counts it; a core with no tick at all was idle all window.
   */
  next(cpus: readonly CpuTicks[], wallSeconds?: number): Map<number, CpuWindow> {
    const result = new Map<number, CpuWindow>();
    const next = new Map<number, CpuTicks>();
    const floor = wallSeconds !== undefined && wallSeconds > 0 ? wallSeconds : undefined;
    for (const now of cpus) {
      const before = this.previous.get(now.cpu);
      let window = before ? this.between(before, now) : undefined;
      if (floor !== undefined && window !== undefined) window = floored(window, floor);
      next.set(now.cpu, window === null ? before! : now);
      if (window) result.set(now.cpu, window);
    }
    this.previous = next;
    return result;
  }

  /** undefined: counters went backwards; null: no tick elapsed. */
  private between(before: CpuTicks, now: CpuTicks): CpuWindow | undefined | null {
    const modeSeconds: number[] = [];
    let ticks = 0;
    for (let m = 0; m < CPU_MODES.length; m++) {
      const delta = now.ticks[m] - before.ticks[m];
      if (delta < 0) return undefined;
      ticks += delta;
      modeSeconds.push(delta * this.secondsPerTick);
    }
    if (ticks === 0) return null;
    const totalSeconds = ticks * this.secondsPerTick;
    const busySeconds = totalSeconds - modeSeconds[IDLE_INDEX] - modeSeconds[IOWAIT_INDEX];
    return { modeSeconds, totalSeconds, busySeconds };
  }
}

/** The window stretched to `wallSeconds` (when its ticks cover less), the missing time counted as idle. */
function floored(window: CpuWindow | null, wallSeconds: number): CpuWindow {
  const modeSeconds = window ? [...window.modeSeconds] : CPU_MODES.map(() => 0);
  const ticked = window?.totalSeconds ?? 0;
  if (ticked >= wallSeconds) return window!;
  modeSeconds[IDLE_INDEX] += wallSeconds - ticked;
  return { modeSeconds, totalSeconds: wallSeconds, busySeconds: window?.busySeconds ?? 0 };
}
