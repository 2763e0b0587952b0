// Parser for the kernel's CPU list format (sysfs devices/system/cpu/online, cpuset files): "0-3,5,7-8".
import { MalformedSourceError } from '../collect.js';

/** Expands a CPU range list into sorted CPU numbers; an empty list (all CPUs offline is impossible) is malformed. */
export function parseCpuList(text: string, file: string): number[] {
  const cpus: number[] = [];
  const trimmed = text.trim();
  if (trimmed === '') throw new MalformedSourceError(file, 'empty CPU list');
  for (const part of trimmed.split(',')) {
    const dash = part.indexOf('-');
    const first = dash < 0 ? toCpu(part, file) : toCpu(part.slice(0, dash), file);
    const last = dash < 0 ? first : toCpu(part.slice(dash + 1), file);
    if (last < first) throw new MalformedSourceError(file, `range "${part}" ends before it starts`);
    for (let cpu = first; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus.sort((a, b) => a - b);
}

function toCpu(text: string, file: string): number {
  if (!/^\d+$/.test(text)) {
    throw new MalformedSourceError(file, `expected a CPU list like "0-3,5", found "${text}"`);
  }
  return Number(text);
}
