// A build run with dsynth's statistics (DESIGN.md "Build statistics"). Pure: every method takes
// the time, so tests drive it with a fake clock.
//
// - A run starts with the first queued or started build and ends `idleTimeoutMs` after nothing is
//   queued or running; its figures stay visible until the next run starts.
// - rate = (built + failed) * 3600 / seconds since the start, in whole packages/hour truncated once as
//   dsynth's integer arithmetic does (runstats.c: 0 until t > 20 s).
// - impulse = builds per hour over the last 10 minutes, from 600 one-second slots of the
//   cumulative count (before 10 minutes have passed: over the whole run, like dsynth), truncated once
//   the same way; dsynth computes it from t = 20 s on (t < 20 gives 0), one second before the rate.
// - ignored and skipped count in neither; remaining = total - (built + failed + ignored + skipped).
import type { FinishedStatus } from '../store/builds.js';

const WINDOW_S = 600;
const WARMUP_S = 20;

export interface RunView {
  /** True while the run has not ended (builds pending or within the idle timeout). */
  readonly active: boolean;
  readonly startedMs: number | undefined;
  readonly elapsedSeconds: number;
  /** Builds that joined the run (dsynth "Total", summary.json "queued"). */
  readonly total: number;
  readonly built: number;
  readonly failed: number;
  readonly ignored: number;
  readonly skipped: number;
  readonly remaining: number;
  /** Builds waiting to start. */
  readonly waiting: number;
  /** Builds running now. */
  readonly running: number;
  /** Whole builds per hour since the run started (dsynth Pkg/hour). */
  readonly rate: number;
  /** Whole builds per hour over the last 10 minutes (dsynth Impulse). */
  readonly impulse: number;
}

type Pending = 'queued' | 'running';

export class BuildRun {
  private startMs: number | undefined;
  private endMs: number | undefined;
  private idleSinceMs: number | undefined;
  private readonly pending = new Map<string, Pending>();
  private total = 0;
  private readonly done = { success: 0, failed: 0, ignored: 0, skipped: 0 };
  /** Cumulative built + failed at the end of each second since the start (ring of WINDOW_S + 1). */
  private readonly history = new Float64Array(WINDOW_S + 1);
  private lastSecond = 0;
  private runs = 0;

  constructor(private readonly idleTimeoutMs: number) {}

  queued(id: string, nowMs: number): void {
    this.join(id, nowMs);
    this.pending.set(id, 'queued');
  }

  started(id: string, nowMs: number): void {
    this.join(id, nowMs);
    this.pending.set(id, 'running');
  }

  finished(id: string, status: FinishedStatus, nowMs: number): void {
    this.join(id, nowMs);
    this.pending.delete(id);
    this.advance(nowMs);
    this.done[status] += 1;
    if (status === 'success' || status === 'failed') this.history[this.lastSecond % this.history.length] = this.completions();
    if (this.pending.size === 0) this.idleSinceMs = nowMs;
  }

  view(nowMs: number): RunView {
    this.checkEnd(nowMs);
    const start = this.startMs;
    const elapsedS = start === undefined ? 0 : Math.max(0, Math.floor(((this.endMs ?? nowMs) - start) / 1000));
    if (start !== undefined && this.endMs === undefined) this.advance(nowMs);
    const completions = this.completions();
    // Integer division, as runstats.c (int counts, time_t seconds): one truncation, no rounding.
    const rate = elapsedS > WARMUP_S ? Math.floor((completions * 3600) / elapsedS) : 0;
    let impulse = 0;
    if (elapsedS >= WARMUP_S) {
      const window = Math.min(elapsedS, WINDOW_S);
      const before = elapsedS >= WINDOW_S ? this.history[(elapsedS - WINDOW_S) % this.history.length] : 0;
      impulse = Math.floor(((completions - before) * 3600) / window);
    }
    const finished = this.done.success + this.done.failed + this.done.ignored + this.done.skipped;
    let running = 0;
    for (const s of this.pending.values()) if (s === 'running') running += 1;
    return {
      active: start !== undefined && this.endMs === undefined,
      startedMs: start,
      elapsedSeconds: elapsedS,
      total: this.total,
      built: this.done.success,
      failed: this.done.failed,
      ignored: this.done.ignored,
      skipped: this.done.skipped,
      remaining: this.total - finished,
      waiting: this.pending.size - running,
      running,
      rate,
      impulse,
    };
  }

  private completions(): number {
    return this.done.success + this.done.failed;
  }

  private join(id: string, nowMs: number): void {
    this.checkEnd(nowMs);
    if (this.startMs === undefined || this.endMs !== undefined) this.begin(nowMs);
    this.idleSinceMs = undefined;
    if (!this.pending.has(id)) this.total += 1;
  }

  /** How many runs have started (a new one restarts dsynth's slow start). */
  get runNumber(): number {
    return this.runs;
  }

  private begin(nowMs: number): void {
    this.runs += 1;
    this.startMs = nowMs;
    this.endMs = undefined;
    this.pending.clear();
    this.total = 0;
    this.done.success = this.done.failed = this.done.ignored = this.done.skipped = 0;
    this.history.fill(0);
    this.lastSecond = 0;
  }

  private checkEnd(nowMs: number): void {
    if (this.startMs === undefined || this.endMs !== undefined) return;
    if (this.pending.size === 0 && this.idleSinceMs !== undefined && nowMs - this.idleSinceMs >= this.idleTimeoutMs) {
      this.endMs = this.idleSinceMs;
    }
  }

  /** Carries the cumulative count forward through the seconds that passed without completions. */
  private advance(nowMs: number): void {
    const second = Math.max(0, Math.floor((nowMs - this.startMs!) / 1000));
    if (second <= this.lastSecond) return;
    const value = this.completions();
    const from = Math.max(this.lastSecond + 1, second - this.history.length + 1);
    for (let s = from; s <= second; s++) this.history[s % this.history.length] = value;
    this.lastSecond = second;
  }
}
