// Dynamic max workers (dsynth's DynamicMaxWorkers, build.c waitbuild()). Pure: inputs and time are
// passed in.
//
// With M = max workers and n = logical CPUs, every evaluation (at most every 5 s, while builds wait)
// takes the minimum of three caps:
// - load: L = the adjusted load (see adjustedLoad1); M below 1.5n, a linear ramp down to 25 % of M at 5n,
//   25 % above (truncated to an int, as build.c's int assignment);
// - swap: M below 10 % used, the same ramp down to 25 % of M at 40 %, 25 % above;
// - memory (running builds' resident memory R against a target T, default a third of RAM), in terms of
//   the builds running now (build.c's RunningWorkers): R > T gives running - 1; R > T/2 (strictly)
//   gives running + 1 when 30 s have passed since the last time this branch granted one (the timer
//   restarts whenever it grants, whatever the final value), else running; otherwise no cap.
// The new value is at most the previous + 1 (ramp up one step per evaluation, down at once), at most M
// and at least 1. Each run starts at 1 (M < 16) or M/4 (the slow start, restarted by restartSlowStart).
// Upstream dsynth stores the new value only when the old one differs from the load cap, so a swap or
// memory cap can be ignored while the load cap equals the old value; here the minimum of all caps
// always applies.

export const EVALUATE_EVERY_MS = 5_000;
export const MEMORY_GROW_EVERY_MS = 30_000;

export interface DynMaxInputs {
  /** dsynth's adjusted load (its Linux analogue, adjustedLoad1). */
  readonly load?: number;
  readonly cpus?: number;
  /** Swap used / swap total, 0..1; undefined without swap. */
  readonly swapUsedFraction?: number;
  readonly memoryLimitBytes?: number;
  /** Resident memory of the running builds. */
  readonly runningMemoryBytes: number;
  /** Builds running now. */
  readonly running: number;
}

export interface DynMaxCaps {
  readonly load: number;
  readonly swap: number;
  readonly memory: number;
}

/** Linear ramp: M below `low`, down to 25 % of M at `high`, 25 % beyond. */
function ramp(max: number, x: number, low: number, high: number): number {
  if (x < low) return max;
  if (x <= high) return max - (max * 0.75 * (x - low)) / (high - low);
  return (max * 25) / 100;
}

export function loadCap(max: number, load: number, cpus: number): number {
  return Math.trunc(ramp(max, load, 1.5 * cpus, 5 * cpus));
}

export function swapCap(max: number, usedFraction: number): number {
  return Math.trunc(ramp(max, usedFraction, 0.1, 0.4));
}

export function initialDynMax(max: number): number {
  return max < 16 ? 1 : Math.floor(max / 4);
}

export class DynamicMaxWorkers {
  private current: number;
  private lastEvalMs: number | undefined;
  private lastMemoryGrowMs: number | undefined;
  private lastCaps: DynMaxCaps;

  constructor(
    readonly max: number,
    private readonly memoryTargetBytes?: number,
  ) {
    this.current = initialDynMax(max);
    this.lastCaps = { load: max, swap: max, memory: max };
  }

  get value(): number {
    return this.current;
  }

  get caps(): DynMaxCaps {
    return this.lastCaps;
  }

  /** A new run starts slow again (build.c DoInitBuild); the 5 s and 30 s timers keep running, as there. */
  restartSlowStart(): void {
    this.current = initialDynMax(this.max);
  }

  /** Re-evaluates when 5 s have passed since the last evaluation; returns the current value. */
  evaluate(inputs: DynMaxInputs, nowMs: number): number {
    if (this.lastEvalMs !== undefined && nowMs - this.lastEvalMs < EVALUATE_EVERY_MS) return this.current;
    this.lastEvalMs = nowMs;
    const M = this.max;
    const load = inputs.load !== undefined && inputs.cpus ? loadCap(M, inputs.load, inputs.cpus) : M;
    const swap = inputs.swapUsedFraction !== undefined ? swapCap(M, inputs.swapUsedFraction) : M;
    let memory = M;
    const target =
      this.memoryTargetBytes ?? (inputs.memoryLimitBytes !== undefined ? inputs.memoryLimitBytes / 3 : undefined);
    if (target !== undefined) {
      const used = inputs.runningMemoryBytes;
      if (used > target) memory = inputs.running - 1;
      else if (used > target / 2) {
        if (this.lastMemoryGrowMs === undefined || nowMs - this.lastMemoryGrowMs >= MEMORY_GROW_EVERY_MS) {
          this.lastMemoryGrowMs = nowMs;
          memory = inputs.running + 1;
        } else {
          memory = inputs.running;
        }
      }
    }
    this.lastCaps = { load, swap, memory };
    this.current = Math.max(1, Math.min(load, swap, memory, this.current + 1, M));
    return this.current;
  }
}
