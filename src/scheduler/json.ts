// The scheduler's answers as JSON: seed 002's HeavyLeaseResponse and LeaseRecord, the queue, status.
import { STATE_FACTOR } from './capacity.js';
import type { Decision } from './policy.js';
import type { LeaseScheduler, TicketView } from './scheduler.js';
import type { Lease } from './types.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** LeaseRecord. */
export function leaseJson(l: Lease) {
  return {
    lease_id: l.id,
    addon_id: l.request.addonId,
    job_type: l.request.jobType,
    cost_units: l.request.costUnits,
    priority: l.request.priority,
    constraints: l.request.constraints,
    expected_duration_sec: l.request.expectedDurationSec ?? null,
    state: l.state,
    granted_at: iso(l.grantedAt),
    last_heartbeat_at: iso(l.lastHeartbeatAt),
    expires_at: iso(l.expiresAt),
    ended_at: iso(l.endedAt),
    end_reason: l.endReason ?? null,
    report: l.report ?? null,
  };
}

export function limitsJson(s: LeaseScheduler, lease?: Lease) {
  const ttl = s.settings.ttlMs / 1000;
  return {
    heartbeat_ttl_sec: ttl,
    heartbeat_interval_sec: Math.round((ttl / 3) * 1000) / 1000,
    max_leases: s.settings.maxLeases,
    max_per_addon: s.settings.maxPerAddon,
    ...(lease ? { cost_units: lease.request.costUnits, expires_at: iso(lease.expiresAt) } : {}),
  };
}

function queueJson(view: Extract<TicketView, { status: 'waiting' }>) {
  const id = view.ticket.id;
  return {
    queue_id: id,
    position: view.position,
    length: view.length,
    queued_at: iso(view.ticket.enqueuedAt),
    poll: `/api/scheduler/queue/${encodeURIComponent(id)}?wait_sec=25`,
  };
}

/** HeavyLeaseResponse (plus the quiet state and, for a queued request, where it waits). */
export function leaseResponse(s: LeaseScheduler, decision: Decision, lease?: Lease, queued?: TicketView) {
  return {
    approved: lease !== undefined,
    lease_id: lease?.id ?? null,
    retry_after_sec: lease ? null : decision.retryAfterSec,
    limits: limitsJson(s, lease),
    reason: decision.reason,
    quiet_state: s.quietView?.state ?? null,
    ...(queued?.status === 'waiting' ? { queue: queueJson(queued) } : {}),
  };
}

/** A queue poll's answer: the grant once it happened, else the current position and reason. */
export function ticketResponse(s: LeaseScheduler, view: TicketView) {
  if (view.status === 'granted') return leaseResponse(s, view.decision, view.lease);
  return leaseResponse(s, view.ticket.decision, undefined, view);
}

/** The seed's per-addon decision summary: counts, last result and reason, when to come back. */
export function addonsJson(s: LeaseScheduler, nowMs: number) {
  const active = s.activeLeases();
  return Object.fromEntries(
    [...s.addonSummaries()].map(([id, a]) => {
      const mine = active.filter((l) => l.request.addonId === id);
      const summary = {
        requests: a.requests,
        granted: a.granted,
        denied: a.denied,
        queued: a.queued,
        active: mine.length,
        active_units: mine.reduce((n, l) => n + l.request.costUnits, 0),
        last_result: a.lastResult,
        last_reason: a.lastReason,
        last_decision_at: iso(a.lastDecisionAt),
        cooldown_until: a.retryNotBefore !== undefined && a.retryNotBefore > nowMs ? iso(a.retryNotBefore) : null,
      };
      return [id, summary] as const;
    }),
  );
}

/**
 * Whether statusJson at a later time can differ with nothing changed (the same revision): a request
 * waits (its waiting time grows), a cool-down runs, or an addon's retry window is open.
 */
export function statusMovesWithTime(s: LeaseScheduler, nowMs: number): boolean {
  if (s.queued().length > 0) return true;
  const cooldown = s.cooldownUntil();
  if (cooldown !== undefined && cooldown > nowMs) return true;
  for (const a of s.addonSummaries().values()) if (a.retryNotBefore !== undefined && a.retryNotBefore > nowMs) return true;
  return false;
}

export function statusJson(s: LeaseScheduler, nowMs: number) {
  const limit = s.capacity();
  const used = s.usedUnits();
  const cooldown = s.cooldownUntil();
  const state = s.quietView?.state;
  return {
    generated_at: iso(nowMs),
    capacity: {
      configured_units: s.settings.capacityUnits,
      headroom_units: s.settings.headroomUnits,
      state_factor: state === undefined ? 0 : STATE_FACTOR[state],
      limit_units: limit,
      used_units: used,
      available_units: Math.max(0, limit - used),
      formula: 'limit = floor((capacity - headroom) x factor), factor QUIET 1, NORMAL 0.75, BUSY 0.5, PANIC 0',
    },
    cooldown: { active: cooldown !== undefined && cooldown > nowMs, until: cooldown !== undefined && cooldown > nowMs ? iso(cooldown) : null },
    limits: { ...limitsJson(s), queue_max: s.settings.queueMax, panic_cooldown_sec: s.settings.cooldownMs / 1000 },
    active: s.activeLeases().map(leaseJson),
    recent: s.recent().map(leaseJson),
    queue: s.queued().map(({ ticket, position }) => ({
      queue_id: ticket.id,
      position,
      addon_id: ticket.addonId,
      job_type: ticket.request.jobType,
      cost_units: ticket.request.costUnits,
      priority: ticket.priority,
      queued_at: iso(ticket.enqueuedAt),
      waiting_sec: Math.round((nowMs - ticket.enqueuedAt) / 1000),
      reason: ticket.decision.reason,
      retry_after_sec: ticket.decision.retryAfterSec,
    })),
    addons: addonsJson(s, nowMs),
    decisions: s.decisionCounts(),
  };
}
