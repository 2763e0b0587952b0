// Time as the scheduler sees it: injected so expiry, cool-downs and waits are tested with a fake clock.

export interface Clock {
  /** Wall-clock time in ms since the epoch. */
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels it. Never keeps the process alive. */
  schedule(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    timer.unref();
    return () => clearTimeout(timer);
  },
};
