// Lease capacity in cost units (pure).
//
//   limit = floor((scheduler-capacity − scheduler-headroom) × factor(state))
//   factor: QUIET 1, NORMAL 0.75, BUSY 0.5, PANIC 0 (0 also before the first assessment)
//
// The headroom is kept back for the rest of the system whatever the state; the factor shrinks the
// rest as the host gets busier. Leases already granted are never revoked when the limit shrinks:
// new requests are refused until enough of them end.
import type { QuietState } from './types.js';

export const STATE_FACTOR: Readonly<Record<QuietState, number>> = { QUIET: 1, NORMAL: 0.75, BUSY: 0.5, PANIC: 0 };

export interface CapacitySettings {
  readonly capacityUnits: number;
  readonly headroomUnits: number;
}

/** The most units this host ever grants at once (QUIET, nothing else running). */
export function maxCapacity(s: CapacitySettings): number {
  return Math.max(0, s.capacityUnits - s.headroomUnits);
}

export function capacityLimit(s: CapacitySettings, state: QuietState | undefined): number {
  return state === undefined ? 0 : Math.floor(maxCapacity(s) * STATE_FACTOR[state]);
}
