// The bytes of request bodies a receiver holds at once, across all requests: what a request reads or
// decompresses is taken from one budget and given back when its answer is sent. A request that does not
// fit is refused at once (RESOURCE_EXHAUSTED / 429) instead of queueing its bytes in memory.

export class InFlightBudget {
  private used = 0;
  private high = 0;
  private refusedCount = 0;

  constructor(readonly limit: number) {}

  /** Bytes held now. */
  get bytes(): number {
    return this.used;
  }

  /** The most bytes ever held at once. */
  get peak(): number {
    return this.high;
  }

  /** Requests refused because their bytes did not fit. */
  get refused(): number {
    return this.refusedCount;
  }

  /** A holder for one request's bytes; release() gives them all back. */
  hold(): BudgetHold {
    let held = 0;
    let taken = 0;
    return {
      take: (n) => {
        if (this.used + n > this.limit) return false;
        this.used += n;
        held += n;
        taken += n;
        if (this.used > this.high) this.high = this.used;
        return true;
      },
      give: (n) => {
        const back = Math.min(n, held);
        held -= back;
        this.used -= back;
      },
      refuse: () => {
        this.refusedCount++;
      },
      release: () => {
        this.used -= held;
        held = 0;
        return taken;
      },
    };
  }
}

export interface BudgetHold {
  /** Takes `n` more bytes if they fit; false (nothing taken) if not. */
  take(n: number): boolean;
  /** Gives back `n` of the bytes taken. */
  give(n: number): void;
  /** Counts this request as refused for want of budget. */
  refuse(): void;
  /** Gives back everything still held; returns every byte taken over the hold's life. */
  release(): number;
}
