// Moves spooled rows into Proton: batches by size (--batch-rows) and time (--batch-delay), oldest first
// per stream; retries while Proton is unreachable or answers 5xx, backing off exponentially with jitter
// as the agent's exporter does (the Breaker of delivery-breaker.ts, here with a 200 ms first step and a
// 30 s cap: a gateway may wait longer between tries than an agent with one collector); isolates a
// batch Proton refuses as bad data (4xx) record by record, and sets aside only the records it still
// refuses (dead letter, logged). Nothing leaves the spool before Proton has accepted it.
// It also tells the direct path (batcher.ts) when writing straight to Proton is fine: streams ready,
// no backlog, no failure pending.
import type { Logger } from '../log.js';
import { Breaker } from '../telemetry/delivery-breaker.js';
import { type ProtonClient, ProtonError } from './proton-client.js';
import type { BridgeSpool, SpoolRecord } from './spool.js';
import { STREAMS, type StreamName } from './streams.js';

export interface SenderOptions {
  readonly spool: BridgeSpool;
  readonly client: ProtonClient;
  readonly log: Logger;
  readonly batchRows: number;
  readonly batchDelayMs: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** Spooled rows older than this are deleted (logged as an error with their count). */
  readonly maxAgeMs: number;
}

export interface SenderStats {
  readonly sentRows: number;
  readonly sentRequests: number;
  readonly failedRequests: number;
  readonly deadRecords: number;
  readonly expiredRows: number;
}

export class ProtonSender {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private pendingRows = 0;
  private lastError = '';
  private readonly stats_ = { sentRows: 0, sentRequests: 0, failedRequests: 0, deadRecords: 0, expiredRows: 0 };
  private readonly breaker: Breaker;
  private gate: Promise<void> = Promise.resolve();
  private ready = false;
  private stopSignal: () => void = () => {};
  private lastExpire = 0;

  constructor(private readonly o: SenderOptions) {
    this.breaker = new Breaker({ initialDelayMs: o.backoffInitialMs ?? 200, maxDelayMs: o.backoffMaxMs ?? 30_000 });
  }

  get stats(): SenderStats {
    return { ...this.stats_ };
  }

  /** Sending waits for this (the stream DDL) before the first batch. */
  waitFor(gate: Promise<void>): void {
    this.gate = gate;
  }

  /** True when exports may go straight to Proton (no backlog to keep them behind, Proton answering). */
  get direct(): boolean {
    return this.running && this.ready && this.breaker.closed && this.o.spool.pendingBytes === 0;
  }

  /** The direct path delivered rows. */
  deliveredDirect(rows: number): void {
    this.stats_.sentRows += rows;
    this.stats_.sentRequests++;
  }

  /** The direct path failed; its rows went to the spool and this loop takes over. */
  failedDirect(err: ProtonError): void {
    this.stats_.failedRequests++;
    if (err.retryable) this.failed(err);
  }

  /** New rows were spooled. */
  notify(rows: number): void {
    this.pendingRows += rows;
    this.wake?.();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.pendingRows = this.o.spool.stats().rows;
    const stopped = new Promise<void>((resolve) => (this.stopSignal = resolve));
    this.loop = this.run(stopped);
  }

  /** Stops after the request in flight; what is not sent stays in the spool. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopSignal();
    this.wake?.();
    await this.loop;
  }

  /** Waits (bounded) until the spool is empty; true when it is. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.o.spool.stats().records > 0) {
      if (Date.now() >= deadline || !this.running) return false;
      await sleep(Math.min(20, Math.max(1, deadline - Date.now())));
    }
    return true;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(stopped: Promise<void>): Promise<void> {
    try {
      await Promise.race([this.gate, stopped]);
    } catch {
      // the gate's owner reports its failure and stops the bridge
      return;
    }
    this.ready = true;
    while (this.running) {
      this.expire();
      const streams = this.o.spool.pendingStreams();
      if (streams.length === 0) {
        this.pendingRows = 0;
        await this.sleep(60_000);
        continue;
      }
      // Time batching: a small backlog waits up to batchDelay for more rows; a full batch goes now.
      if (this.pendingRows < this.o.batchRows && this.breaker.closed) {
        const oldest = this.oldestAge(streams);
        if (oldest < this.o.batchDelayMs) {
          await this.sleep(this.o.batchDelayMs - oldest);
          if (!this.running) break;
        }
      }
      let ok = true;
      for (const stream of streams) {
        if (!this.running) break;
        ok = (await this.sendOldest(stream)) && ok;
      }
      if (!ok) await this.sleep(Math.max(0, this.breaker.nextAttemptAt - Date.now()));
    }
  }

  private oldestAge(streams: StreamName[]): number {
    let oldest = Date.now();
    for (const s of streams) {
      const [first] = this.o.spool.oldest(s, 1);
      if (first) oldest = Math.min(oldest, first.createdAt);
    }
    return Date.now() - oldest;
  }

  private expire(): void {
    // A scan of the spool: at most every 10 s.
    if (Date.now() - this.lastExpire < 10_000) return;
    this.lastExpire = Date.now();
    const gone = this.o.spool.expire(Date.now() - this.o.maxAgeMs);
    if (gone.records > 0) {
      this.stats_.expiredRows += gone.rows;
      this.o.log.error('spooled rows older than the spool age limit were deleted', { rows: gone.rows, records: gone.records });
    }
  }

  /** Sends one batch of a stream; false when Proton could not be reached (retry later). */
  private async sendOldest(stream: StreamName): Promise<boolean> {
    const records = this.o.spool.oldest(stream, this.o.batchRows);
    if (records.length === 0) return true;
    try {
      await this.send(stream, records);
      return true;
    } catch (err) {
      if (!(err instanceof ProtonError)) throw err;
      if (err.retryable) {
        this.failed(err);
        return false;
      }
      return this.isolate(stream, records, err);
    }
  }

  private async send(stream: StreamName, records: SpoolRecord[]): Promise<void> {
    try {
      await this.o.client.ingest(stream, STREAMS[stream], records.map((r) => r.text));
    } catch (err) {
      this.stats_.failedRequests++;
      throw err;
    }
    this.o.spool.remove(records.map((r) => r.id));
    let rows = 0;
    for (const r of records) rows += r.rows;
    this.stats_.sentRows += rows;
    this.stats_.sentRequests++;
    this.pendingRows = Math.max(0, this.pendingRows - rows);
    if (!this.breaker.closed) {
      this.o.log.info('Proton accepts rows again', { after_failures: this.breaker.failureCount, stream });
      this.breaker.succeeded();
      this.lastError = '';
    }
  }

  /** Proton refused a batch as bad data: find the records it refuses on their own and set those aside. */
  private async isolate(stream: StreamName, records: SpoolRecord[], err: ProtonError): Promise<boolean> {
    if (records.length === 1) {
      this.o.spool.deadLetter(records[0], err.message);
      this.stats_.deadRecords++;
      this.o.log.error('Proton refused rows as invalid; kept in the spool dead_letter table', {
        stream,
        rows: records[0].rows,
        status: err.status,
        reason: err.message,
      });
      return true;
    }
    for (const r of records) {
      if (!this.running) return true;
      try {
        await this.send(stream, [r]);
      } catch (e) {
        if (!(e instanceof ProtonError)) throw e;
        if (e.retryable) {
          this.failed(e);
          return false;
        }
        await this.isolate(stream, [r], e);
      }
    }
    return true;
  }

  private failed(err: ProtonError): void {
    this.breaker.failed(Date.now());
    // One log line per distinct failure, not one per retry.
    if (err.reason !== this.lastError) {
      this.o.log.warn('cannot deliver rows to Proton; they stay spooled and are retried', { reason: err.reason });
      this.lastError = err.reason;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
