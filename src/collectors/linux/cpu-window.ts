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

  next(cpus: readonly CpuTicks[]): Map<number, CpuWindow> {
    const result = new Map<number, CpuWindow>();
    const next = new Map<number, CpuTicks>();
    for (const now of cpus) {
      const before = this.previous.get(now.cpu);
      const window = before ? this.between(before, now) : undefined;
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
