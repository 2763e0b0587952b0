// The build tracker: applies validated requests to the store and the current run, keeps the
// dynamic max-workers hint up to date from host collections, and answers /api/stats.
import { randomBytes } from 'node:crypto';
import type { Collection } from '../collectors/types.js';
import { type Build, BuildRepo, type Finish, type Snapshot } from '../store/builds.js';
import { DynamicMaxWorkers } from './dynmax.js';
import { adjustedLoad, type HostFigures, hostFigures } from './host-figures.js';
import { SnapshotLimiter } from './rate-limit.js';
import { BuildRun, type RunView } from './run.js';
import type { CreateBuildInput } from './schemas.js';

const MB = 1024 * 1024;

interface PendingSnapshot {
  readonly id: string;
  readonly snapshot: Snapshot;
  readonly senderKey: string;
  readonly previous: number | undefined;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export interface StatsView {
  readonly totalBuildTimeMs: number;
  readonly totalCpuSeconds: number;
  readonly queued: number;
  readonly built: number;
  readonly failed: number;
  readonly ignored: number;
  readonly skipped: number;
  readonly remaining: number;
  readonly rate: number;
  readonly impulse: number;
  readonly activeWorkers: number;
  readonly maxWorkers: number;
  readonly dynMaxWorkers: number;
  readonly elapsedSeconds: number;
  /** Builds waiting to start in the current run. */
  readonly waiting: number;
  readonly runActive: boolean;
  readonly runStartedAt: string | null;
  /** dsynth's adjusted load (load1 + blocked tasks); null before the first collection. */
  readonly load: number | null;
  /** Swap used, percent; null without swap. */
  readonly swapPercent: number | null;
  /** All-time build counts (the run figures above reset with each run). */
  readonly allTime: {
    readonly created: number;
    readonly built: number;
    readonly failed: number;
    readonly ignored: number;
    readonly skipped: number;
  };
}

export interface BuildServiceOptions {
  readonly maxWorkers: number;
  readonly runIdleTimeoutMs: number;
  /** Running builds' memory target for dynamic max workers (default a third of RAM). */
  readonly memoryTargetBytes?: number;
  readonly now?: () => number;
  /** Called after every finish (duration histogram). */
  readonly onFinished?: (build: Build) => void;
  /** Called after a build is created or started: a run is active from then on (monitor files). */
  readonly onJoined?: () => void;
}

export class BuildService {
  readonly run: BuildRun;
  readonly dynMax: DynamicMaxWorkers;
  private readonly limiter = new SnapshotLimiter();
  private readonly pending: PendingSnapshot[] = [];
  private flushScheduled = false;
  private host: HostFigures = {};
  private readonly now: () => number;

  constructor(
    readonly repo: BuildRepo,
    private readonly options: BuildServiceOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.run = new BuildRun(options.runIdleTimeoutMs);
    this.dynMax = new DynamicMaxWorkers(options.maxWorkers, options.memoryTargetBytes);
    // Builds left pending by a previous agent process join the first run.
    const now = this.now();
    for (const b of repo.withStatus('queued', 100_000)) this.run.queued(b.id, now);
    for (const b of repo.withStatus('running', 100_000)) this.run.started(b.id, now);
  }

  create(input: CreateBuildInput): Build {
    const now = this.now();
    const id = input.id ?? `b-${now.toString(36)}-${randomBytes(6).toString('hex')}`;
    const build = this.repo.create({ id, name: input.name, workerId: input.worker_id }, now);
    this.run.queued(build.id, now);
    this.options.onJoined?.();
    return build;
  }

  start(id: string): Build {
    const now = this.now();
    const build = this.repo.start(id, now);
    this.run.started(id, now);
    this.options.onJoined?.();
    return build;
  }

  finish(id: string, finish: Finish): Build {
    this.flushSnapshots();
    const now = this.now();
    const build = this.repo.finish(id, finish, now);
    this.run.finished(id, finish.status, now);
    this.options.onFinished?.(build);
    return build;
  }

  /** Milliseconds the sender must wait before its next snapshot (0 = may send now). */
  snapshotWaitMs(senderKey: string): number {
    return this.limiter.waitMs(senderKey, this.now());
  }

  /**
   * Queues a snapshot for the next group commit; resolves once it is stored, rejects with the
   * store's 404/409 error. Requests parsed in the same event-loop turn share one transaction.
   */
  addSnapshot(id: string, senderKey: string, timestampMs: number, cpuPercent: number, memoryMb: number): Promise<void> {
    const previous = this.limiter.lastAccepted(senderKey);
    this.limiter.accept(senderKey, this.now());
    return new Promise((resolve, reject) => {
      this.pending.push({ id, snapshot: { timestamp: timestampMs, cpuPercent, memoryMb }, senderKey, previous, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flushSnapshots());
      }
    });
  }

  /** Commits the queued snapshots now (also before a finish, so earlier snapshots land first). */
  flushSnapshots(): void {
    this.flushScheduled = false;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    let results: (Error | undefined)[];
    try {
      results = this.repo.addSnapshots(batch);
    } catch (err) {
      results = batch.map(() => err as Error);
    }
    batch.forEach((entry, i) => {
      const err = results[i];
      if (err) {
        this.limiter.revert(entry.senderKey, entry.previous);
        entry.reject(err);
      } else {
        entry.resolve();
      }
    });
  }

  /** Feeds a host collection into the dynamic max-workers hint. */
  observeHost(collection: Collection | undefined): void {
    this.host = hostFigures(collection);
    let runningMb = 0;
    // Most collections find nothing running: skip the store then (this runs at every collection).
    if (this.run.view(this.now()).running > 0) {
      for (const b of this.repo.withStatus('running')) runningMb += b.lastMemoryMb ?? 0;
    }
    this.dynMax.evaluate({ ...this.host, runningMemoryBytes: runningMb * MB }, this.now());
  }

  get hostFigures(): HostFigures {
    return this.host;
  }

  runView(): RunView {
    return this.run.view(this.now());
  }

  stats(): StatsView {
    const run = this.runView();
    const t = this.repo.totals();
    const load = adjustedLoad(this.host);
    return {
      totalBuildTimeMs: t.buildTimeMs,
      totalCpuSeconds: t.cpuSeconds,
      queued: run.total,
      built: run.built,
      failed: run.failed,
      ignored: run.ignored,
      skipped: run.skipped,
      remaining: run.remaining,
      rate: round1(run.rate),
      impulse: round1(run.impulse),
      activeWorkers: run.running,
      maxWorkers: this.dynMax.max,
      dynMaxWorkers: this.dynMax.value,
      elapsedSeconds: run.elapsedSeconds,
      waiting: run.waiting,
      runActive: run.active,
      runStartedAt: run.startedMs === undefined ? null : new Date(run.startedMs).toISOString(),
      load: load === undefined ? null : round2(load),
      swapPercent: this.host.swapUsedFraction === undefined ? null : round1(this.host.swapUsedFraction * 100),
      allTime: { created: t.created, built: t.success, failed: t.failed, ignored: t.ignored, skipped: t.skipped },
    };
  }
}

/** One decimal, as the API and the build metrics show rate and impulse. */
export const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;
