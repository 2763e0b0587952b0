// Dynamic max workers (dsynth's DynamicMaxWorkers, DESIGN.md). Pure: inputs and time are passed in.
//
// With M = max workers and n = logical CPUs, every evaluation (at most every 5 s) takes the
// minimum of three caps:
// - load: L = load1 + blocked tasks; M below 1.5n, a linear ramp down to 25 % of M at 5n, 25 % above;
// - swap: M below 10 % used, the same ramp down to 25 % of M at 40 %, 25 % above;
// - memory (running jobs' resident memory R against a target T, default a third of RAM):
//   R > T shrinks by one; T/2 <= R <= T grows by at most one per 30 s; below T/2 no cap.
// The new value is at most the previous + 1 (ramp up one step per evaluation, down at once),
// at most M and at least 1. It starts at 1 (M < 16) or M/4 (slow start).
// Upstream dsynth compares the old value with the load cap only, so a swap or memory cap can be
// overridden by load; here the minimum of all caps always applies.

export const EVALUATE_EVERY_MS = 5_000;
export const MEMORY_GROW_EVERY_MS = 30_000;

export interface DynMaxInputs {
  readonly load1?: number;
  readonly blocked?: number;
  readonly cpus?: number;
  /** Swap used / swap total, 0..1; undefined without swap. */
  readonly swapUsedFraction?: number;
  readonly memoryLimitBytes?: number;
  /** Resident memory of the running builds. */
  readonly runningMemoryBytes: number;
}

export interface DynMaxCaps {
  readonly load: number;
  readonly swap: number;
  readonly memory: number;
}

/** Linear ramp: M below `low`, down to 25 % of M at `high`, 25 % beyond. */
function ramp(max: number, x: number, low: number, high: number): number {
  const floor = max / 4;
  if (x <= low) return max;
  if (x >= high) return floor;
  return max - ((max - floor) * (x - low)) / (high - low);
}

export function loadCap(max: number, load: number, cpus: number): number {
  return Math.floor(ramp(max, load, 1.5 * cpus, 5 * cpus));
}

export function swapCap(max: number, usedFraction: number): number {
  return Math.floor(ramp(max, usedFraction, 0.1, 0.4));
}

export function initialDynMax(max: number): number {
  return max < 16 ? 1 : Math.floor(max / 4);
}

export class DynamicMaxWorkers {
  private current: number;
  private lastEvalMs: number | undefined;
  private lastMemoryGrowMs = -Infinity;
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

  /** Re-evaluates when 5 s have passed since the last evaluation; returns the current value. */
  evaluate(inputs: DynMaxInputs, nowMs: number): number {
    if (this.lastEvalMs !== undefined && nowMs - this.lastEvalMs < EVALUATE_EVERY_MS) return this.current;
    this.lastEvalMs = nowMs;
    const M = this.max;
    const load =
      inputs.load1 !== undefined && inputs.cpus ? loadCap(M, inputs.load1 + (inputs.blocked ?? 0), inputs.cpus) : M;
    const swap = inputs.swapUsedFraction !== undefined ? swapCap(M, inputs.swapUsedFraction) : M;
    let memory = M;
    let memoryLimitsGrowth = false;
    const target =
      this.memoryTargetBytes ?? (inputs.memoryLimitBytes !== undefined ? inputs.memoryLimitBytes / 3 : undefined);
    if (target !== undefined) {
      const used = inputs.runningMemoryBytes;
      if (used > target) memory = this.current - 1;
      else if (used >= target / 2) {
        memoryLimitsGrowth = true;
        memory = nowMs - this.lastMemoryGrowMs >= MEMORY_GROW_EVERY_MS ? this.current + 1 : this.current;
      }
    }
    this.lastCaps = { load, swap, memory };
    const next = Math.max(1, Math.min(load, swap, memory, this.current + 1, M));
    if (next > this.current && memoryLimitsGrowth) this.lastMemoryGrowMs = nowMs;
    this.current = next;
    return next;
  }
}
