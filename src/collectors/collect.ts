// One collection: every collector runs against a shared per-collection context, so each source
// file is read once; a failing collector is counted and logged once per distinct error.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { MetricName } from '../catalogue.js';
import type { Logger } from '../log.js';
import { KeptOpenFileReader } from './file-reader.js';
import type {
  Attributes,
  Collection,
  CollectContext,
  Collector,
  CollectorError,
  HostPaths,
  Point,
  PointSink,
} from './types.js';

/** A source file that exists but cannot be understood. */
export class MalformedSourceError extends Error {
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'MalformedSourceError';
  }
}

function describeReadError(file: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new Error(`${file}: not found`);
  if (code === 'EACCES' || code === 'EPERM') return new Error(`${file}: permission denied`);
  return new Error(`${file}: ${(err as Error).message}`);
}

/** Absolute paths of the files collectors name relative to procfs or sysfs, joined once. */
class SourcePaths {
  private readonly proc = new Map<string, string>();
  private readonly sys = new Map<string, string>();

  constructor(private readonly paths: HostPaths) {}

  underProc(relative: string): string {
    let path = this.proc.get(relative);
    if (path === undefined) this.proc.set(relative, (path = join(this.paths.procfs, relative)));
    return path;
  }

  underSys(relative: string): string {
    let path = this.sys.get(relative);
    if (path === undefined) this.sys.set(relative, (path = join(this.paths.sysfs, relative)));
    return path;
  }
}

class FileCache implements CollectContext {
  private readonly texts = new Map<string, string | Error>();
  private readonly memos = new Map<string, unknown>();

  constructor(
    readonly paths: HostPaths,
    readonly nowMs: number,
    readonly monoMs: number,
    private readonly files: KeptOpenFileReader,
    private readonly sources: SourcePaths,
  ) {}

  procPath(relative: string): string {
    return this.sources.underProc(relative);
  }

  sysPath(relative: string): string {
    return this.sources.underSys(relative);
  }

  private read(path: string): string | Error {
    let text = this.texts.get(path);
    if (text === undefined) {
      try {
        text = this.files.read(path);
      } catch (err) {
        text = describeReadError(path, err);
      }
      this.texts.set(path, text);
    }
    return text;
  }

  readProc(relative: string): string {
    const text = this.read(this.sources.underProc(relative));
    if (text instanceof Error) throw text;
    return text;
  }

  readSys(relative: string): string {
    const text = this.read(this.sources.underSys(relative));
    if (text instanceof Error) throw text;
    return text;
  }

  readSysOptional(relative: string): string | undefined {
    const text = this.read(this.sources.underSys(relative));
    if (text instanceof Error) {
      if (text.message.endsWith(': not found')) return undefined;
      throw text;
    }
    return text;
  }

  memo<T>(key: string, compute: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const value = compute();
    this.memos.set(key, value);
    return value;
  }
}

/** One shared object for points without attributes (exporters key series by attribute object). */
const NO_ATTRIBUTES: Attributes = Object.freeze({});

/** Collects points by metric; the agent's producers add to a collection's map through one too. */
export class CollectionSink implements PointSink {
  constructor(readonly points = new Map<MetricName, Point[]>()) {}

  add(metric: MetricName, value: number, attributes: Attributes = NO_ATTRIBUTES): void {
    if (!Number.isFinite(value)) return;
    let list = this.points.get(metric);
    if (!list) this.points.set(metric, (list = []));
    list.push({ attributes, value });
  }
}

export interface HostCollectorOptions {
  readonly paths: HostPaths;
  readonly collectors: readonly Collector[];
  readonly log?: Logger;
  readonly clock?: () => number;
}

/** Runs all collectors for one collection and keeps the per-collector error counts. */
export class HostCollection {
  /** Per collector: failures so far, and its sysmon.collector.errors attributes (one object, reused). */
  private readonly errorCounts = new Map<string, { count: number; readonly attributes: Attributes }>();
  private readonly loggedErrors = new Map<string, string>();
  private readonly files = new KeptOpenFileReader();
  private readonly sources: SourcePaths;

  constructor(private readonly options: HostCollectorOptions) {
    this.sources = new SourcePaths(options.paths);
    for (const c of options.collectors) this.errorCounts.set(c.name, { count: 0, attributes: { collector: c.name } });
  }

  get collectors(): readonly Collector[] {
    return this.options.collectors;
  }

  async collect(): Promise<Collection> {
    const nowMs = (this.options.clock ?? Date.now)();
    const ctx = new FileCache(this.options.paths, nowMs, performance.now(), this.files, this.sources);
    const sink = new CollectionSink();
    const errors: CollectorError[] = [];
    for (const collector of this.options.collectors) {
      try {
        const pending = collector.collect(ctx, sink);
        if (pending) await pending;
        if (this.loggedErrors.has(collector.name)) {
          this.loggedErrors.delete(collector.name);
          this.options.log?.info('collector recovered', { collector: collector.name });
        }
      } catch (err) {
        const message = (err as Error).message;
        errors.push({ collector: collector.name, message });
        this.errorCounts.get(collector.name)!.count++;
        // Once per distinct error: a missing file must not flood the log every collection.
        if (this.loggedErrors.get(collector.name) !== message) {
          this.loggedErrors.set(collector.name, message);
          this.options.log?.warn('collector failed', { collector: collector.name, error: message });
        }
      }
    }
    for (const { count, attributes } of this.errorCounts.values()) sink.add('sysmon.collector.errors', count, attributes);
    return { timeMs: nowMs, points: sink.points, errors };
  }

  close(): void {
    for (const c of this.options.collectors) c.close?.();
    this.files.close();
  }
}
