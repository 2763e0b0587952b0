// The delivery loop behind the durable exporter. At most one request is in flight. While the collector
// accepts and nothing waits, a request goes straight out from memory (no disk write on the happy path);
// otherwise it is committed to the spool first, so memory holds at most the one request being sent
// whatever the collector does. Retryable failures open the breaker and the request joins the spool;
// the spool is replayed oldest first, alternating with the newest export whenever one arrived while
// the collector was accepting (live data is never stuck behind a long backlog, and the backlog is
// never starved by live data). Delivery is at least once: a request leaves the spool only after the
// collector answered it.
import type { Logger } from '../log.js';
import { type BackoffOptions, Breaker } from './delivery-breaker.js';
import type { Spool, SpoolBounds } from './spool.js';
import type { DropReason, ExportStats } from './spool-metrics.js';
import type { SendOutcome, Transport } from './transport.js';

export interface DeliveryOptions {
  readonly transport: Transport;
  readonly spool: Spool;
  readonly bounds: SpoolBounds;
  /** Timeout of one attempt. */
  readonly timeoutMs: number;
  readonly log: Logger;
  readonly stats: ExportStats;
  readonly backoff?: BackoffOptions;
  readonly now?: () => number;
}

interface Outgoing {
  readonly body: Uint8Array;
  readonly createdAt: number;
  /** Its spool row, once it has one (it leaves the spool when the collector answers). */
  spoolId: number | undefined;
  /** Taken from the spool (sysmon.export.sent{replayed=true}). */
  readonly replayed: boolean;
}

/** Bounds-drop warnings are summed up at most this often, so a full spool does not flood the log. */
const DROP_LOG_INTERVAL_MS = 60_000;

type BoundReason = Exclude<DropReason, 'non_retryable'>;

const DROP_MESSAGES: Record<BoundReason, string> = {
  spool_bytes: 'export spool full (--spool-max-bytes): dropped the oldest requests',
  spool_age: 'spooled exports older than --spool-max-age: dropped',
  spool_error: 'cannot write the export spool: dropped exports',
};

/**
 * Remembers the last message so a repeating one is logged once, until something else happens. Numbers
 * do not make a message new: gRPC details carry timings ("Deadline exceeded after 2.004s").
 */
class Repeat {
  private last: string | undefined;
  isNew(message: string): boolean {
    const key = message.replace(/\d+(\.\d+)?/g, '#');
    if (key === this.last) return false;
    this.last = key;
    return true;
  }
  reset(): void {
    this.last = undefined;
  }
}

export class Delivery {
  private readonly breaker: Breaker;
  private readonly now: () => number;
  private current: Outgoing | undefined;
  private inFlight: Promise<void> | undefined;
  /** The newest request spooled while the collector was accepting: sent on the live turn. */
  private liveId: number | undefined;
  private liveTurn = false;
  private timer: NodeJS.Timeout | undefined;
  /** draining: stop() was called and sends what the collector still takes; stopped: a late reply is ignored. */
  private state: 'running' | 'draining' | 'stopped' = 'running';
  private readonly retryNote = new Repeat();
  private readonly rejectNote = new Repeat();
  private readonly partialNote = new Repeat();
  private readonly unloggedDrops = new Map<BoundReason, number>();
  private readonly lastDropLog = new Map<BoundReason, number>();

  constructor(private readonly o: DeliveryOptions) {
    this.breaker = new Breaker(o.backoff);
    this.now = o.now ?? Date.now;
  }

  /** Starts replaying what a previous run left in the spool. */
  start(): void {
    const { requests, bytes } = this.o.spool.size;
    if (requests > 0) this.o.log.info('replaying spooled exports from a previous run', { requests, bytes });
    this.pump();
  }

  /** Takes one serialized request; it is sent now, or committed to the spool before this returns. */
  accept(body: Uint8Array, createdAt: number): void {
    if (this.state !== 'running') throw new Error('export delivery is stopped');
    if (!this.current && this.o.spool.empty && this.breaker.closed) {
      this.send({ body, createdAt, spoolId: undefined, replayed: false });
      return;
    }
    const id = this.persist(body, createdAt);
    // Outage data stays in the backlog, in order; an export taken while the collector accepts is live.
    if (id !== undefined && this.breaker.closed) this.liveId = id;
    this.pump();
  }

  /** Resolves when no request is in flight (the spool may still hold a backlog). */
  async flush(): Promise<void> {
    await this.inFlight;
  }

  /**
   * Stops accepting. A request in flight from memory is committed to the spool first (its reply may
   * never come before the process exits); then, for at most `timeoutMs`, the spool keeps draining
   * while the collector accepts (the final collection goes out on shutdown). The rest stays spooled.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'draining';
    clearTimeout(this.timer);
    this.timer = undefined;
    const out = this.current;
    if (out && out.spoolId === undefined) out.spoolId = this.persist(out.body, out.createdAt);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.inFlight) this.pump();
      const pending = this.inFlight;
      const left = deadline - Date.now();
      if (!pending || left <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([pending, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
    this.state = 'stopped';
    for (const [reason, count] of this.unloggedDrops) {
      if (count > 0) this.o.log.warn(DROP_MESSAGES[reason], { dropped: count });
    }
    this.o.transport.close();
  }

  private persist(body: Uint8Array, createdAt: number): number | undefined {
    let id: number;
    try {
      id = this.o.spool.push(body, createdAt);
    } catch (err) {
      this.dropped('spool_error', 1, (err as Error).message);
      return undefined;
    }
    this.trim();
    return id;
  }

  private trim(): void {
    const trimmed = this.o.spool.trim(this.o.bounds, this.now(), this.current?.spoolId);
    this.dropped('spool_age', trimmed.spool_age);
    this.dropped('spool_bytes', trimmed.spool_bytes);
  }

  private dropped(reason: BoundReason, count: number, error?: string): void {
    if (count === 0) return;
    this.o.stats.drop(reason, count);
    const pending = (this.unloggedDrops.get(reason) ?? 0) + count;
    const now = this.now();
    if (now - (this.lastDropLog.get(reason) ?? -Infinity) < DROP_LOG_INTERVAL_MS) {
      this.unloggedDrops.set(reason, pending);
      return;
    }
    this.unloggedDrops.set(reason, 0);
    this.lastDropLog.set(reason, now);
    const { requests, bytes } = this.o.spool.size;
    this.o.log.warn(DROP_MESSAGES[reason], { dropped: pending, spooled: requests, spooledBytes: bytes, error });
  }

  /** Starts the next send if nothing is in flight, the spool has work and the breaker allows it. */
  private pump(): void {
    if (this.state === 'stopped' || this.current || this.timer) return;
    this.trim();
    if (this.o.spool.empty) return;
    const now = this.now();
    // Draining for shutdown: only while the collector is known to accept, never waiting for a probe.
    if (this.state === 'draining' && !this.breaker.closed) return;
    if (!this.breaker.canSend(now)) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, this.breaker.nextAttemptAt - now).unref();
      return;
    }
    const live = this.liveTurn && this.liveId !== undefined ? this.o.spool.get(this.liveId) : undefined;
    const entry = live ?? this.o.spool.oldest();
    if (!entry) return;
    if (entry.id === this.liveId) this.liveId = undefined;
    // Alternate: after a backlog request the live one (if any) goes next, and the other way round.
    this.liveTurn = live === undefined;
    this.send({ body: entry.body, createdAt: entry.createdAt, spoolId: entry.id, replayed: true });
  }

  private send(out: Outgoing): void {
    this.current = out;
    this.inFlight = this.o.transport
      .send(out.body, this.o.timeoutMs)
      .then((outcome) => {
        this.current = undefined;
        // After stop() gave up waiting the store is closed: a late reply changes nothing.
        if (this.state !== 'stopped') this.settle(out, outcome);
      })
      .finally(() => {
        this.inFlight = undefined;
        // Next request on a fresh stack (a fast collector would otherwise recurse through the backlog).
        if (this.state === 'running') setImmediate(() => this.pump());
      });
  }

  private settle(out: Outgoing, outcome: SendOutcome): void {
    const { log, stats, spool } = this.o;
    switch (outcome.kind) {
      case 'ok': {
        if (out.spoolId !== undefined) spool.remove(out.spoolId);
        if (out.replayed) stats.sentReplayed++;
        else stats.sentLive++;
        if (!this.breaker.closed) log.info('collector accepts exports again', { backlog: spool.size.requests });
        else if (out.replayed && spool.empty) log.info('export spool drained');
        this.breaker.succeeded();
        this.retryNote.reset();
        const partial = outcome.partialSuccess;
        if (partial) {
          stats.rejectedPoints += partial.rejectedDataPoints;
          if (this.partialNote.isNew(partial.errorMessage)) {
            log.warn('collector rejected data points (partial success)', {
              points: partial.rejectedDataPoints,
              message: partial.errorMessage,
            });
          }
        }
        return;
      }
      case 'retry': {
        stats.fail(outcome.reason);
        const delay = this.breaker.failed(this.now(), outcome.retryAfterMs);
        this.liveId = undefined;
        this.o.transport.reset();
        if (out.spoolId === undefined) out.spoolId = this.persist(out.body, out.createdAt);
        if (this.retryNote.isNew(outcome.message)) {
          log.warn('export failed: kept in the spool for retry', {
            reason: outcome.reason,
            error: outcome.message,
            retryIn: `${Math.round(delay)}ms`,
            spooled: spool.size.requests,
          });
        }
        return;
      }
      case 'reject': {
        stats.fail('rejected');
        if (out.spoolId !== undefined) spool.remove(out.spoolId);
        // It answered: the collector is up, only this request is unacceptable.
        this.breaker.succeeded();
        this.retryNote.reset();
        stats.drop('non_retryable');
        if (this.rejectNote.isNew(outcome.message)) {
          log.warn('collector refused an export for good: dropped', { error: outcome.message });
        }
        return;
      }
    }
  }
}
