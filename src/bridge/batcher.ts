// The direct path: while Proton answers and nothing is spooled, exports go straight to Proton, and the
// rows of exports that arrive while inserts are in flight are gathered (up to --batch-rows per insert)
// and inserted together when one finishes: group commit, so an idle Proton adds no waiting and a busy
// one gets bigger batches. Each export is acknowledged once Proton took its rows. If Proton fails, those rows go to the durable spool before the
// acknowledgement, and the sender's retry loop takes over. Either way an acknowledged row is in Proton
// or in the spool; SQLite is only written when it has to be.
import { type ProtonClient, ProtonError } from './proton-client.js';
import type { StreamRows } from './rows.js';
import type { ProtonSender } from './sender.js';
import type { BridgeSpool } from './spool.js';
import { STREAMS, type StreamName } from './streams.js';

export interface BatcherOptions {
  readonly client: ProtonClient;
  readonly spool: BridgeSpool;
  readonly sender: ProtonSender;
  readonly batchRows: number;
  /** Inserts in flight at once on the direct path. */
  readonly maxInFlight?: number;
}

interface Pending {
  readonly parts: Map<StreamName, { texts: string[]; rows: number }>;
  rows: number;
  readonly waiters: { resolve: () => void; reject: (err: Error) => void }[];
}

export class ExportBatcher {
  private current: Pending | undefined;
  /** Full batches waiting for a free insert slot. */
  private readonly ready: Pending[] = [];
  private inFlight = 0;
  private readonly flights = new Set<Promise<void>>();
  private readonly maxInFlight: number;

  constructor(private readonly o: BatcherOptions) {
    this.maxInFlight = o.maxInFlight ?? 2;
  }

  /** Resolves once the rows are in Proton or in the spool; rejects (SpoolFullError) when neither. */
  accept(batches: readonly StreamRows[]): Promise<void> {
    let rows = 0;
    for (const b of batches) rows += b.count;
    if (rows === 0) return Promise.resolve();
    if (!this.o.sender.direct) {
      this.o.spool.append(batches);
      this.o.sender.notify(rows);
      return Promise.resolve();
    }
    const pending: Pending = (this.current ??= { parts: new Map(), rows: 0, waiters: [] });
    for (const b of batches) {
      const p = pending.parts.get(b.stream);
      if (p) {
        p.texts.push(b.text);
        p.rows += b.count;
      } else pending.parts.set(b.stream, { texts: [b.text], rows: b.count });
    }
    pending.rows += rows;
    const done = new Promise<void>((resolve, reject) => pending.waiters.push({ resolve, reject }));
    if (pending.rows >= this.o.batchRows) {
      this.ready.push(pending);
      this.current = undefined;
    }
    this.maybeFlush();
    return done;
  }

  /** Sends what is gathered and waits for every insert in flight. */
  async flushAll(): Promise<void> {
    while (this.current || this.ready.length > 0 || this.flights.size > 0) {
      this.maybeFlush();
      await Promise.all([...this.flights]);
    }
  }

  private maybeFlush(): void {
    if (this.inFlight >= this.maxInFlight) return;
    const batch = this.ready.shift() ?? this.current;
    if (!batch) return;
    if (batch === this.current) this.current = undefined;
    const flight = this.flush(batch).finally(() => {
      this.flights.delete(flight);
      this.inFlight--;
      this.maybeFlush();
    });
    this.inFlight++;
    this.flights.add(flight);
  }

  private async flush(batch: Pending): Promise<void> {
    const failed: StreamRows[] = [];
    let error: ProtonError | undefined;
    try {
      await Promise.all(
        [...batch.parts].map(async ([stream, { texts, rows }]) => {
          try {
            await this.o.client.ingest(stream, STREAMS[stream], texts);
            this.o.sender.deliveredDirect(rows);
          } catch (err) {
            if (!(err instanceof ProtonError)) throw err;
            error ??= err;
            failed.push({ stream, text: texts.join(','), count: rows });
          }
        }),
      );
      if (error) {
        // Into the spool before the acknowledgement; SpoolFullError refuses the exports instead.
        this.o.spool.append(failed);
        this.o.sender.failedDirect(error);
        this.o.sender.notify(failed.reduce((n, f) => n + f.count, 0));
      }
    } catch (err) {
      for (const w of batch.waiters) w.reject(err as Error);
      return;
    }
    for (const w of batch.waiters) w.resolve();
  }
}
