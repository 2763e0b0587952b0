// The durable export spool: serialized OTLP requests in the agent's store, a DurableQueue over table
// export_spool (one partition, replayed in export order). This view speaks the exporter's terms:
// requests rather than entries, and trims counted by the drop reasons of sysmon.export.dropped.
import { DurableQueue, type QueueBounds, type QueueEntry } from '../store/durable-queue.js';
import type { Db } from '../store/store.js';

export type SpoolEntry = Pick<QueueEntry, 'id' | 'createdAt' | 'body'>;

export interface SpoolSize {
  readonly requests: number;
  readonly bytes: number;
}

export type SpoolBounds = QueueBounds;

/** Requests removed by trim(), by the bound that removed them. */
export interface Trimmed {
  readonly spool_bytes: number;
  readonly spool_age: number;
}

export class Spool {
  private readonly queue: DurableQueue;

  constructor(db: Db) {
    this.queue = new DurableQueue(db, 'export_spool');
  }

  get size(): SpoolSize {
    const { entries, bytes } = this.queue.totals;
    return { requests: entries, bytes };
  }

  get empty(): boolean {
    return this.queue.empty;
  }

  /** Persists a request (committed before it returns: it survives kill -9); returns its id. */
  push(body: Uint8Array, createdAt: number): number {
    return this.queue.push({ body, createdAt })[0];
  }

  /** The request exported first (replay order). */
  oldest(): SpoolEntry | undefined {
    return this.queue.oldest();
  }

  get(id: number): SpoolEntry | undefined {
    return this.queue.get(id);
  }

  /** Removes a delivered (or given up) request; a no-op when it is already gone. */
  remove(id: number): void {
    this.queue.remove([id]);
  }

  /** Applies the bounds (age first, then the oldest beyond maxBytes), never removing `keep` (in flight). */
  trim(bounds: SpoolBounds, now: number, keep = -1): Trimmed {
    const trimmed = this.queue.trim(bounds, now, keep);
    return { spool_bytes: trimmed.bytes.entries, spool_age: trimmed.age.entries };
  }
}
