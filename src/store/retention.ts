// Snapshot retention: deletes old rows in small batches and yields to the event loop between
// them, so a purge of millions of rows never holds the database (or the API) for long.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { BuildRepo } from './builds.js';

export interface PurgeOptions {
  /** Rows per DELETE; each batch is one short transaction. */
  readonly batch?: number;
  /** Stops between batches when aborted (agent shutdown). */
  readonly signal?: AbortSignal;
}

export const DEFAULT_PURGE_BATCH = 2000;

/** Runs `deleteBatch(limit)` until it deletes fewer than `limit` rows; resolves to the number deleted. */
export async function purgeInBatches(deleteBatch: (limit: number) => number, options: PurgeOptions = {}): Promise<number> {
  const batch = options.batch ?? DEFAULT_PURGE_BATCH;
  let total = 0;
  for (;;) {
    if (options.signal?.aborted) return total;
    const n = deleteBatch(batch);
    total += n;
    if (n < batch) return total;
    await yieldToLoop();
  }
}

/** Deletes every snapshot older than `cutoffMs`; resolves to the number deleted. */
export function purgeSnapshots(repo: BuildRepo, cutoffMs: number, options: PurgeOptions = {}): Promise<number> {
  return purgeInBatches((limit) => repo.purgeSnapshotsBefore(cutoffMs, limit), options);
}
