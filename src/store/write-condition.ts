// A store that cannot write (a full disk, an I/O error) is a condition of the machine, not a bug: it is
// logged once when it begins and once when writes succeed again, never once per request, and callers
// answer 507/503 with Retry-After instead of 500. SQLite retries every statement, so recovery needs
// nothing but space.
import type { Logger } from '../log.js';

export type StoreWriteFailure = 'full' | 'io';

/** SQLITE_FULL (the disk or the database's page limit) or an SQLITE_IOERR_* variant; else undefined. */
export function storeWriteFailure(err: unknown): StoreWriteFailure | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_FULL') return 'full';
  if (typeof code === 'string' && code.startsWith('SQLITE_IOERR')) return 'io';
  return undefined;
}

/** Seconds a writer refused for a full store is asked to wait. */
export const STORE_RETRY_AFTER_S = 10;

export class StoreWriteCondition {
  private since: number | undefined;

  constructor(
    private readonly log: Logger,
    /** What writes, as the log lines name it ("store", "lease store"). */
    private readonly what: string,
    /** What happens meanwhile, for the log line. */
    private readonly meanwhile: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while writes fail. */
  get failing(): boolean {
    return this.since !== undefined;
  }

  /** Takes note of a failed write; false when `err` is not a write failure (a bug the caller handles). */
  failed(err: unknown): StoreWriteFailure | undefined {
    const kind = storeWriteFailure(err);
    if (!kind) return undefined;
    if (this.since === undefined) {
      this.since = this.now();
      this.log.error(`${this.what} cannot write (${kind === 'full' ? 'no space left' : 'I/O error'}): ${this.meanwhile}`, {
        error: (err as Error).message,
      });
    }
    return kind;
  }

  /** Takes note of a write that succeeded (logs the recovery once). */
  succeeded(): void {
    if (this.since === undefined) return;
    this.log.info(`${this.what} writes again`, { after_s: Math.round((this.now() - this.since) / 1000) });
    this.since = undefined;
  }
}
