// What `top` shows, derived from host collections: per-CPU busy fraction, clock, its source and a
// short clock history; load, memory, swap and PSI. Pure: a Collection in, a frame out.
import type { MetricName } from '../catalogue.js';
import type { Collection, CollectorError, Point } from '../collectors/types.js';

export const HISTORY_LENGTH = 30;

export interface TopCpu {
  readonly cpu: number;
  /** Fraction of the last window in user, nice, system and interrupt. */
  readonly busy: number | undefined;
  readonly hz: number | undefined;
  readonly source: string | undefined;
  /** Oldest first; undefined where that collection had no clock for the CPU. */
  readonly history: readonly (number | undefined)[];
}

export interface TopFrame {
  readonly timeMs: number;
  readonly cpus: readonly TopCpu[];
  readonly load: readonly [number, number, number] | undefined;
  readonly memory: { readonly used: number; readonly limit: number } | undefined;
  /** undefined: no swap device. */
  readonly swap: { readonly used: number; readonly total: number } | undefined;
  /** PSI "some" over 10 s, as a fraction, per resource present. */
  readonly psi: Readonly<Partial<Record<'cpu' | 'memory' | 'io', number>>>;
  /** Bytes per second over all reported disks and interfaces since the previous frame (absent: no source yet). */
  readonly io: { readonly disk?: DirectionRates<'read' | 'write'>; readonly network?: DirectionRates<'receive' | 'transmit'> };
  /** The hottest hwmon sensor; undefined where there is none (VMs). */
  readonly hottest: { readonly name: string; readonly celsius: number } | undefined;
  readonly errors: readonly CollectorError[];
}

export type DirectionRates<D extends string> = Readonly<Record<D, number>>;

const BUSY_MODES = new Set(['user', 'nice', 'system', 'interrupt']);

const PSI_SOME10 = [
  ['cpu', 'system.cpu.linux.pressure.10s'],
  ['memory', 'system.memory.linux.pressure.10s'],
  ['io', 'system.io.linux.pressure.10s'],
] as const satisfies readonly (readonly ['cpu' | 'memory' | 'io', MetricName])[];

function pointsOf(c: Collection, name: MetricName): readonly Point[] {
  return c.points.get(name) ?? [];
}

function single(c: Collection, name: MetricName): number | undefined {
  return pointsOf(c, name)[0]?.value;
}

/** Keeps the clock history across collections and turns each collection into a frame. */
export class TopModel {
  private readonly history = new Map<number, (number | undefined)[]>();
  private readonly disk = new CounterRates('disk.io.direction');
  private readonly network = new CounterRates('network.io.direction');

  constructor(private readonly historyLength = HISTORY_LENGTH) {}

  next(c: Collection): TopFrame {
    const busy = new Map<number, number>();
    for (const p of pointsOf(c, 'system.cpu.utilization')) {
      const cpu = Number(p.attributes['cpu.logical_number']);
      if (BUSY_MODES.has(String(p.attributes['cpu.mode']))) busy.set(cpu, (busy.get(cpu) ?? 0) + p.value);
      else if (!busy.has(cpu)) busy.set(cpu, 0);
    }
    const hz = new Map(pointsOf(c, 'system.cpu.frequency').map((p) => [Number(p.attributes['cpu.logical_number']), p.value]));
    const source = new Map(
      pointsOf(c, 'sysmon.cpu.frequency.source').map((p) => [Number(p.attributes['cpu.logical_number']), String(p.attributes.source)]),
    );
    const cpuSet = new Set<number>([...busy.keys(), ...hz.keys(), ...this.history.keys()]);
    const cpus = [...cpuSet].sort((a, b) => a - b).map((cpu): TopCpu => {
      const series = this.history.get(cpu) ?? [];
      series.push(hz.get(cpu));
      if (series.length > this.historyLength) series.splice(0, series.length - this.historyLength);
      this.history.set(cpu, series);
      return { cpu, busy: busy.get(cpu), hz: hz.get(cpu), source: source.get(cpu), history: [...series] };
    });

    const l1 = single(c, 'system.cpu.load_average.1m');
    const l5 = single(c, 'system.cpu.load_average.5m');
    const l15 = single(c, 'system.cpu.load_average.15m');
    const used = pointsOf(c, 'system.memory.usage').find((p) => p.attributes['system.memory.state'] === 'used')?.value;
    const limit = single(c, 'system.memory.limit');
    let swapUsed = 0;
    let swapTotal = 0;
    for (const p of pointsOf(c, 'system.paging.usage')) {
      swapTotal += p.value;
      if (p.attributes['system.paging.state'] === 'used') swapUsed += p.value;
    }
    const psi: Partial<Record<'cpu' | 'memory' | 'io', number>> = {};
    for (const [resource, name] of PSI_SOME10) {
      const some = pointsOf(c, name).find((p) => p.attributes['system.pressure.stall_type'] === 'some');
      if (some) psi[resource] = some.value;
    }
    return {
      timeMs: c.timeMs,
      cpus,
      load: l1 !== undefined && l5 !== undefined && l15 !== undefined ? [l1, l5, l15] : undefined,
      memory: used !== undefined && limit !== undefined ? { used, limit } : undefined,
      swap: swapTotal > 0 ? { used: swapUsed, total: swapTotal } : undefined,
      psi,
      io: {
        disk: this.disk.next(c.timeMs, pointsOf(c, 'system.disk.io')) as DirectionRates<'read' | 'write'> | undefined,
        network: this.network.next(c.timeMs, pointsOf(c, 'system.network.io')) as DirectionRates<'receive' | 'transmit'> | undefined,
      },
      hottest: hottestSensor(pointsOf(c, 'hw.temperature')),
      errors: c.errors,
    };
  }
}

/** Per-direction totals of a byte counter turned into rates between consecutive frames. */
class CounterRates {
  private last: { timeMs: number; totals: Map<string, number> } | undefined;

  constructor(private readonly directionKey: string) {}

  next(timeMs: number, points: readonly Point[]): Readonly<Record<string, number>> | undefined {
    if (points.length === 0) {
      this.last = undefined;
      return undefined;
    }
    const totals = new Map<string, number>();
    for (const p of points) {
      const d = String(p.attributes[this.directionKey]);
      totals.set(d, (totals.get(d) ?? 0) + p.value);
    }
    const prev = this.last;
    this.last = { timeMs, totals };
    const seconds = prev ? (timeMs - prev.timeMs) / 1000 : 0;
    if (!prev || seconds <= 0) return undefined;
    const rates: Record<string, number> = {};
    for (const [d, v] of totals) {
      const before = prev.totals.get(d);
      // A device that vanished makes the total fall: no rate for this frame rather than a negative one.
      if (before === undefined || v < before) return undefined;
      rates[d] = (v - before) / seconds;
    }
    return rates;
  }
}

function hottestSensor(points: readonly Point[]): TopFrame['hottest'] {
  let best: Point | undefined;
  for (const p of points) if (!best || p.value > best.value) best = p;
  return best ? { name: String(best.attributes['hw.name']), celsius: best.value } : undefined;
}
