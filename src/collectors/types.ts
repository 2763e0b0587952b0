// Shared shapes for collectors: a collector reads sources through a per-collection context and
// adds points to a sink; it never touches OpenTelemetry instruments directly.
import type { MetricName } from '../catalogue.js';

export type AttributeValue = string | number | boolean;
export type Attributes = Readonly<Record<string, AttributeValue>>;

export interface Point {
  readonly attributes: Attributes;
  readonly value: number;
}

export interface PointSink {
  add(metric: MetricName, value: number, attributes?: Attributes): void;
}

/** Where host files are read from (node_exporter's --path.procfs/--path.sysfs/--path.rootfs). */
export interface HostPaths {
  readonly procfs: string;
  readonly sysfs: string;
  readonly rootfs: string;
  /** True when the paths are the live host's, directly or under another root (perf counters measure live CPUs). */
  readonly live: boolean;
}

export interface CollectContext {
  readonly paths: HostPaths;
  /** Wall-clock time of this collection, ms since the epoch. */
  readonly nowMs: number;
  /** Monotonic time of this collection, ms (performance.now()). */
  readonly monoMs: number;
  /** The absolute path of a file under procfs (names the file in errors). */
  procPath(relative: string): string;
  /** The absolute path of a file under sysfs. */
  sysPath(relative: string): string;
  /** Reads a file under procfs once per collection (later calls return the same text). */
  readProc(relative: string): string;
  /** Reads a file under sysfs once per collection. */
  readSys(relative: string): string;
  /** Like readSys but returns undefined when the file does not exist. */
  readSysOptional(relative: string): string | undefined;
  /** Computes a value once per collection (parsed sources shared between collectors). */
  memo<T>(key: string, compute: () => T): T;
}

export interface Collector {
  /** Stable name used in sysmon.collector.errors{collector} and snapshot errors. */
  readonly name: string;
  collect(ctx: CollectContext, sink: PointSink): void | Promise<void>;
  /** Releases held resources (open perf counters, native handles). */
  close?(): void;
}

export interface CollectorError {
  readonly collector: string;
  readonly message: string;
}

export interface Collection {
  readonly timeMs: number;
  readonly points: ReadonlyMap<MetricName, Point[]>;
  readonly errors: readonly CollectorError[];
}
