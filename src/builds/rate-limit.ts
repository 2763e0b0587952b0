// At most one accepted snapshot per worker per second (seed 001: the 5 s interval was enforced by
// the client only). Pure: the caller passes the time; memory stays bounded by pruning old keys.
export const MIN_SNAPSHOT_SPACING_MS = 1_000;
const PRUNE_ABOVE = 4096;

export class SnapshotLimiter {
  private readonly last = new Map<string, number>();
  private lastPruneMs = -Infinity;

  constructor(private readonly spacingMs = MIN_SNAPSHOT_SPACING_MS) {}

  /** Milliseconds until `key` may send again (0 = now). */
  waitMs(key: string, nowMs: number): number {
    const prev = this.last.get(key);
    if (prev === undefined) return 0;
    return Math.max(0, prev + this.spacingMs - nowMs);
  }

  /** Takes back an acceptance (the snapshot was refused after all): restores the previous time. */
  revert(key: string, previousMs: number | undefined): void {
    if (previousMs === undefined) this.last.delete(key);
    else this.last.set(key, previousMs);
  }

  lastAccepted(key: string): number | undefined {
    return this.last.get(key);
  }

  accept(key: string, nowMs: number): void {
    this.last.set(key, nowMs);
    if (this.last.size > PRUNE_ABOVE && nowMs - this.lastPruneMs >= this.spacingMs) {
      this.lastPruneMs = nowMs;
      for (const [k, t] of this.last) if (nowMs - t >= this.spacingMs) this.last.delete(k);
    }
  }
}
