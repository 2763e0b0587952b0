// Keeps the quiet state from flapping (pure; time is passed in).
//
// The first assessment takes effect at once. After that a raw state other than the current one
// must hold for `holdMs` before it takes effect, except PANIC, which takes effect at once. "Hold"
// means the raw state stayed on the same side of the current one (worse, or better) the whole
// time; when the hold is over the state becomes the latest raw state. So a host that wavers between
// NORMAL and BUSY while the state is QUIET still leaves QUIET after the hold, and a single quiet
// reading in a busy spell restarts the clock.
import { type QuietState, stateRank } from './types.js';

export interface Pending {
  readonly state: QuietState;
  readonly sinceMs: number;
}

export interface HysteresisStep {
  readonly state: QuietState;
  readonly changed: boolean;
  readonly previous: QuietState | undefined;
}

export class Hysteresis {
  private current: QuietState | undefined;
  private currentSince = 0;
  private pendingState: Pending | undefined;

  constructor(private readonly holdMs: number) {}

  get state(): QuietState | undefined {
    return this.current;
  }

  get sinceMs(): number {
    return this.currentSince;
  }

  get pending(): Pending | undefined {
    return this.pendingState;
  }

  update(raw: QuietState, nowMs: number): HysteresisStep {
    const previous = this.current;
    if (previous === undefined || raw === 'PANIC') return this.commit(raw, nowMs, previous);
    if (raw === previous) {
      this.pendingState = undefined;
      return { state: previous, changed: false, previous };
    }
    const side = Math.sign(stateRank(raw) - stateRank(previous));
    const p = this.pendingState;
    const sameSide = p !== undefined && Math.sign(stateRank(p.state) - stateRank(previous)) === side;
    this.pendingState = { state: raw, sinceMs: sameSide ? p.sinceMs : nowMs };
    if (nowMs - this.pendingState.sinceMs >= this.holdMs) return this.commit(raw, nowMs, previous);
    return { state: previous, changed: false, previous };
  }

  /** The earliest the state could be QUIET, in ms from `nowMs` (0 when it is). */
  msUntilQuiet(nowMs: number): number {
    if (this.current === 'QUIET') return 0;
    const p = this.pendingState;
    const improving = p !== undefined && this.current !== undefined && stateRank(p.state) < stateRank(this.current);
    return improving ? Math.max(0, this.holdMs - (nowMs - p.sinceMs)) : this.holdMs;
  }

  private commit(state: QuietState, nowMs: number, previous: QuietState | undefined): HysteresisStep {
    this.pendingState = undefined;
    const changed = state !== previous;
    if (changed) {
      this.current = state;
      this.currentSince = nowMs;
    }
    return { state, changed, previous };
  }
}
