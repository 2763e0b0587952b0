// Thermal throttle collector (sysfs devices/system/cpu/cpuN/thermal_throttle, x86 only): how often and
// how long each CPU was throttled for heat, at core and package scope - the reason a clock dropped.
// The kernel repeats a package's counters in every CPU of the package; they are kept per CPU so an alert
// can match them to the CPU whose frequency fell.
import { existsSync } from 'node:fs';
import { MalformedSourceError } from '../collect.js';
import type { Attributes, CollectContext, Collector, PointSink } from '../types.js';
import { onlineCpus } from './procstat.js';

const SCOPES = ['core', 'package'] as const;

/**
 * The counters are read at most this often: a 64-CPU host has 256 of these files (about 0.5 ms of
 * reads), and a counter read a few seconds late loses nothing (rates over minutes are what matter).
 */
const READ_TTL_MS = 5_000;

interface ThrottleFile {
  readonly path: string;
  readonly metric: 'sysmon.cpu.thermal_throttle.count' | 'sysmon.cpu.thermal_throttle.time';
  /** Factor from the file's unit to the metric's (ms -> s). */
  readonly scale: number;
  readonly attributes: Attributes;
}

export function parseCounter(text: string, file: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new MalformedSourceError(file, `expected a count, found "${t}"`);
  return Number(t);
}

export class ThermalThrottleCollector implements Collector {
  readonly name = 'thermal_throttle';
  private files: readonly ThrottleFile[] = [];
  private cpusSeen: string | undefined;
  private values: { readonly file: ThrottleFile; readonly value: number }[] = [];
  private readAtMs = -Infinity;

  constructor(private readonly readTtlMs = READ_TTL_MS) {}

  collect(ctx: CollectContext, sink: PointSink): void {
    const cpus = onlineCpus(ctx);
    // Which files exist changes only when CPUs go on- or offline: probe them then, not every collection.
    const key = cpus.join(',');
    if (key !== this.cpusSeen) {
      this.files = probe(ctx, cpus);
      this.cpusSeen = key;
      this.readAtMs = -Infinity;
    }
    if (ctx.monoMs - this.readAtMs >= this.readTtlMs) {
      const values: { file: ThrottleFile; value: number }[] = [];
      for (const file of this.files) {
        const text = ctx.readSysOptional(file.path);
        if (text !== undefined) values.push({ file, value: parseCounter(text, ctx.sysPath(file.path)) * file.scale });
      }
      this.values = values;
      this.readAtMs = ctx.monoMs;
    }
    for (const { file, value } of this.values) sink.add(file.metric, value, file.attributes);
  }

  /** CPUs with throttle counters, from the last probe (for doctor). */
  cpus(): readonly number[] {
    return [...new Set(this.files.map((f) => Number(f.attributes['cpu.logical_number'])))];
  }
}

function probe(ctx: CollectContext, cpus: readonly number[]): ThrottleFile[] {
  const out: ThrottleFile[] = [];
  for (const cpu of cpus) {
    const dir = `devices/system/cpu/cpu${cpu}/thermal_throttle`;
    if (!existsSync(ctx.sysPath(dir))) continue;
    for (const scope of SCOPES) {
      const attributes = { 'cpu.logical_number': cpu, scope };
      const count = `${dir}/${scope}_throttle_count`;
      const time = `${dir}/${scope}_throttle_total_time_ms`;
      if (existsSync(ctx.sysPath(count))) out.push({ path: count, metric: 'sysmon.cpu.thermal_throttle.count', scale: 1, attributes });
      if (existsSync(ctx.sysPath(time))) out.push({ path: time, metric: 'sysmon.cpu.thermal_throttle.time', scale: 1 / 1000, attributes });
    }
  }
  return out;
}
