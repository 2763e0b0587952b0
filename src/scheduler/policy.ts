// The lease policy (pure): one request against the state, capacity, caps and queue, in this order:
//   1. no assessment yet                  -> deny (soft)
//   2. PANIC                              -> deny (hard: HIGH priority too)
//   3. cool-down after PANIC              -> deny (hard)
//   4. not QUIET and priority not HIGH    -> deny (soft)
//   5. waiting requests of equal or higher priority ahead -> deny (the queue is not jumped)
//   6. used + requested > capacity        -> deny
//   7. global, then per-addon concurrency cap -> deny
//   otherwise approve.
// retry_after_sec is computed from what blocks the request: when the state could be QUIET at the
// earliest (hysteresis hold), when the cool-down ends, or when enough active leases would expire
// if their holders stopped heartbeating (the earliest the units or slots can come free).
import { type Priority, type QuietView } from './types.js';

export const REASON_CODES = [
  'granted',
  'not_assessed',
  'panic',
  'cooldown',
  'not_quiet',
  'queue',
  'capacity',
  'global_limit',
  'addon_limit',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface ActiveLease {
  readonly addonId: string;
  readonly costUnits: number;
  readonly expiresAt: number;
}

export interface PolicyInput {
  readonly nowMs: number;
  readonly request: { readonly addonId: string; readonly costUnits: number; readonly priority: Priority };
  readonly quiet: QuietView | undefined;
  /** End of the cool-down after PANIC (ms since the epoch); 0 or past when there is none. */
  readonly cooldownUntilMs: number;
  readonly cooldownMs: number;
  readonly capacity: number;
  /** The active leases, best in expiry order (then no copy is sorted for a retry estimate). */
  readonly active: readonly ActiveLease[];
  readonly maxLeases: number;
  readonly maxPerAddon: number;
  /** Waiting requests the queue serves before this one. */
  readonly queuedAhead: number;
  /** A retry sooner than the next collection could not see a different state. */
  readonly intervalMs: number;
}

export interface Decision {
  readonly approved: boolean;
  readonly code: ReasonCode;
  readonly reason: string;
  /** Whole seconds, at least 1; null when approved. */
  readonly retryAfterSec: number | null;
  readonly usedUnits: number;
  readonly capacityUnits: number;
}

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** `leases` in expiry order: as given when already sorted (the scheduler keeps them so), else a sorted copy. */
function byExpiry(leases: readonly ActiveLease[]): readonly ActiveLease[] {
  for (let i = 1; i < leases.length; i++) {
    if (leases[i].expiresAt < leases[i - 1].expiresAt) return [...leases].sort((a, b) => a.expiresAt - b.expiresAt);
  }
  return leases;
}

/** Time until enough of `leases` expire for `need` units (or slots, with cost 1 each) to be free. */
function untilFreed(leases: readonly ActiveLease[], need: number, weigh: (l: ActiveLease) => number, nowMs: number): number | undefined {
  let freed = 0;
  for (const l of byExpiry(leases)) {
    freed += weigh(l);
    if (freed >= need) return Math.max(0, l.expiresAt - nowMs);
  }
  return undefined;
}

export function decide(p: PolicyInput): Decision {
  let used = 0;
  for (const l of p.active) used += l.costUnits;
  const base = { usedUnits: used, capacityUnits: p.capacity };
  const deny = (code: ReasonCode, reason: string, retryMs: number): Decision => ({
    ...base,
    approved: false,
    code,
    reason,
    retryAfterSec: seconds(retryMs),
  });
  // The state only changes at a collection: sooner than the next one a retry cannot see a new one.
  const stateMs = (ms: number): number => Math.max(ms, p.intervalMs);
  const earliestExpiry = (): number => untilFreed(p.active, 1, () => 1, p.nowMs) ?? stateMs(0);
  const q = p.quiet;

  if (!q) return deny('not_assessed', 'System is not assessed yet; waiting for QUIET', stateMs(0));
  if (q.state === 'PANIC') return deny('panic', 'System is PANIC; waiting for QUIET', stateMs(q.msUntilQuiet) + p.cooldownMs);
  if (p.cooldownUntilMs > p.nowMs) {
    return deny('cooldown', 'Recent PANIC detected; cooling down', p.cooldownUntilMs - p.nowMs);
  }
  if (q.state !== 'QUIET' && p.request.priority !== 'HIGH') {
    return deny('not_quiet', `System is ${q.state}; waiting for QUIET`, stateMs(q.msUntilQuiet));
  }
  if (p.queuedAhead > 0) {
    return deny('queue', `Queued requests ahead: ${p.queuedAhead} waiting for capacity`, earliestExpiry());
  }
  const requested = p.request.costUnits;
  if (used + requested > p.capacity) {
    const fromExpiry = untilFreed(p.active, used + requested - p.capacity, (l) => l.costUnits, p.nowMs);
    // Even with every lease gone the request does not fit the current state's capacity: wait for QUIET.
    const retry = requested <= p.capacity ? fromExpiry : undefined;
    return deny(
      'capacity',
      `Capacity exceeded: used=${used}, requested=${requested}, capacity=${p.capacity}`,
      retry ?? Math.max(stateMs(q.msUntilQuiet), earliestExpiry()),
    );
  }
  if (p.active.length >= p.maxLeases) {
    return deny('global_limit', `Lease limit reached: active=${p.active.length}, max=${p.maxLeases}`, earliestExpiry());
  }
  let mineCount = 0;
  for (const l of p.active) if (l.addonId === p.request.addonId) mineCount++;
  if (mineCount >= p.maxPerAddon) {
    const mine = p.active.filter((l) => l.addonId === p.request.addonId);
    return deny(
      'addon_limit',
      `Addon lease limit reached: addon=${p.request.addonId}, active=${mine.length}, max=${p.maxPerAddon}`,
      untilFreed(mine, 1, () => 1, p.nowMs) ?? stateMs(0),
    );
  }
  return {
    ...base,
    approved: true,
    code: 'granted',
    reason: `Approved: used=${used}, requested=${requested}, capacity=${p.capacity}`,
    retryAfterSec: null,
  };
}
