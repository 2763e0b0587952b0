// Contract between the frequency chain and its sources (sysfs, perf, cpuinfo, ioreport, sysctl).
import type { FrequencySourceName } from '../../config/options.js';
import type { CollectContext } from '../types.js';

/** One source's answer for one CPU: a value, or why there is none (shown by `doctor`). */
export type FrequencyReading =
  | {
      readonly hz: number;
      /** How the value was obtained and how far to trust it (shown by `doctor`). */
      readonly note?: string;
      /** A degraded path (e.g. "legacy", "cluster", "nominal"): sysmon.cpu.frequency.source says `<source>/<variant>`. */
      readonly variant?: string;
    }
  | {
      readonly reason: string;
      /** A degraded path that was rejected (e.g. "synthetic"): still published, with value 0. */
      readonly variant?: string;
    };

export interface FrequencySource {
  readonly name: FrequencySourceName;
  /**
   * Readings for the given logical CPUs in this collection. CPUs absent from the map get the
   * source-wide `unavailableReason()`. Must not block on a sample window: sources that need two
   * readings keep state between collections and report "warming up" on the first.
   */
  read(ctx: CollectContext, cpus: readonly number[]): ReadonlyMap<number, FrequencyReading>;
  /** Why the source gives nothing at all on this host, if so (checked once per collection). */
  unavailableReason?(ctx: CollectContext): string | undefined;
  close?(): void;
}

export interface FrequencyAttempt {
  readonly source: FrequencySourceName;
  readonly ok: boolean;
  readonly reason: string;
  /** Set when the source took (or was rejected on) a degraded path; see FrequencyReading. */
  readonly variant?: string;
}

export interface CpuFrequencyReport {
  readonly cpu: number;
  readonly source: FrequencySourceName | null;
  readonly hz: number | null;
  readonly tried: readonly FrequencyAttempt[];
  /**
   * The `source` attribute of sysmon.cpu.frequency.source for this CPU: the source's name, or
   * `<source>/<variant>` on a degraded path; null when nothing was published.
   */
  readonly series: string | null;
}

/** The `source` attribute value for a source on a (possibly degraded) path. */
export function seriesName(source: FrequencySourceName, variant: string | undefined): string {
  return variant ? `${source}/${variant}` : source;
}
