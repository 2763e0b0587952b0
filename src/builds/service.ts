// The build tracker: applies validated requests to the store and the current run, keeps the
// dynamic max-workers hint up to date from host collections, and answers /api/stats.
import { randomBytes } from 'node:crypto';
import type { Collection } from '../collectors/types.js';
import { type Build, BuildRepo, type Finish, type Snapshot } from '../store/builds.js';
import { DynamicMaxWorkers } from './dynmax.js';
import { adjustedLoad, type HostFigures, hostFigures } from './host-figures.js';
import { PipelineNames } from './pipeline-names.js';
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
  /** Deprecated alias of totalCpuSeconds under seed 000's name (its "CPU cycles" are CPU-seconds). */
  readonly totalCpuCycles: number;
  readonly queued: number;
  readonly built: number;
  readonly failed: number;
  readonly ignored: number;
  readonly skipped: number;
  readonly remaining: number;
  /** Whole builds per hour since the run started (dsynth Pkg/hour). */
  readonly rate: number;
  /** Whole builds per hour over the last 10 minutes (dsynth Impulse). */
  readonly impulse: number;
  readonly activeWorkers: number;
  readonly maxWorkers: number;
  readonly dynMaxWorkers: number;
  readonly elapsedSeconds: number;
  /** Builds waiting to start in the current run. */
  readonly waiting: number;
  readonly runActive: boolean;
  readonly runStartedAt: string | null;
  /** The 1-minute load average as dsynth shows it (raw); null before the first collection. */
  readonly load: number | null;
  /** The adjusted load the dynamic max-workers limit uses (adjustedLoad1); null before the first collection. */
  readonly adjustedLoad: number | null;
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
  /** Distinct build names reported as cicd.pipeline.name before `_other` (default 100). */
  readonly pipelineNameLimit?: number;
  readonly now?: () => number;
  /** Called after every start and finish (duration histogram). */
  readonly onChanged?: (build: Build) => void;
  /** Called after a build is created or started: a run is active from then on (monitor files). */
  readonly onJoined?: () => void;
}

/** Builds of one name waiting (pending) and running (executing) now. */
export interface ActiveCounts {
  pending: number;
  executing: number;
}

export class BuildService {
  readonly run: BuildRun;
  readonly dynMax: DynamicMaxWorkers;
  readonly pipelineNames: PipelineNames;
  /** Name and state of every queued or running build. */
  private readonly active = new Map<string, { readonly name: string; state: keyof ActiveCounts }>();
  private readonly limiter = new SnapshotLimiter();
  private readonly pending: PendingSnapshot[] = [];
  private flushScheduled = false;
  private host: HostFigures = {};
  /** The run whose slow start the hint is on. */
  private dynMaxRun = 0;
  private changes = 0;
  private readonly now: () => number;

  constructor(
    readonly repo: BuildRepo,
    private readonly options: BuildServiceOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.run = new BuildRun(options.runIdleTimeoutMs);
    this.dynMax = new DynamicMaxWorkers(options.maxWorkers, options.memoryTargetBytes);
    this.pipelineNames = new PipelineNames(options.pipelineNameLimit ?? 100);
    // Builds left pending by a previous agent process join the first run.
    const now = this.now();
    for (const b of repo.withStatus('queued', 100_000)) {
      this.run.queued(b.id, now);
      this.active.set(b.id, { name: b.name, state: 'pending' });
    }
    for (const b of repo.withStatus('running', 100_000)) {
      this.run.started(b.id, now);
      this.active.set(b.id, { name: b.name, state: 'executing' });
    }
  }

  /**
   * Counts what changes the builds' figures here (builds created, started or finished, snapshots
   * stored). The same revision, no run active and the store's totals unchanged (BuildRepo.cachedTotals)
   * mean the same stats() but for the host's load and swap (hostStats).
   */
  get revision(): number {
    return this.changes;
  }

  /** Queued and running builds per build name. */
  activeByName(): Map<string, ActiveCounts> {
    const out = new Map<string, ActiveCounts>();
    for (const { name, state } of this.active.values()) {
      let counts = out.get(name);
      if (!counts) out.set(name, (counts = { pending: 0, executing: 0 }));
      counts[state] += 1;
    }
    return out;
  }

  create(input: CreateBuildInput): Build {
    const now = this.now();
    const id = input.id ?? `b-${now.toString(36)}-${randomBytes(6).toString('hex')}`;
    const build = this.repo.create({ id, name: input.name, workerId: input.worker_id }, now);
    this.changes++;
    this.run.queued(build.id, now);
    this.active.set(build.id, { name: build.name, state: 'pending' });
    this.options.onJoined?.();
    return build;
  }

  start(id: string): Build {
    const now = this.now();
    const build = this.repo.start(id, now);
    this.changes++;
    this.run.started(id, now);
    this.active.set(id, { name: build.name, state: 'executing' });
    this.options.onChanged?.(build);
    this.options.onJoined?.();
    return build;
  }

  finish(id: string, finish: Finish): Build {
    this.flushSnapshots();
    const now = this.now();
    const build = this.repo.finish(id, finish, now);
    this.changes++;
    this.run.finished(id, finish.status, now);
    this.active.delete(id);
    this.options.onChanged?.(build);
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
    this.changes++;
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

  /** Takes the host figures (load, tasks, swap, memory) of the agent's latest collection. */
  observeHost(collection: Collection | undefined): void {
    this.host = hostFigures(collection);
    this.tickDynMax();
  }

  /**
   * Evaluates the dynamic max-workers hint on its own cadence, as build.c's waitbuild() does while builds
   * wait: called every second, it evaluates at most every 5 s and only while builds are queued or running.
   * A new run restarts the slow start.
   */
  tickDynMax(): void {
    const now = this.now();
    const run = this.run.view(now);
    if (this.run.runNumber !== this.dynMaxRun) {
      this.dynMaxRun = this.run.runNumber;
      this.dynMax.restartSlowStart();
    }
    if (run.running === 0 && run.waiting === 0) return;
    let runningMb = 0;
    if (run.running > 0) for (const b of this.repo.withStatus('running')) runningMb += b.lastMemoryMb ?? 0;
    const { cpus, swapUsedFraction, memoryLimitBytes } = this.host;
    this.dynMax.evaluate(
      { load: adjustedLoad(this.host), cpus, swapUsedFraction, memoryLimitBytes, runningMemoryBytes: runningMb * MB, running: run.running },
      now,
    );
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
    return {
      totalBuildTimeMs: t.buildTimeMs,
      totalCpuSeconds: t.cpuSeconds,
      totalCpuCycles: t.cpuSeconds,
      queued: run.total,
      built: run.built,
      failed: run.failed,
      ignored: run.ignored,
      skipped: run.skipped,
      remaining: run.remaining,
      rate: run.rate,
      impulse: run.impulse,
      activeWorkers: run.running,
      maxWorkers: this.dynMax.max,
      dynMaxWorkers: this.dynMax.value,
      elapsedSeconds: run.elapsedSeconds,
      waiting: run.waiting,
      runActive: run.active,
      runStartedAt: run.startedMs === undefined ? null : new Date(run.startedMs).toISOString(),
      ...hostStats(this.host),
      allTime: { created: t.created, built: t.success, failed: t.failed, ignored: t.ignored, skipped: t.skipped },
    };
  }
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The host's part of StatsView: load, dsynth's adjusted load and swap, from the latest collection. */
export function hostStats(h: HostFigures): Pick<StatsView, 'load' | 'adjustedLoad' | 'swapPercent'> {
  const adjusted = adjustedLoad(h);
  return {
    load: h.load1 ?? null,
    adjustedLoad: adjusted === undefined ? null : round2(adjusted),
    swapPercent: h.swapUsedFraction === undefined ? null : h.swapUsedFraction * 100,
  };
}
