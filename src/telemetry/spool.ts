// The durable export spool: serialized OTLP requests in the agent's SQLite store (table export_spool,
// migration 2), kept in export order and bounded by total payload bytes and by age. Sizes are kept in
// memory (read once at open) so the bounds and the spool metrics never scan the table.
import type { Db } from '../store/store.js';

export interface SpoolEntry {
  readonly id: number;
  /** ms since the epoch when the request was exported. */
  readonly createdAt: number;
  readonly body: Uint8Array;
}

export interface SpoolSize {
  readonly requests: number;
  readonly bytes: number;
}

export interface SpoolBounds {
  readonly maxBytes: number;
  readonly maxAgeMs: number;
}

/** Requests removed by trim(), by the bound that removed them. */
export interface Trimmed {
  readonly spool_bytes: number;
  readonly spool_age: number;
}

interface Row {
  id: number;
  created_at: number;
  body: Buffer;
}

export class Spool {
  private requests = 0;
  private bytes = 0;
  private readonly stmts;

  constructor(private readonly db: Db) {
    const total = db.prepare('SELECT count(*) AS n, coalesce(sum(length(body)), 0) AS b FROM export_spool').get() as {
      n: number;
      b: number;
    };
    this.requests = total.n;
    this.bytes = total.b;
    this.stmts = {
      insert: db.prepare('INSERT INTO export_spool (created_at, body) VALUES (?, ?)'),
      oldest: db.prepare('SELECT id, created_at, body FROM export_spool ORDER BY created_at, id LIMIT 1'),
      byId: db.prepare('SELECT id, created_at, body FROM export_spool WHERE id = ?'),
      remove: db.prepare('DELETE FROM export_spool WHERE id = ? RETURNING length(body) AS size'),
      oldestSizes: db.prepare('SELECT id, length(body) AS size FROM export_spool WHERE id != ? ORDER BY created_at, id LIMIT 64'),
      expire: db.prepare('DELETE FROM export_spool WHERE created_at < ? AND id != ? RETURNING length(body) AS size'),
    };
  }

  get size(): SpoolSize {
    return { requests: this.requests, bytes: this.bytes };
  }

  get empty(): boolean {
    return this.requests === 0;
  }

  /** Persists a request (committed before it returns: it survives kill -9); returns its id. */
  push(body: Uint8Array, createdAt: number): number {
    const info = this.stmts.insert.run(createdAt, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    this.requests++;
    this.bytes += body.byteLength;
    return Number(info.lastInsertRowid);
  }

  /** The request exported first (replay order). */
  oldest(): SpoolEntry | undefined {
    return toEntry(this.stmts.oldest.get() as Row | undefined);
  }

  get(id: number): SpoolEntry | undefined {
    return toEntry(this.stmts.byId.get(id) as Row | undefined);
  }

  /** Removes a delivered (or given up) request; a no-op when it is already gone. */
  remove(id: number): void {
    const row = this.stmts.remove.get(id) as { size: number } | undefined;
    if (row) this.forget(row.size);
  }

  /**
   * Applies the bounds: first drops what is older than maxAge, then the oldest requests until the
   * payload fits maxBytes (a single request larger than maxBytes goes too). `keep` (the request being
   * sent) is never removed under the sender.
   */
  trim(bounds: SpoolBounds, now: number, keep = -1): Trimmed {
    const trimmed = { spool_bytes: 0, spool_age: 0 };
    for (const row of this.stmts.expire.all(now - bounds.maxAgeMs, keep) as { size: number }[]) {
      this.forget(row.size);
      trimmed.spool_age++;
    }
    while (this.bytes > bounds.maxBytes) {
      const rows = this.stmts.oldestSizes.all(keep) as { id: number; size: number }[];
      if (rows.length === 0) break;
      this.db.transaction(() => {
        for (const row of rows) {
          if (this.bytes <= bounds.maxBytes) break;
          this.remove(row.id);
          trimmed.spool_bytes++;
        }
      })();
    }
    return trimmed;
  }

  private forget(size: number): void {
    this.requests--;
    this.bytes -= size;
  }
}

function toEntry(row: Row | undefined): SpoolEntry | undefined {
  return row && { id: row.id, createdAt: row.created_at, body: row.body };
}
