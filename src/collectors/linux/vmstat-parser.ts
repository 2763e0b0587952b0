// Pure parser for /proc/vmstat: swap-ins/outs and page faults.
import { MalformedSourceError } from '../collect.js';
import { findLineValue, restOfLine } from './text-fields.js';

export interface VmStat {
  readonly pswpin: number | undefined;
  readonly pswpout: number | undefined;
  readonly pgfault: number | undefined;
  readonly pgmajfault: number | undefined;
}

export function parseVmstat(text: string, file = '/proc/vmstat'): VmStat {
  const stats: VmStat = {
    pswpin: counter(text, 'pswpin', file),
    pswpout: counter(text, 'pswpout', file),
    pgfault: counter(text, 'pgfault', file),
    pgmajfault: counter(text, 'pgmajfault', file),
  };
  if (stats.pgfault === undefined && stats.pswpin === undefined) {
    throw new MalformedSourceError(file, 'no pgfault or pswpin line');
  }
  return stats;
}

function counter(text: string, key: string, file: string): number | undefined {
  const at = findLineValue(text, key, ' ');
  if (at < 0) return undefined;
  const raw = restOfLine(text, at);
  if (!/^\d+$/.test(raw)) throw new MalformedSourceError(file, `${key}: expected a count, found "${raw}"`);
  return Number(raw);
}
