// The bridge's durable spool: rows accepted from the Collector wait here until Proton has taken them.
// Every export is written here before it is acknowledged, so an acknowledged point survives a Proton
// outage and a bridge restart. It is the agent's durable queue (src/store/durable-queue.ts, table
// bridge_spool, one partition per stream) in the store of the bridge's --data-dir; records Proton
// refuses as bad data move to bridge_dead_letter in the same store. Unlike the agent's export spool,
// a full spool refuses new rows instead of dropping old ones: the bridge can tell the Collector to
// retry, the agent has nobody to push back to.
import { DurableQueue, type QueueEntry } from '../store/durable-queue.js';
import { type Db, openStore, storePath } from '../store/store.js';
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

function record(e: QueueEntry): SpoolRecord {
  if (!isStreamName(e.key)) throw new Error(`spool holds rows for unknown stream ${e.key}`);
  return { id: e.id, stream: e.key, text: e.body.toString('utf8'), rows: e.items, bytes: e.body.byteLength, createdAt: e.createdAt };
}

export class SqliteBridgeSpool implements BridgeSpool {
  private readonly queue: DurableQueue;
  private readonly insertDead;
  private readonly countDead;

  /** Opens the store of `dataDir` (creating or migrating it, taking in an old spool file); close() closes it. */
  static open(dataDir: string, maxBytes: number): SqliteBridgeSpool {
    return new SqliteBridgeSpool(openStore(storePath(dataDir)), maxBytes);
  }

  /** Takes ownership of `db`: close() closes it. */
  constructor(
    private readonly db: Db,
    private readonly maxBytes: number,
  ) {
    this.queue = new DurableQueue(db, 'bridge_spool');
    this.insertDead = db.prepare(
      'INSERT INTO bridge_dead_letter (stream, rows, created_at, failed_at, reason, body) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.countDead = db.prepare('SELECT count(*) AS n FROM bridge_dead_letter');
  }

  get pendingBytes(): number {
    return this.queue.totals.bytes;
  }

  append(batches: readonly StreamRows[], now = Date.now()): void {
    const entries = batches.map((b) => ({ key: b.stream, items: b.count, createdAt: now, body: Buffer.from(b.text) }));
    let size = 0;
    for (const e of entries) size += e.body.byteLength;
    const used = this.queue.totals.bytes;
    if (used + size > this.maxBytes) {
      throw new SpoolFullError(`spool full: ${used} of ${this.maxBytes} bytes used, ${size} more needed`);
    }
    this.queue.push(...entries);
  }

  oldest(stream: StreamName, maxRows: number): SpoolRecord[] {
    return this.queue.oldestOf(stream, maxRows).map(record);
  }

  remove(ids: readonly number[]): void {
    if (ids.length > 0) this.queue.remove(ids);
  }

  deadLetter(rec: SpoolRecord, reason: string, now = Date.now()): void {
    this.db.transaction(() => {
      this.insertDead.run(rec.stream, rec.rows, rec.createdAt, now, reason, rec.text);
      this.queue.remove([rec.id]);
    })();
  }

  expire(before: number): { records: number; rows: number } {
    const gone = this.queue.expire(before);
    return { records: gone.entries, rows: gone.items };
  }

  pendingStreams(): StreamName[] {
    return this.queue.keys().filter(isStreamName);
  }

  stats(): SpoolStats {
    const { entries, items, bytes } = this.queue.totals;
    const dead = this.countDead.get() as { n: number };
    return { records: entries, rows: items, bytes, deadRecords: dead.n };
  }

  close(): void {
    this.db.close();
  }
}
