// The agent's SQLite store: one file in the data directory, WAL mode, schema from MIGRATIONS.
// `wrap` opens the same file when no agent answers, so every write path goes through here.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { dataDirError } from '../config/data-dir.js';
import type { AgentModule } from '../agent/types.js';
import { OnDemandCheckpoints } from './checkpointer.js';
import { type Migration, MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export const STORE_FILE = 'otel-sysmon.db';

export function storePath(dataDir: string): string {
  return join(dataDir, STORE_FILE);
}

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** Brings a database to the newest schema, one transaction per migration. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const newest = migrations.length ? migrations[migrations.length - 1].version : 0;
  if (current > newest) {
    throw new StoreError(
      `store schema version ${current} is newer than this otel-sysmon understands (${newest}): upgrade otel-sysmon`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return newest;
}

/** Opens (creating if needed) the store file at `file` and migrates it. */
export function openStore(file: string): Db {
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new StoreError(`cannot open store ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL: a commit survives a process crash; only an OS crash can lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // The agent and a fallback `wrap` may write at once; wait instead of failing.
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    throw new StoreError(`cannot prepare store ${file}: ${(err as Error).message}`, { cause: err });
  }
  return db;
}

export interface StoreModule extends AgentModule {
  /** The open database; only valid between start() and stop(). */
  readonly db: Db;
}

/** Agent module owning the store's lifetime; start it before the modules that use `db`. */
export function createStoreModule(): StoreModule {
  let db: Db | undefined;
  let checkpointer: OnDemandCheckpoints | undefined;
  return {
    name: 'store',
    get db(): Db {
      if (!db) throw new StoreError('the store is not open (start the store module first)');
      return db;
    },
    async start(agent) {
      try {
        db = openStore(storePath(agent.dataDir));
      } catch (err) {
        // Cannot open or prepare the file (permissions, not a database, a full disk): the data directory's fault.
        if (err instanceof StoreError && err.cause) throw dataDirError(agent.dataDir, `cannot use its store ${STORE_FILE}`, err.cause);
        throw err;
      }
      const log = agent.log;
      checkpointer = new OnDemandCheckpoints(db, {
        startWorker: true,
        onError: (error) => log.warn('background store checkpoint failed', { error }),
      });
      log.debug('store open', { file: storePath(agent.dataDir) });
    },
    async stop() {
      await checkpointer?.stop();
      checkpointer = undefined;
      db?.close();
      db = undefined;
    },
  };
}
