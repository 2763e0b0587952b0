// The frequency chain: per logical CPU, the configured sources are asked in order and the first
// trustworthy value wins; a CPU without one gets no point (never 0). The last report per CPU,
// with the reason each source failed, is kept for `doctor`.
import type { FrequencySourceName } from '../../config/options.js';
import type { CollectContext, Collector, PointSink } from '../types.js';
import {
  frequencySourceFactory,
  type FrequencySourceOptions,
  UnavailableFrequencySource,
} from './registry.js';
import { type CpuFrequencyReport, type FrequencyAttempt, type FrequencyReading, type FrequencySource, seriesName } from './types.js';

export { registerFrequencySource } from './registry.js';
export type { FrequencySourceFactory, FrequencySourceOptions } from './registry.js';

const NOT_AVAILABLE = 'not available in this build/platform';

/**
 * Stands in for a source whose module has not registered (yet): looks it up again at every
 * collection, so registration order does not matter.
 */
class RegisteredFrequencySource implements FrequencySource {
  private source: FrequencySource | undefined;

  constructor(
    readonly name: FrequencySourceName,
    private readonly options: FrequencySourceOptions,
  ) {}

  private resolve(): FrequencySource {
    if (!this.source) {
      const factory = frequencySourceFactory(this.name);
      if (!factory) return new UnavailableFrequencySource(this.name, NOT_AVAILABLE);
      this.source = factory(this.options);
    }
    return this.source;
  }

  unavailableReason(ctx: CollectContext): string | undefined {
    return this.resolve().unavailableReason?.(ctx);
  }

  read(ctx: CollectContext, cpus: readonly number[]): ReadonlyMap<number, FrequencyReading> {
    return this.resolve().read(ctx, cpus);
  }

  close(): void {
    this.source?.close?.();
  }
}

export function createFrequencySources(
  names: readonly FrequencySourceName[],
  options: FrequencySourceOptions,
): FrequencySource[] {
  return names.map((name) => new RegisteredFrequencySource(name, options));
}

/** Logical CPUs to report on in one collection. */
export type CpuLister = (ctx: CollectContext) => readonly number[];

type CpuAttrs = { readonly 'cpu.logical_number': number };
type SourceAttrs = CpuAttrs & { readonly source: string };

export class FrequencyCollector implements Collector {
  readonly name = 'frequency';
  private reports: readonly CpuFrequencyReport[] = [];
  private readonly cpuAttrs = new Map<number, CpuAttrs>();
  private readonly sourceAttrs = new Map<string, SourceAttrs>();

  constructor(
    private readonly sources: readonly FrequencySource[],
    private readonly listCpus: CpuLister,
  ) {}

  /** The outcome of the last collection per CPU (empty before the first). */
  lastReports(): readonly CpuFrequencyReport[] {
    return this.reports;
  }

  collect(ctx: CollectContext, sink: PointSink): void {
    const cpus = this.listCpus(ctx);
    const tried = new Map<number, FrequencyAttempt[]>(cpus.map((cpu) => [cpu, []]));
    const chosen = new Map<number, { source: FrequencySourceName; hz: number; variant?: string }>();
    let pending: readonly number[] = cpus;
    for (const source of this.sources) {
      if (pending.length === 0) break;
      const readings = readSource(source, ctx, pending);
      const still: number[] = [];
      for (const cpu of pending) {
        const reading = typeof readings === 'string' ? { reason: readings } : readings.get(cpu);
        const attempt = judge(source.name, reading);
        tried.get(cpu)!.push(attempt);
        if (attempt.ok) chosen.set(cpu, { source: source.name, hz: (reading as { hz: number }).hz, variant: attempt.variant });
        else still.push(cpu);
      }
      pending = still;
    }
    const reports: CpuFrequencyReport[] = [];
    for (const cpu of cpus) {
      const pick = chosen.get(cpu);
      let series: string | null = null;
      if (pick) {
        series = seriesName(pick.source, pick.variant);
        sink.add('system.cpu.frequency', pick.hz, this.cpuAttributes(cpu));
        sink.add('sysmon.cpu.frequency.source', 1, this.sourceAttributes(cpu, series));
      } else {
        // No value, but a source was rejected on a degraded path (a synthetic PMU): publish that
        // with value 0, so dashboards see why the CPU has no frequency.
        const degraded = tried.get(cpu)!.find((t) => t.variant);
        if (degraded) {
          series = seriesName(degraded.source, degraded.variant);
          sink.add('sysmon.cpu.frequency.source', 0, this.sourceAttributes(cpu, series));
        }
      }
      reports.push({ cpu, source: pick?.source ?? null, hz: pick?.hz ?? null, tried: tried.get(cpu)!, series });
    }
    this.reports = reports;
  }

  close(): void {
    for (const source of this.sources) source.close?.();
  }

  private cpuAttributes(cpu: number): CpuAttrs {
    let attrs = this.cpuAttrs.get(cpu);
    if (!attrs) this.cpuAttrs.set(cpu, (attrs = { 'cpu.logical_number': cpu }));
    return attrs;
  }

  private sourceAttributes(cpu: number, source: string): SourceAttrs {
    const key = `${cpu}/${source}`;
    let attrs = this.sourceAttrs.get(key);
    if (!attrs) this.sourceAttrs.set(key, (attrs = { 'cpu.logical_number': cpu, source }));
    return attrs;
  }
}

/** A source's readings, or one reason for all CPUs (unavailable, or it threw). */
function readSource(
  source: FrequencySource,
  ctx: CollectContext,
  cpus: readonly number[],
): ReadonlyMap<number, FrequencyReading> | string {
  try {
    return source.unavailableReason?.(ctx) ?? source.read(ctx, cpus);
  } catch (err) {
    return (err as Error).message;
  }
}

function judge(source: FrequencySourceName, reading: FrequencyReading | undefined): FrequencyAttempt {
  if (!reading) return { source, ok: false, reason: 'no reading for this CPU' };
  const variant = reading.variant ? { variant: reading.variant } : {};
  if (!('hz' in reading)) return { source, ok: false, reason: reading.reason, ...variant };
  if (!Number.isFinite(reading.hz) || reading.hz <= 0) {
    return { source, ok: false, reason: `implausible value ${reading.hz} Hz` };
  }
  return { source, ok: true, reason: reading.note ?? 'ok', ...variant };
}
