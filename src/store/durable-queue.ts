// A durable FIFO queue in the agent's SQLite store, one table per queue, created by a migration with
// the same shape: (id, key, created_at, items, body), indexed by age and by key. It holds the agent's
// OTLP export spool (issue 6) and the Proton bridge's spool (issue 8), so both get the same crash
// safety (each write commits before it returns), the same oldest-first order and the same bounds.
// `key` partitions a queue (the bridge's stream; '' where one order is enough); `items` is what an
// entry carries for its owner (the bridge's row count; 1 for an export request). Totals are kept in
// memory, read once at open, so bounds and metrics never scan the table.
import type { Db } from './store.js';

/** Tables with the queue shape (see MIGRATIONS); a closed list, as the name is spliced into SQL. */
export type QueueTable = 'export_spool' | 'bridge_spool';

export interface QueueEntry {
  readonly id: number;
  readonly key: string;
  /** ms since the epoch: the order of the queue and its age bound. */
  readonly createdAt: number;
  readonly items: number;
  readonly body: Buffer;
}

export interface NewEntry {
  readonly body: Uint8Array;
  readonly createdAt: number;
  readonly key?: string;
  readonly items?: number;
}

export interface QueueTotals {
  readonly entries: number;
  readonly items: number;
  /** Payload bytes (body lengths). */
  readonly bytes: number;
}

export interface QueueBounds {
  readonly maxBytes: number;
  readonly maxAgeMs: number;
}

export interface Removed {
  readonly entries: number;
  readonly items: number;
}

/** What trim() removed, by the bound that removed it. */
export interface QueueTrim {
  readonly age: Removed;
  readonly bytes: Removed;
}

interface Row {
  id: number;
  key: string;
  created_at: number;
  items: number;
  body: Buffer;
}

interface Gone {
  size: number;
  items: number;
}

const COLUMNS = 'id, key, created_at, items, body';
const ORDER = 'ORDER BY created_at, id';
/** Oldest entries removed per transaction while trimming to the byte bound. */
const TRIM_PAGE = 64;

export class DurableQueue {
  private entries = 0;
  private items = 0;
  private bytes = 0;
  private readonly stmts;

  constructor(
    private readonly db: Db,
    table: QueueTable,
  ) {
    const total = db
      .prepare(`SELECT count(*) AS n, coalesce(sum(items), 0) AS i, coalesce(sum(length(body)), 0) AS b FROM ${table}`)
      .get() as { n: number; i: number; b: number };
    this.entries = total.n;
    this.items = total.i;
    this.bytes = total.b;
    this.stmts = {
      insert: db.prepare(`INSERT INTO ${table} (key, created_at, items, body) VALUES (?, ?, ?, ?)`),
      oldest: db.prepare(`SELECT ${COLUMNS} FROM ${table} ${ORDER} LIMIT 1`),
      ofKey: db.prepare(`SELECT ${COLUMNS} FROM ${table} WHERE key = ? ${ORDER}`),
      byId: db.prepare(`SELECT ${COLUMNS} FROM ${table} WHERE id = ?`),
      keys: db.prepare(`SELECT key FROM ${table} GROUP BY key ORDER BY min(created_at), min(id)`),
      remove: db.prepare(`DELETE FROM ${table} WHERE id = ? RETURNING length(body) AS size, items`),
      oldestIds: db.prepare(`SELECT id FROM ${table} WHERE id != ? ${ORDER} LIMIT ${TRIM_PAGE}`),
      expire: db.prepare(`DELETE FROM ${table} WHERE created_at < ? AND id != ? RETURNING length(body) AS size, items`),
    };
  }

  get totals(): QueueTotals {
    return { entries: this.entries, items: this.items, bytes: this.bytes };
  }

  get empty(): boolean {
    return this.entries === 0;
  }

  /** Persists entries in one transaction (committed before it returns: they survive kill -9); returns their ids. */
  push(...entries: NewEntry[]): number[] {
    const ids = this.db.transaction(() =>
      entries.map((e) => {
        const body = Buffer.from(e.body.buffer, e.body.byteOffset, e.body.byteLength);
        return Number(this.stmts.insert.run(e.key ?? '', e.createdAt, e.items ?? 1, body).lastInsertRowid);
      }),
    )();
    for (const e of entries) {
      this.entries++;
      this.items += e.items ?? 1;
      this.bytes += e.body.byteLength;
    }
    return ids;
  }

  /** The oldest entry of the whole queue. */
  oldest(): QueueEntry | undefined {
    return toEntry(this.stmts.oldest.get() as Row | undefined);
  }

  /**
   * The oldest entries of `key`, in order, up to `maxItems` items in all; the first one whatever its
   * size, so an entry larger than maxItems still moves.
   */
  oldestOf(key: string, maxItems: number): QueueEntry[] {
    const out: QueueEntry[] = [];
    let items = 0;
    // Lazily, row by row: a batch usually ends long before the queue does.
    for (const row of this.stmts.ofKey.iterate(key) as IterableIterator<Row>) {
      if (out.length > 0 && items + row.items > maxItems) break;
      out.push(toEntry(row)!);
      items += row.items;
      if (items >= maxItems) break;
    }
    return out;
  }

  get(id: number): QueueEntry | undefined {
    return toEntry(this.stmts.byId.get(id) as Row | undefined);
  }

  /** Keys with entries waiting, the one holding the oldest entry first. */
  keys(): string[] {
    return (this.stmts.keys.all() as { key: string }[]).map((r) => r.key);
  }

  /** Removes delivered (or given up) entries in one transaction; ids already gone are skipped. */
  remove(ids: readonly number[]): Removed {
    let entries = 0;
    let items = 0;
    this.db.transaction(() => {
      for (const id of ids) {
        const gone = this.stmts.remove.get(id) as Gone | undefined;
        if (!gone) continue;
        this.forget(gone);
        entries++;
        items += gone.items;
      }
    })();
    return { entries, items };
  }

  /** Removes entries created before `before` (ms since the epoch), except `keep`. */
  expire(before: number, keep = -1): Removed {
    const gone = this.stmts.expire.all(before, keep) as Gone[];
    let items = 0;
    for (const g of gone) {
      this.forget(g);
      items += g.items;
    }
    return { entries: gone.length, items };
  }

  /**
   * Applies the bounds: first drops what is older than maxAge, then the oldest entries until the
   * payload fits maxBytes (a single entry larger than maxBytes goes too). `keep` (the entry being
   * sent) is never removed under its sender.
   */
  trim(bounds: QueueBounds, now: number, keep = -1): QueueTrim {
    const age = this.expire(now - bounds.maxAgeMs, keep);
    let entries = 0;
    let items = 0;
    while (this.bytes > bounds.maxBytes) {
      const rows = this.stmts.oldestIds.all(keep) as { id: number }[];
      if (rows.length === 0) break;
      this.db.transaction(() => {
        for (const row of rows) {
          if (this.bytes <= bounds.maxBytes) break;
          const removed = this.remove([row.id]);
          entries += removed.entries;
          items += removed.items;
        }
      })();
    }
    return { age, bytes: { entries, items } };
  }

  private forget(gone: Gone): void {
    this.entries--;
    this.items -= gone.items;
    this.bytes -= gone.size;
  }
}

function toEntry(row: Row | undefined): QueueEntry | undefined {
  return row && { id: row.id, key: row.key, createdAt: row.created_at, items: row.items, body: row.body };
}
