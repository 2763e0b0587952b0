// Checkpoints (copying the write-ahead log into the database file and syncing it) take tens of
// milliseconds on a slow disk, up to 175 ms on this VM. Run by the writing connection, as SQLite does by
// default, they stall the event loop and with it every API request: p99 160 ms at 5,000 telemetry
// POSTs/s, against 6 ms with no checkpoints. So a worker thread with its own connection checkpoints
// instead, PASSIVE (it never blocks the writer). The writer's own automatic checkpoint stays only as a
// backstop for a log the worker cannot keep up with.
import { type FSWatcher, watch } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './store.js';

/**
 * The writer checkpoints by itself only past this many log pages (64 MiB of 4 KiB pages), which also
 * bounds the log file's size. (No journal_size_limit: cutting the file back after each reset is done by
 * the writer and stalled it up to 15 ms.)
 */
export const BACKSTOP_PAGES = 16_384;

// CommonJS, run with eval: the same code under `node dist/...` and under the test runner's TypeScript.
// The pause between checkpoints adapts: the shortest while the log changes (small checkpoints stall the
// writer least: a 1 s pause let 50-75 ms stalls through, 50 ms none over 6 ms), doubling up to the
// longest while it does not, so an idle agent's worker wakes once a second.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file, { fileMustExist: true });
} catch (err) {
  parentPort.postMessage({ failed: String(err && err.message || err) });
  process.exit(0);
}
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let failed;
let pause = workerData.minMs;
let timer;
let last = { log: 0, checkpointed: 0 };
/** Checkpoints; true when the log changed since the last one (it grew, or a writer reset it). */
const run = () => {
  try {
    const r = checkpoint.get();
    failed = undefined;
    const changed = r.log !== last.log || r.checkpointed !== last.checkpointed;
    last = r;
    if (changed && workerData.report) parentPort.postMessage({ checkpointed: r.checkpointed, log: r.log });
    return changed;
  } catch (err) {
    const message = String(err && err.message || err);
    if (message !== failed) parentPort.postMessage({ error: message });
    failed = message;
    return false;
  }
};
const loop = () => {
  pause = run() ? workerData.minMs : Math.min(pause * 2, workerData.maxMs);
  timer = setTimeout(loop, pause);
};
timer = setTimeout(loop, pause);
parentPort.on('message', (m) => {
  if (m === 'stop') {
    clearTimeout(timer);
    run();
    db.close();
    parentPort.postMessage({ stopped: true });
  }
});
parentPort.postMessage({ ready: true });
`;

export interface CheckpointerOptions {
  /** The pause between checkpoints while the log changes (50 ms), and the most it backs off to while it does not (1 s). */
  readonly minIntervalMs?: number;
  readonly maxIntervalMs?: number;
  /** Called once per distinct failure of the background checkpoint (the backstop still holds). */
  readonly onError?: (message: string) => void;
  /** Called after a background checkpoint that found the log changed: its size, and how much of it is in the database. */
  readonly onCheckpoint?: (pages: { log: number; checkpointed: number }) => void;
}

export class BackgroundCheckpointer {
  private constructor(
    private readonly worker: Worker,
    private readonly db: Db,
  ) {}

  /** Starts checkpointing `db`'s file from a worker thread. */
  static async start(db: Db, options: CheckpointerOptions = {}): Promise<BackgroundCheckpointer> {
    if (db.memory) throw new Error('an in-memory database has no log to checkpoint');
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        file: db.name,
        minMs: options.minIntervalMs ?? 50,
        maxMs: options.maxIntervalMs ?? 1000,
        report: options.onCheckpoint !== undefined,
      },
    });
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (m: { failed?: string }) => {
        worker.off('error', reject);
        if (m.failed === undefined) resolve();
        else reject(new Error(`background checkpoints: cannot open ${db.name}: ${m.failed}`));
      });
    });
    worker.on('message', (m: { error?: string; log?: number; checkpointed?: number }) => {
      if (m.error !== undefined) options.onError?.(m.error);
      else if (m.log !== undefined) options.onCheckpoint?.({ log: m.log, checkpointed: m.checkpointed ?? 0 });
    });
    worker.on('error', (err) => options.onError?.(err.message));
    // The worker is the agent's helper, never the reason it stays alive.
    worker.unref();
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    return new BackgroundCheckpointer(worker, db);
  }

  /** Runs a last checkpoint, closes the worker's connection and hands checkpoints back to the writer. */
  async stop(): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      const done = (m: { stopped?: boolean }) => {
        if (!m.stopped) return;
        this.worker.off('message', done);
        resolve();
      };
      this.worker.on('message', done);
      this.worker.once('exit', () => resolve());
    });
    // Held (ref'd) until it answers, or a shutdown with nothing else pending would exit mid-wait.
    this.worker.ref();
    this.worker.postMessage('stop');
    await stopped;
    await this.worker.terminate();
    if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
  }
}

export interface OnDemandOptions {
  /** How often writes are counted (an unref'd timer; 10 s, the default collection interval). */
  readonly checkEveryMs?: number;
  /** Rows written per second, over at least a second, that start the worker (fewer: the writer checkpoints them itself). */
  readonly burstRowsPerSecond?: number;
  /** Without the worker, the writer checkpoints once this many rows were written since its last checkpoint... */
  readonly trickleRows?: number;
  /** ...and hands over to the worker from this many on (a checkpoint that large would stall it). */
  readonly trickleMaxRows?: number;
  /** The worker stops after writes stayed below burstRowsPerSecond for this long. */
  readonly idleExitMs?: number;
  /** Start with the worker running (the agent: its start and what follows are write-heavy). */
  readonly startWorker?: boolean;
  readonly onError?: (message: string) => void;
}

/**
 * The worker thread only while writes come fast. Its isolate costs 10 MB of RSS and it wakes every
 * second to find an idle log unchanged; an idle agent writes a few history rows per collection, one
 * replaying its spool after a collector outage a few hundred a second (below burstRowsPerSecond). So
 * the rows written are counted (SQLite's total_changes()) every `checkEveryMs`, and, while no worker
 * runs, at most once a second when the log file changes (fs.watch: a burst is seen within a second or
 * two, with no timer faster than the collection interval). A burst starts the worker, which stops
 * again after `idleExitMs` below the burst rate. (A burst that finds no worker grows the log for the
 * second or two until it runs; its first checkpoint is then a large one.) A trickle is
 * checkpointed by the writer itself, PASSIVE, every `trickleRows` rows (each checkpoint syncs the
 * database file: 5-20 ms on this VM, so not at every check). Between checks (and without the
 * worker) the writer's automatic checkpoint stays at the backstop, so a burst never stalls the writer
 * before the worker has started.
 */
export class OnDemandCheckpoints {
  private worker: BackgroundCheckpointer | undefined;
  private starting: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly totalChanges: { get(): unknown };
  private readonly checkpoint: { get(): unknown };
  private lastChanges: number;
  private lastCheckAt = Date.now();
  private watcher: FSWatcher | undefined;
  private uncheckpointedRows = 0;
  private lastBusyAt = 0;
  private stopped = false;
  private failed = false;

  constructor(
    private readonly db: Db,
    private readonly options: OnDemandOptions = {},
  ) {
    this.totalChanges = db.prepare('SELECT total_changes()').pluck();
    this.checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    this.lastChanges = this.changes();
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    this.timer = setInterval(() => this.check(), options.checkEveryMs ?? 10_000).unref();
    if (options.startWorker) this.startWorker();
    else this.watchLog();
  }

  private watchLog(): void {
    if (this.watcher || this.db.memory) return;
    try {
      this.watcher = watch(`${this.db.name}-wal`, { persistent: false }, () => {
        if (Date.now() - this.lastCheckAt >= 1000) this.check(false);
      });
      this.watcher.on('error', () => this.unwatchLog());
    } catch {
      // No log file or no file watching here: the periodic check remains.
    }
  }

  private unwatchLog(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** True while the worker thread runs. */
  get workerRunning(): boolean {
    return this.worker !== undefined;
  }

  private changes(): number {
    return Number(this.totalChanges.get());
  }

  /**
   * One check: start the worker on a burst, stop it when idle, or checkpoint a trickle here. Checks
   * prompted by the log changing only look for a burst: a checkpoint here, as a burst begins, would
   * stall the writer just then.
   */
  check(periodic = true): void {
    if (this.stopped || this.starting) return;
    const now = Date.now();
    const changes = this.changes();
    const written = changes - this.lastChanges;
    const perSecond = (written * 1000) / Math.max(1000, now - this.lastCheckAt);
    this.lastChanges = changes;
    this.lastCheckAt = now;
    const burst = perSecond >= (this.options.burstRowsPerSecond ?? 500);
    if (this.worker) {
      if (burst) this.lastBusyAt = now;
      if (now - this.lastBusyAt >= (this.options.idleExitMs ?? 60_000)) void this.stopWorker();
      return;
    }
    this.uncheckpointedRows += written;
    const manyRows = periodic && this.uncheckpointedRows >= (this.options.trickleMaxRows ?? 2000);
    if ((burst || manyRows) && !this.failed) {
      this.uncheckpointedRows = 0;
      this.startWorker();
    } else if (periodic && this.uncheckpointedRows >= (this.options.trickleRows ?? 100)) {
      this.uncheckpointedRows = 0;
      try {
        this.checkpoint.get();
      } catch (err) {
        this.options.onError?.((err as Error).message);
      }
    }
  }

  private startWorker(): void {
    this.unwatchLog();
    this.lastBusyAt = Date.now();
    this.starting = BackgroundCheckpointer.start(this.db, { onError: this.options.onError })
      .then(async (worker) => {
        if (this.stopped) await worker.stop();
        else this.worker = worker;
      })
      .catch((err: Error) => {
        // Once: the writer keeps checkpointing small logs itself, the backstop bounds the rest.
        this.failed = true;
        this.options.onError?.(`cannot start the checkpoint worker: ${err.message}`);
        if (!this.stopped) this.watchLog();
      })
      .finally(() => {
        this.starting = undefined;
        if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
      });
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.stop();
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    if (!this.stopped && this.db.open) this.watchLog();
  }

  /** Stops checking and the worker (after its last checkpoint); the writer checkpoints by itself again. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unwatchLog();
    await this.starting;
    await this.stopWorker();
    if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
  }
}
