// Pure parser for /proc/stat: per-CPU tick counters and the running/blocked process counts.
import { MalformedSourceError } from '../collect.js';

/** The cpu.mode values, in the order their ticks are stored in CpuTicks.ticks. */
export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'interrupt', 'steal'] as const;
export type CpuMode = (typeof CPU_MODES)[number];
export const IDLE_INDEX = 3;
export const IOWAIT_INDEX = 4;

export interface CpuTicks {
  readonly cpu: number;
  /**
   * Ticks per mode, indexed like CPU_MODES; interrupt = irq + softirq. guest and guest_nice are
   * left out because the kernel already counts them inside user and nice.
   */
  readonly ticks: readonly number[];
  /** How many of CPU_MODES this kernel reports (4 before 2.6, 6 before 2.6.11 without steal). */
  readonly modes: number;
}

export interface ProcStat {
  /** Online CPUs in file order; offline CPUs have no line. */
  readonly cpus: readonly CpuTicks[];
  readonly procsRunning: number | undefined;
  readonly procsBlocked: number | undefined;
  /** Forks since boot (the "processes" line). */
  readonly processesCreated: number | undefined;
}

// Column positions after the "cpuN" label: user nice system idle iowait irq softirq steal guest guest_nice.
const COLUMN_MODE = [0, 1, 2, 3, 4, 5, 5, 6] as const;
// Modes present for a given number of columns: 4 -> user..idle, 5 -> +iowait, 7 -> +interrupt, 8+ -> +steal.
const MODES_FOR_COLUMNS = [0, 0, 0, 0, 4, 5, 5, 6, 7] as const;

export function parseProcStat(text: string, file = '/proc/stat'): ProcStat {
  const cpus: CpuTicks[] = [];
  let procsRunning: number | undefined;
  let procsBlocked: number | undefined;
  let processesCreated: number | undefined;
  let start = 0;
  let lineNo = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const c0 = text.charCodeAt(start);
    if (c0 === 99 /* c */ && text.startsWith('cpu', start)) {
      const digit = text.charCodeAt(start + 3);
      // The aggregate "cpu " line is the sum of the others: skipped.
      if (digit >= 48 && digit <= 57) cpus.push(parseCpuLine(text, start + 3, end, file, lineNo));
    } else if (c0 === 112 /* p */) {
      if (text.startsWith('procs_running ', start)) procsRunning = lineValue(text, start + 14, end, file, lineNo);
      else if (text.startsWith('procs_blocked ', start)) procsBlocked = lineValue(text, start + 14, end, file, lineNo);
      else if (text.startsWith('processes ', start)) processesCreated = lineValue(text, start + 10, end, file, lineNo);
    }
    start = end + 1;
  }
  if (cpus.length === 0) throw new MalformedSourceError(file, 'no cpuN lines');
  return { cpus, procsRunning, procsBlocked, processesCreated };
}

function parseCpuLine(text: string, pos: number, end: number, file: string, lineNo: number): CpuTicks {
  let cpu = 0;
  let i = pos;
  for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) cpu = cpu * 10 + (c - 48);
  const ticks = [0, 0, 0, 0, 0, 0, 0];
  let column = 0;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 32) {
      i++;
      continue;
    }
    let value = 0;
    const from = i;
    for (let d = c; d >= 48 && d <= 57; d = text.charCodeAt(++i)) value = value * 10 + (d - 48);
    if (i === from || (i < end && text.charCodeAt(i) !== 32)) {
      throw new MalformedSourceError(file, `line ${lineNo}: expected tick counts after "cpu${cpu}", found "${text.slice(pos - 3, end)}"`);
    }
    if (column < COLUMN_MODE.length) ticks[COLUMN_MODE[column]] += value;
    column++;
  }
  if (column < 4) {
    throw new MalformedSourceError(file, `line ${lineNo}: expected at least 4 tick counts for cpu${cpu}, found ${column}`);
  }
  return { cpu, ticks, modes: MODES_FOR_COLUMNS[Math.min(column, 8)] };
}

function lineValue(text: string, pos: number, end: number, file: string, lineNo: number): number {
  const raw = text.slice(pos, end).trim();
  if (!/^\d+$/.test(raw)) throw new MalformedSourceError(file, `line ${lineNo}: expected a count, found "${raw}"`);
  return Number(raw);
}
