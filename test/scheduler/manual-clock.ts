// A fake clock for the scheduler: time moves only when a test advances it, and timers due by then
// fire in order.
import type { Clock } from '../../src/scheduler/clock.js';

export class ManualClock implements Clock {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(private t = Date.UTC(2026, 0, 1, 12)) {}

  now(): number {
    return this.t;
  }

  schedule(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
  }

  /** Moves time forward without firing timers: a stalled event loop, or an agent that was down. */
  jump(ms: number): void {
    this.t += ms;
  }

  get pending(): number {
    return this.timers.length;
  }
}
