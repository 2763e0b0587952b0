// Small statistics helpers shared by the benchmarks.
import { readdirSync, readFileSync } from 'node:fs';

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** CPU time (user + system) of this process in milliseconds. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU time (user + system) of another process in seconds, from /proc/PID/stat (Linux). */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU seconds of each of a process's threads, by thread id, from /proc/PID/task/TID/schedstat
 * (nanoseconds; /proc/PID/stat counts 10 ms ticks, too coarse for an agent that idles at a few ms per
 * second).
 */
export function procThreadTimes(pid: number): ReadonlyMap<number, number> {
  const times = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      times.set(Number(tid), Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]) / 1e9);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return times;
}

/**
 * CPU seconds a process used between two readings of procThreadTimes, split into the main thread and
 * the rest (V8's helper threads, libuv's pool, worker threads; Node 20 does not name them), thread by
 * thread: a thread that ended in between is left out (a difference of sums would count all it ever
 * used against the window, below zero), one that started in between counts whole.
 */
export function threadCpuBetween(pid: number, before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const [tid, seconds] of after) {
    const used = seconds - (before.get(tid) ?? 0);
    if (tid === pid) main += used;
    else others += used;
  }
  return { main, others };
}

export function fmt(value: number, digits = 3): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}
