// The bridge's durable spool: rows accepted from the Collector wait here until Proton has taken them.
// Every export is written here before it is acknowledged, so an acknowledged point survives a Proton
// outage and a bridge restart. Behind the BridgeSpool interface so the bridge can move to the agent's
// durable export spool (issue 6) when that lands; this one is a small SQLite table of its own.
import Database from 'better-sqlite3';
import { migrate } from '../store/store.js';
import type { StreamRows } from './rows.js';
import { isStreamName, type StreamName } from './streams.js';

export interface SpoolRecord {
  readonly id: number;
  readonly stream: StreamName;
  /** Rows as JSON arrays joined by commas. */
  readonly text: string;
  readonly rows: number;
  readonly bytes: number;
  readonly createdAt: number;
}

export interface SpoolStats {
  readonly records: number;
  readonly rows: number;
  readonly bytes: number;
  readonly deadRecords: number;
}

export class SpoolFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpoolFullError';
  }
}

export interface BridgeSpool {
  /** Stores the rows of one export atomically; throws SpoolFullError when they do not fit. */
  append(batches: readonly StreamRows[], now?: number): void;
  /** The oldest records of a stream, in order, up to `maxRows` rows (always at least one record if any). */
  oldest(stream: StreamName, maxRows: number): SpoolRecord[];
  remove(ids: readonly number[]): void;
  /** Moves a record Proton refused as bad data out of the way, keeping it for inspection. */
  deadLetter(record: SpoolRecord, reason: string, now?: number): void;
  /** Deletes records older than `before` (ms since epoch); returns how many rows went. */
  expire(before: number): { records: number; rows: number };
  /** Streams with records waiting, oldest first. */
  pendingStreams(): StreamName[];
  /** Bytes waiting (cheap: no query). */
  readonly pendingBytes: number;
  stats(): SpoolStats;
  close(): void;
}

const MIGRATIONS = [
  {
    version: 1,
    name: 'bridge spool',
    sql: `
      CREATE TABLE spool (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stream TEXT NOT NULL,
        rows INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX spool_stream ON spool (stream, id);
      CREATE TABLE dead_letter (
        id INTEGER PRIMARY KEY,
        stream TEXT NOT NULL,
        rows INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        failed_at INTEGER NOT NULL,
        reason TEXT NOT NULL,
        body TEXT NOT NULL
      );`,
  },
];

interface Row {
  id: number;
  stream: string;
  rows: number;
  bytes: number;
  created_at: number;
  body: string;
}

function record(r: Row): SpoolRecord {
  if (!isStreamName(r.stream)) throw new Error(`spool holds rows for unknown stream ${r.stream}`);
  return { id: r.id, stream: r.stream, text: r.body, rows: r.rows, bytes: r.bytes, createdAt: r.created_at };
}

export class SqliteBridgeSpool implements BridgeSpool {
  private readonly db: Database.Database;
  private bytes: number;
  private readonly insert: Database.Statement;
  private readonly selectPage: Database.Statement;
  private readonly deleteOne: Database.Statement;

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
  ) {
    this.db = new Database(file);
    // Records are hundreds of KiB: large pages mean fewer page writes (only takes effect on a new file).
    this.db.pragma('page_size = 65536');
    this.db.pragma('journal_mode = WAL');
    // WAL + NORMAL: a commit survives a crash of the bridge; only an OS crash can lose the last commits.
    this.db.pragma('synchronous = NORMAL');
    migrate(this.db, MIGRATIONS);
    this.bytes = (this.db.prepare('SELECT coalesce(sum(bytes), 0) AS b FROM spool').get() as { b: number }).b;
    this.insert = this.db.prepare('INSERT INTO spool (stream, rows, bytes, created_at, body) VALUES (?, ?, ?, ?, ?)');
    this.selectPage = this.db.prepare('SELECT * FROM spool WHERE stream = ? AND id > ? ORDER BY id LIMIT 64');
    this.deleteOne = this.db.prepare('DELETE FROM spool WHERE id = ? RETURNING bytes');
  }

  get pendingBytes(): number {
    return this.bytes;
  }

  append(batches: readonly StreamRows[], now = Date.now()): void {
    const sizes = batches.map((b) => Buffer.byteLength(b.text));
    let size = 0;
    for (const n of sizes) size += n;
    if (this.bytes + size > this.maxBytes) {
      throw new SpoolFullError(`spool full: ${this.bytes} of ${this.maxBytes} bytes used, ${size} more needed`);
    }
    this.db.transaction(() => {
      batches.forEach((b, i) => this.insert.run(b.stream, b.count, sizes[i], now, b.text));
    })();
    this.bytes += size;
  }

  oldest(stream: StreamName, maxRows: number): SpoolRecord[] {
    const out: SpoolRecord[] = [];
    let rows = 0;
    // Read in small pages: records are a few hundred rows each, so a page usually fills a batch.
    let afterId = 0;
    for (;;) {
      const page = this.selectPage.all(stream, afterId) as Row[];
      if (page.length === 0) return out;
      for (const r of page) {
        if (out.length > 0 && rows + r.rows > maxRows) return out;
        out.push(record(r));
        rows += r.rows;
        afterId = r.id;
      }
    }
  }

  remove(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.db.transaction(() => {
      for (const id of ids) {
        const r = this.deleteOne.get(id) as { bytes: number } | undefined;
        if (r) this.bytes -= r.bytes;
      }
    })();
  }

  deadLetter(rec: SpoolRecord, reason: string, now = Date.now()): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO dead_letter (id, stream, rows, created_at, failed_at, reason, body) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(rec.id, rec.stream, rec.rows, rec.createdAt, now, reason, rec.text);
      this.db.prepare('DELETE FROM spool WHERE id = ?').run(rec.id);
    })();
    this.bytes -= rec.bytes;
  }

  expire(before: number): { records: number; rows: number } {
    const gone = this.db.prepare('DELETE FROM spool WHERE created_at < ? RETURNING rows, bytes').all(before) as {
      rows: number;
      bytes: number;
    }[];
    let rows = 0;
    for (const g of gone) {
      rows += g.rows;
      this.bytes -= g.bytes;
    }
    return { records: gone.length, rows };
  }

  pendingStreams(): StreamName[] {
    const rows = this.db.prepare('SELECT stream, min(id) AS first FROM spool GROUP BY stream ORDER BY first').all() as {
      stream: string;
    }[];
    return rows.map((r) => r.stream).filter(isStreamName);
  }

  stats(): SpoolStats {
    const s = this.db.prepare('SELECT count(*) AS records, coalesce(sum(rows), 0) AS rows FROM spool').get() as {
      records: number;
      rows: number;
    };
    const dead = this.db.prepare('SELECT count(*) AS n FROM dead_letter').get() as { n: number };
    return { records: s.records, rows: s.rows, bytes: this.bytes, deadRecords: dead.n };
  }

  close(): void {
    this.db.close();
  }
}
