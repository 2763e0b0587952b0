// Load collector (/proc/loadavg): system.cpu.load_average.{1m,5m,15m} and dsynth's adjusted 1m load
// (from the shared /proc/stat parse).
import type { CollectContext, Collector, PointSink } from '../types.js';
import { parseLoadavg } from './loadavg-parser.js';
import { procStat } from './procstat.js';

/**
 * dsynth's adjusted load on Linux. dsynth (build.c adjloadavg) adds DragonFly's page-fault waiters
 * (vm.vmtotal t_pw), which the BSD load average does not count, so a thrashing host clamps the worker
 * limit at once. Linux's load average already counts tasks in uninterruptible sleep (state D: I/O and
 * page-fault waits; kernel/sched/loadavg.c folds nr_running + nr_uninterruptible), so adding
 * procs_blocked would count them twice. The analogue is the larger of the 1-minute average and the
 * tasks runnable or blocked right now: every task counts once, and a sudden wave of blocked tasks
 * raises the figure at once instead of after the average catches up.
 */
export function adjustedLoad1(load1: number, running: number | undefined, blocked: number | undefined): number {
  if (running === undefined && blocked === undefined) return load1;
  return Math.max(load1, (running ?? 0) + (blocked ?? 0));
}

export class LoadavgCollector implements Collector {
  readonly name = 'load';

  collect(ctx: CollectContext, sink: PointSink): void {
    const load = parseLoadavg(ctx.readProc('loadavg'), ctx.procPath('loadavg'));
    sink.add('system.cpu.load_average.1m', load.load1);
    sink.add('system.cpu.load_average.5m', load.load5);
    sink.add('system.cpu.load_average.15m', load.load15);
    const tasks = procTasks(ctx);
    if (tasks) sink.add('sysmon.cpu.load_average.adjusted.1m', adjustedLoad1(load.load1, tasks.running, tasks.blocked));
  }
}

/** Runnable and blocked tasks, or undefined when /proc/stat failed: that failure is the cpu collector's to report. */
function procTasks(ctx: CollectContext): { running?: number; blocked?: number } | undefined {
  try {
    const stat = procStat(ctx);
    return { running: stat.procsRunning, blocked: stat.procsBlocked };
  } catch {
    return undefined;
  }
}
