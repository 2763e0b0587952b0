import { describe, expect, it } from 'vitest';
import { capacityLimit, maxCapacity } from '../../src/scheduler/capacity.js';
import { type ActiveLease, decide, type PolicyInput } from '../../src/scheduler/policy.js';
import type { Priority, QuietState } from '../../src/scheduler/types.js';

const NOW = 1_000_000;
const lease = (addonId: string, costUnits: number, expiresInSec: number): ActiveLease => ({
  addonId,
  costUnits,
  expiresAt: NOW + expiresInSec * 1000,
});

function input(over: {
  state?: QuietState | null;
  msUntilQuiet?: number;
  priority?: Priority;
  cost?: number;
  addon?: string;
  active?: ActiveLease[];
  capacity?: number;
  cooldownLeftSec?: number;
  queuedAhead?: number;
}): PolicyInput {
  return {
    nowMs: NOW,
    request: { addonId: over.addon ?? 'a', costUnits: over.cost ?? 10, priority: over.priority ?? 'NORMAL' },
    quiet: over.state === null ? undefined : { state: over.state ?? 'QUIET', score: 90, msUntilQuiet: over.msUntilQuiet ?? 0 },
    cooldownUntilMs: over.cooldownLeftSec === undefined ? 0 : NOW + over.cooldownLeftSec * 1000,
    cooldownMs: 120_000,
    capacity: over.capacity ?? 80,
    active: over.active ?? [],
    maxLeases: 4,
    maxPerAddon: 2,
    queuedAhead: over.queuedAhead ?? 0,
    intervalMs: 10_000,
  };
}

describe('lease policy under simulated assessments', () => {
  const cases: [string, Parameters<typeof input>[0], boolean, string, string, number | null][] = [
    ['QUIET with room', {}, true, 'granted', 'Approved: used=0, requested=10, capacity=80', null],
    ['not assessed yet', { state: null }, false, 'not_assessed', 'System is not assessed yet; waiting for QUIET', 10],
    ['PANIC refuses even HIGH', { state: 'PANIC', priority: 'HIGH', msUntilQuiet: 30_000 }, false, 'panic', 'System is PANIC; waiting for QUIET', 150],
    ['cool-down after PANIC refuses even HIGH', { priority: 'HIGH', cooldownLeftSec: 42.5 }, false, 'cooldown', 'Recent PANIC detected; cooling down', 43],
    ['BUSY refuses NORMAL', { state: 'BUSY', msUntilQuiet: 30_000 }, false, 'not_quiet', 'System is BUSY; waiting for QUIET', 30],
    ['NORMAL refuses LOW', { state: 'NORMAL', priority: 'LOW', msUntilQuiet: 4_000 }, false, 'not_quiet', 'System is NORMAL; waiting for QUIET', 10],
    ['BUSY lets HIGH through', { state: 'BUSY', priority: 'HIGH', capacity: 40 }, true, 'granted', 'Approved: used=0, requested=10, capacity=40', null],
    [
      'capacity: retry when enough units would expire',
      { cost: 30, active: [lease('b', 20, 5), lease('c', 40, 12), lease('d', 10, 20)] },
      false,
      'capacity',
      'Capacity exceeded: used=70, requested=30, capacity=80',
      5,
    ],
    [
      'capacity: two leases must go',
      { cost: 50, active: [lease('b', 20, 5), lease('c', 40, 12), lease('d', 10, 20)] },
      false,
      'capacity',
      'Capacity exceeded: used=70, requested=50, capacity=80',
      12,
    ],
    ['exactly full is allowed', { cost: 30, active: [lease('b', 50, 5)] }, true, 'granted', 'Approved: used=50, requested=30, capacity=80', null],
    [
      'capacity shrunk by the state: wait for QUIET',
      { state: 'BUSY', priority: 'HIGH', capacity: 40, cost: 60, msUntilQuiet: 25_000 },
      false,
      'capacity',
      'Capacity exceeded: used=0, requested=60, capacity=40',
      25,
    ],
    [
      'global concurrency cap',
      { cost: 1, active: [lease('b', 1, 9), lease('c', 1, 3), lease('d', 1, 7), lease('e', 1, 8)] },
      false,
      'global_limit',
      'Lease limit reached: active=4, max=4',
      3,
    ],
    [
      'per-addon cap: retry when one of its own leases could expire',
      { addon: 'x', active: [lease('x', 5, 9), lease('y', 5, 1), lease('x', 5, 6)] },
      false,
      'addon_limit',
      'Addon lease limit reached: addon=x, active=2, max=2',
      6,
    ],
    ['waiting requests ahead', { queuedAhead: 3, active: [lease('b', 70, 8)] }, false, 'queue', 'Queued requests ahead: 3 waiting for capacity', 8],
  ];

  it.each(cases)('%s', (_name, over, approved, code, reason, retry) => {
    const d = decide(input(over));
    expect(d).toMatchObject({ approved, code, reason, retryAfterSec: retry });
  });

  it('checks in order: PANIC before cool-down before state before capacity', () => {
    const full = [lease('b', 80, 5)];
    expect(decide(input({ state: 'PANIC', cooldownLeftSec: 10, active: full })).code).toBe('panic');
    expect(decide(input({ state: 'BUSY', cooldownLeftSec: 10, active: full })).code).toBe('cooldown');
    expect(decide(input({ state: 'BUSY', active: full })).code).toBe('not_quiet');
    expect(decide(input({ active: full })).code).toBe('capacity');
  });

  it('never answers a retry sooner than a second', () => {
    const d = decide(input({ cost: 80, active: [lease('b', 10, 0.1)] }));
    expect(d.retryAfterSec).toBe(1);
  });
});

describe('capacity formula', () => {
  const s = { capacityUnits: 100, headroomUnits: 20 };
  it('is (capacity - headroom) scaled by the state', () => {
    expect(maxCapacity(s)).toBe(80);
    expect(capacityLimit(s, 'QUIET')).toBe(80);
    expect(capacityLimit(s, 'NORMAL')).toBe(60);
    expect(capacityLimit(s, 'BUSY')).toBe(40);
    expect(capacityLimit(s, 'PANIC')).toBe(0);
    expect(capacityLimit(s, undefined)).toBe(0);
    expect(capacityLimit({ capacityUnits: 7, headroomUnits: 2 }, 'NORMAL')).toBe(3);
  });
});
