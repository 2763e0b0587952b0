// Circuit breaker for the collector: closed while it accepts; after a retryable failure it opens for an
// exponentially growing, jittered delay, then lets ONE request through as a probe. A dead collector
// therefore sees one request per delay (at most maxDelayMs apart), never a retry storm, and many
// agents restarted together spread their probes instead of arriving in step. The Proton bridge backs
// off from Proton with the same class (its sender and its stream creation), with its own delays.

export interface BackoffOptions {
  /** First delay after a failure (default 500 ms). */
  readonly initialDelayMs?: number;
  /** Largest delay between probes (default 5 s). */
  readonly maxDelayMs?: number;
  /** Largest delay a collector's Retry-After may ask for (default 60 s). */
  readonly maxRetryAfterMs?: number;
  /** Random number in [0, 1) (tests pass a fixed one). */
  readonly random?: () => number;
}

export class Breaker {
  private failures = 0;
  private retryAt = 0;
  private readonly initial: number;
  private readonly max: number;
  private readonly maxRetryAfter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initial = options.initialDelayMs ?? 500;
    this.max = options.maxDelayMs ?? 5000;
    this.maxRetryAfter = options.maxRetryAfterMs ?? 60_000;
    this.random = options.random ?? Math.random;
  }

  /** True while the collector accepts: live requests go straight out. */
  get closed(): boolean {
    return this.failures === 0;
  }

  /** Consecutive failed attempts. */
  get failureCount(): number {
    return this.failures;
  }

  /** When the next attempt (the probe) may start; 0 while closed. */
  get nextAttemptAt(): number {
    return this.closed ? 0 : this.retryAt;
  }

  canSend(now: number): boolean {
    return this.closed || now >= this.retryAt;
  }

  /** The collector answered (accepted, or refused this one request for good): close. */
  succeeded(): void {
    this.failures = 0;
    this.retryAt = 0;
  }

  /** A retryable failure: open for the next delay; returns it (ms). */
  failed(now: number, retryAfterMs?: number): number {
    this.failures++;
    // Equal jitter: half the exponential step fixed, half random, so probes never bunch near zero.
    const step = Math.min(this.max, this.initial * 2 ** Math.min(this.failures - 1, 30));
    let delay = step / 2 + this.random() * (step / 2);
    if (retryAfterMs !== undefined) delay = Math.max(delay, Math.min(retryAfterMs, this.maxRetryAfter));
    this.retryAt = now + delay;
    return delay;
  }
}
