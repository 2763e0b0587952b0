// CPU and memory of a command's whole process tree between samples. The tree's CPU ticks plus the
// ticks the kernel charged to this process for reaping the command form a continuous total:
// a child that exits moves its time into its parent's cutime/cstime, so nothing is lost between
// samples and CPU % is the exact average over each interval.
import { performance } from 'node:perf_hooks';
import { ownReapedTicks, ProcessTree, USER_HZ } from './proc-tree.js';

export interface TreeReading {
  /** Average CPU over the interval since the previous reading; 100 = one core. */
  readonly cpuPercent: number;
  readonly memoryMb: number;
  readonly processes: number;
}

export class TreeMeter {
  private prevTicks = 0;
  private prevMs: number;
  private readonly baseReaped: number;

  /** Create right before spawning the root, so its ticks start from zero. */
  constructor(
    private readonly tree = new ProcessTree(),
    private readonly procfs = '/proc',
  ) {
    this.baseReaped = ownReapedTicks(procfs);
    this.prevMs = performance.now();
  }

  read(root: number): TreeReading {
    const sample = this.tree.sample(root);
    const ticks = sample.ticks + this.reapedTicks();
    const now = performance.now();
    const seconds = (now - this.prevMs) / 1000;
    const cpuPercent = seconds > 0 ? Math.max(0, ((ticks - this.prevTicks) / USER_HZ / seconds) * 100) : 0;
    this.prevTicks = Math.max(this.prevTicks, ticks);
    this.prevMs = now;
    return { cpuPercent, memoryMb: sample.rssBytes / (1024 * 1024), processes: sample.pids.length };
  }

  /** CPU-seconds of the reaped command tree, from the kernel (exact once the command has been reaped). */
  exactCpuSeconds(): number {
    return this.reapedTicks() / USER_HZ;
  }

  private reapedTicks(): number {
    return ownReapedTicks(this.procfs) - this.baseReaped;
  }
}
