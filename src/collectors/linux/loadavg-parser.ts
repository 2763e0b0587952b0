// Pure parser for /proc/loadavg: "0.52 0.58 0.59 2/1234 5678".
import { MalformedSourceError } from '../collect.js';

export interface LoadAverage {
  readonly load1: number;
  readonly load5: number;
  readonly load15: number;
}

export function parseLoadavg(text: string, file = '/proc/loadavg'): LoadAverage {
  const fields = text.trim().split(' ');
  const loads = fields.slice(0, 3).map(Number);
  if (fields.length < 3 || loads.some((n, i) => fields[i] === '' || !Number.isFinite(n) || n < 0)) {
    throw new MalformedSourceError(file, `expected three load averages like "0.52 0.58 0.59", found "${text.trim()}"`);
  }
  return { load1: loads[0], load5: loads[1], load15: loads[2] };
}
