// The lease scheduler: active leases, the wait queue and its dispatcher, expiry, cool-down, and the
// audit trail. Every operation is synchronous, so two requests can never both take the last units:
// the event loop runs one decision at a time. Its store writes queue behind it (see lease-repo.ts).
//
// Expiry: a lease lapses `ttl` after its last heartbeat (or report). Every operation first expires
// lapsed leases, and a timer armed at the earliest deadline does the same when nothing happens, so
// expiry frees capacity at once and the dispatcher hands it to waiting requests.
//
// Restart: leases stored as ACTIVE whose deadline is still ahead are restored with that deadline
// (their holders keep heartbeating and notice nothing); the others are expired, with ended_at set
// to their deadline. The wait queue is not persisted: its callers poll, learn that their queue_id is
// gone (404) and ask again. The last time PANIC was in force is stored, so a cool-down survives too.
// Deadlines are wall-clock times (ms since the epoch), so they mean the same after a restart.
import { randomUUID } from 'node:crypto';
import { type CapacitySettings, capacityLimit, maxCapacity } from './capacity.js';
import { type Clock, systemClock } from './clock.js';
import type { EventKind, LeaseLog } from './lease-repo.js';
import { type ActiveLease, type Decision, decide, type ReasonCode } from './policy.js';
import { WaitQueue } from './queue.js';
import { type Lease, type LeaseReport, type LeaseRequest, type LeaseState, priorityRank, type QuietView } from './types.js';

export interface SchedulerSettings extends CapacitySettings {
  readonly ttlMs: number;
  readonly maxLeases: number;
  readonly maxPerAddon: number;
  readonly cooldownMs: number;
  /** The collection interval: the state cannot change faster. */
  readonly intervalMs: number;
  readonly queueMax: number;
}

/** Ended leases kept in memory for status. */
export const RECENT_LEASES = 50;
/** Granted queue tickets remembered so a late poll still learns its lease. */
const GRANTED_TICKETS = 1024;
const ADDON_SUMMARIES = 1000;
/** While PANIC lasts, its time is stored at most this often (all of the cool-down a kill -9 can lose). */
const PANIC_STORE_EVERY_MS = 30_000;

/** A lease id that was never granted. */
export class LeaseNotFoundError extends Error {
  readonly field = 'lease_id';
  constructor(id: string) {
    super(`no lease with id ${JSON.stringify(id)}`);
    this.name = 'LeaseNotFoundError';
  }
}

/** An operation on a lease that is no longer ACTIVE. */
export class LeaseStateError extends Error {
  readonly field = 'lease_id';
  constructor(readonly lease: Lease) {
    super(`lease ${lease.id} is ${lease.state}${lease.endReason ? `: ${lease.endReason}` : ''}`);
    this.name = 'LeaseStateError';
  }
}

/** A request the scheduler refuses outright (never fits, queue full, ticket unknown or granted). */
export class SchedulerRequestError extends Error {
  constructor(
    readonly status: 404 | 409 | 429,
    message: string,
    readonly field: string,
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'SchedulerRequestError';
  }
}

export interface Ticket {
  readonly id: string;
  readonly addonId: string;
  readonly priority: LeaseRequest['priority'];
  readonly request: LeaseRequest;
  readonly enqueuedAt: number;
  /** Dropped when nobody polled it by then (the caller went away). */
  pollDeadline: number;
  /** Why it still waits (from the latest dispatch). */
  decision: Decision;
}

export type TicketView =
  | { readonly status: 'waiting'; readonly ticket: Ticket; readonly position: number; readonly length: number }
  | { readonly status: 'granted'; readonly ticketId: string; readonly lease: Lease; readonly decision: Decision };

export interface RequestOutcome {
  readonly decision: Decision;
  readonly lease?: Lease;
  readonly queued?: TicketView;
}

export interface AddonSummary {
  /** Requests received (a queued request that is granted later counts once). */
  requests: number;
  granted: number;
  denied: number;
  queued: number;
  lastResult: DecisionResult;
  lastReason: string;
  lastDecisionAt: number;
  /** When the last denial told the addon to come back. */
  retryNotBefore: number | undefined;
}

export type DecisionResult = 'approved' | 'denied' | 'queued';

export interface DecisionCount {
  readonly result: DecisionResult;
  readonly reason: ReasonCode;
  readonly count: number;
}

export interface SchedulerDeps {
  readonly log: LeaseLog;
  readonly clock?: Clock;
  /** Called with problems worth a log line (never for ordinary decisions). */
  readonly warn?: (message: string, fields?: Record<string, unknown>) => void;
}

export class LeaseScheduler {
  private readonly clock: Clock;
  private readonly log: LeaseLog;
  /**
   * Active leases in expiry order: every grant and heartbeat sets the deadline to now + TTL, the
   * latest of all, and moves the lease to the end. Expiry then looks at the front only, and retry
   * estimates need no sorting.
   */
  private readonly active = new Map<string, Lease>();
  private activeList: ActiveLease[] | undefined;
  /** No lease or queue deadline falls before this (a lower bound: sweeps before it have nothing to do). */
  private nextDue = Infinity;
  private recentLeases: Lease[] = [];
  private readonly queue = new WaitQueue<Ticket>();
  private readonly grantedTickets = new Map<string, { leaseId: string; decision: Decision }>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly decisions = new Map<string, DecisionCount>();
  private readonly addons = new Map<string, AddonSummary>();
  private quiet: QuietView | undefined;
  private quietAt = 0;
  private lastPanicAt: number | undefined;
  /** The lastPanicAt the store holds. */
  private storedPanicAt: number | undefined;
  private cancelTimer: (() => void) | undefined;
  private timerAt: number | undefined;
  private closed = false;
  private changes = 0;

  constructor(
    readonly settings: SchedulerSettings,
    private readonly deps: SchedulerDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log;
  }

  /** Restores or expires the leases a previous run left ACTIVE (see the header); returns both lists. */
  start(): { restored: Lease[]; expired: Lease[] } {
    const now = this.clock.now();
    const restored: Lease[] = [];
    const expired: Lease[] = [];
    this.recentLeases = this.log.recent(RECENT_LEASES);
    for (const lease of this.log.active().sort((a, b) => a.expiresAt - b.expiresAt)) {
      if (lease.expiresAt > now) {
        this.setActive(lease);
        this.record(lease, 'restore', `restored after agent restart; expires in ${Math.ceil((lease.expiresAt - now) / 1000)}s`);
        restored.push(lease);
      } else {
        this.end(lease, 'EXPIRED', 'expired while the agent was down', 'expire', lease.expiresAt);
        expired.push(lease);
      }
    }
    this.lastPanicAt = this.log.lastPanicAt();
    this.storedPanicAt = this.lastPanicAt;
    this.arm();
    return { restored, expired };
  }

  /** A new assessment: remembers PANIC for the cool-down and lets the queue move if the state allows. */
  observe(view: QuietView): void {
    const now = this.clock.now();
    const wasPanic = this.quiet?.state === 'PANIC';
    if (view.state !== this.quiet?.state) this.changes++;
    this.quiet = view;
    this.quietAt = now;
    // The store keeps the cool-down across restarts: written when PANIC starts, while it lasts at most
    // every PANIC_STORE_EVERY_MS, and when it ends (or the scheduler closes), not at every collection.
    if (view.state === 'PANIC') {
      this.lastPanicAt = now;
      if (!wasPanic || now - (this.storedPanicAt ?? 0) >= PANIC_STORE_EVERY_MS) this.storePanicAt();
    } else if (wasPanic) {
      this.storePanicAt();
    }
    this.sweep(now);
    this.dispatch(now);
    this.arm();
  }

  now(): number {
    return this.clock.now();
  }

  /**
   * Counts changes to what the status shows: leases granted, extended or ended, decisions, the queue,
   * the quiet state. The same revision means the same status but for what moves with the clock
   * (statusMovesWithTime in json.ts), so a reader can skip building it again.
   */
  get revision(): number {
    return this.changes;
  }

  get quietView(): QuietView | undefined {
    return this.quiet;
  }

  capacity(): number {
    return capacityLimit(this.settings, this.quiet?.state);
  }

  usedUnits(): number {
    let used = 0;
    for (const l of this.active.values()) used += l.request.costUnits;
    return used;
  }

  cooldownUntil(): number | undefined {
    return this.lastPanicAt === undefined ? undefined : this.lastPanicAt + this.settings.cooldownMs;
  }

  activeLeases(): Lease[] {
    return [...this.active.values()];
  }

  recent(): readonly Lease[] {
    return this.recentLeases;
  }

  queued(): { ticket: Ticket; position: number }[] {
    return this.queue.order().map((ticket, i) => ({ ticket, position: i + 1 }));
  }

  addonSummaries(): ReadonlyMap<string, AddonSummary> {
    return this.addons;
  }

  decisionCounts(): DecisionCount[] {
    return [...this.decisions.values()];
  }

  request(req: LeaseRequest, wait: boolean): RequestOutcome {
    const now = this.clock.now();
    this.sweep(now);
    const most = maxCapacity(this.settings);
    if (req.costUnits > most) {
      throw new SchedulerRequestError(
        409,
        `cost_units ${req.costUnits} exceeds the most this host ever grants (${most} = scheduler-capacity ${this.settings.capacityUnits} - headroom ${this.settings.headroomUnits})`,
        'cost_units',
      );
    }
    const decision = this.evaluate(req, this.aheadOf(req.priority), now);
    if (decision.approved) return { decision, lease: this.grant(req, decision, now, undefined) };
    if (!wait) {
      this.count(req, 'denied', decision, now);
      this.log.event({ ...eventOf(req), at: now, event: 'deny', reason: decision.reason });
      return { decision };
    }
    if (this.queue.size >= this.settings.queueMax) {
      throw new SchedulerRequestError(
        429,
        `the wait queue is full (${this.settings.queueMax} requests); retry later`,
        'wait',
        decision.retryAfterSec ?? 1,
      );
    }
    const ticket: Ticket = {
      id: `q-${randomUUID()}`,
      addonId: req.addonId,
      priority: req.priority,
      request: req,
      enqueuedAt: now,
      pollDeadline: now + this.settings.ttlMs,
      decision,
    };
    this.queue.add(ticket);
    this.changes++;
    this.nextDue = Math.min(this.nextDue, ticket.pollDeadline);
    this.count(req, 'queued', decision, now);
    this.log.event({ ...eventOf(req), at: now, event: 'deny', reason: `queued: ${decision.reason}` });
    this.arm();
    return { decision, queued: this.ticket(ticket.id) };
  }

  heartbeat(id: string): Lease {
    const now = this.clock.now();
    const lease = this.live(id, now);
    this.extend(lease, now);
    this.log.save(lease);
    return lease;
  }

  /** Progress and accounting; also proves the holder is alive (extends the lease like a heartbeat). */
  report(id: string, report: LeaseReport): Lease {
    const now = this.clock.now();
    const lease = this.live(id, now);
    lease.report = { ...lease.report, ...report };
    this.extend(lease, now);
    this.log.save(lease, { ...eventOf(lease.request, lease.id), at: now, event: 'report', reason: describeReport(report) });
    return lease;
  }

  release(id: string, report: LeaseReport | undefined): Lease {
    const now = this.clock.now();
    const lease = this.live(id, now);
    if (report) lease.report = { ...lease.report, ...report };
    this.end(lease, 'RELEASED', 'released by its holder', 'release', now);
    this.afterChange(now);
    return lease;
  }

  revoke(id: string, reason: string | undefined): Lease {
    const now = this.clock.now();
    const lease = this.live(id, now);
    this.end(lease, 'REVOKED', reason ? `revoked: ${reason}` : 'revoked by an operator', 'revoke', now);
    this.afterChange(now);
    return lease;
  }

  /** Any lease this agent granted: active, recent or stored. */
  lease(id: string): Lease | undefined {
    this.sweep(this.clock.now());
    return this.active.get(id) ?? this.recentLeases.find((l) => l.id === id) ?? this.log.find(id);
  }

  ticket(id: string): TicketView {
    const t = this.queue.get(id);
    if (t) return { status: 'waiting', ticket: t, position: this.queue.position(id), length: this.queue.size };
    const granted = this.grantedTickets.get(id);
    const lease = granted && this.lease(granted.leaseId);
    if (granted && lease) return { status: 'granted', ticketId: id, lease, decision: granted.decision };
    throw new SchedulerRequestError(404, `no queued request with queue_id ${JSON.stringify(id)} (it was served long ago, cancelled, dropped after no poll for the lease TTL, or the agent restarted): request again`, 'queue_id');
  }

  /** Long poll: resolves when the ticket is granted or cancelled, or after `ms`; each poll keeps it queued. */
  async waitTicket(id: string, ms: number): Promise<TicketView> {
    const now = this.clock.now();
    this.sweep(now);
    const first = this.touch(this.ticket(id), now);
    if (first.status === 'granted' || ms <= 0 || this.closed) return first;
    await new Promise<void>((resolve) => {
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      const done = (): void => {
        cancel();
        set.delete(done);
        if (set.size === 0) this.waiters.delete(id);
        resolve();
      };
      const cancel = this.clock.schedule(ms, done);
      set.add(done);
    });
    return this.touch(this.ticket(id), this.clock.now());
  }

  cancelTicket(id: string): Ticket {
    const view = this.ticket(id);
    if (view.status === 'granted') {
      throw new SchedulerRequestError(409, `queue_id ${id} was already granted as lease ${view.lease.id}: release that lease`, 'queue_id');
    }
    this.queue.remove(id);
    this.changes++;
    this.wake(id);
    const now = this.clock.now();
    this.dispatch(now);
    this.arm();
    return view.ticket;
  }

  /** Stops the timer and answers every long poll (shutdown). */
  close(): void {
    this.closed = true;
    this.storePanicAt();
    this.log.flush();
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    for (const id of [...this.waiters.keys()]) this.wake(id);
  }

  private storePanicAt(): void {
    if (this.lastPanicAt === undefined || this.lastPanicAt === this.storedPanicAt) return;
    this.log.setLastPanicAt(this.lastPanicAt);
    this.storedPanicAt = this.lastPanicAt;
  }

  private touch(view: TicketView, now: number): TicketView {
    if (view.status === 'waiting') {
      view.ticket.pollDeadline = now + this.settings.ttlMs;
      this.nextDue = Math.min(this.nextDue, view.ticket.pollDeadline);
      this.arm();
    }
    return view;
  }

  private wake(ticketId: string): void {
    for (const done of [...(this.waiters.get(ticketId) ?? [])]) done();
  }

  private evaluate(req: LeaseRequest, queuedAhead: number, now: number): Decision {
    this.activeList ??= [...this.active.values()].map((l) => ({
      addonId: l.request.addonId,
      costUnits: l.request.costUnits,
      expiresAt: l.expiresAt,
    }));
    const q = this.quiet;
    return decide({
      nowMs: now,
      request: req,
      // The hold counted down since the assessment.
      quiet: q && { ...q, msUntilQuiet: Math.max(0, q.msUntilQuiet - (now - this.quietAt)) },
      cooldownUntilMs: this.cooldownUntil() ?? 0,
      cooldownMs: this.settings.cooldownMs,
      capacity: this.capacity(),
      active: this.activeList,
      maxLeases: this.settings.maxLeases,
      maxPerAddon: this.settings.maxPerAddon,
      queuedAhead,
      intervalMs: this.settings.intervalMs,
    });
  }

  /** Waiting requests served before a new one of this priority that are blocked on capacity or slots. */
  private aheadOf(priority: LeaseRequest['priority']): number {
    let n = 0;
    for (const t of this.queue.order()) {
      if (priorityRank(t.priority) < priorityRank(priority)) break;
      if (t.decision.code !== 'addon_limit' && t.decision.code !== 'not_quiet') n++;
    }
    return n;
  }

  /** Grants what the queue allows, in queue order, without letting a smaller request pass a blocked one. */
  private dispatch(now: number): void {
    if (this.queue.size === 0) return;
    let ahead = 0;
    for (const t of this.queue.order()) {
      const d = this.evaluate(t.request, ahead, now);
      if (!d.approved) {
        t.decision = d;
        // Waiting on its own addon's cap or on QUIET (lower priority) holds nobody else back.
        if (d.code !== 'addon_limit' && d.code !== 'not_quiet') ahead++;
        continue;
      }
      this.queue.remove(t.id, true);
      this.changes++;
      const lease = this.grant(t.request, d, now, t);
      this.grantedTickets.set(t.id, { leaseId: lease.id, decision: d });
      if (this.grantedTickets.size > GRANTED_TICKETS) this.grantedTickets.delete(this.grantedTickets.keys().next().value!);
      this.wake(t.id);
    }
  }

  private grant(req: LeaseRequest, decision: Decision, now: number, ticket: Ticket | undefined): Lease {
    const lease: Lease = {
      id: randomUUID(),
      request: req,
      state: 'ACTIVE',
      grantedAt: now,
      lastHeartbeatAt: now,
      expiresAt: now + this.settings.ttlMs,
      endedAt: undefined,
      endReason: undefined,
      report: undefined,
    };
    const waited = ticket ? ` (after ${Math.round((now - ticket.enqueuedAt) / 1000)}s in the queue)` : '';
    this.log.save(lease, { ...eventOf(req, lease.id), at: now, event: 'grant', reason: decision.reason + waited });
    this.setActive(lease);
    this.count(req, 'approved', decision, now, ticket !== undefined);
    this.arm();
    return lease;
  }

  private setActive(lease: Lease): void {
    this.changes++;
    this.active.delete(lease.id);
    this.active.set(lease.id, lease);
    this.activeList = undefined;
    this.nextDue = Math.min(this.nextDue, lease.expiresAt);
  }

  private extend(lease: Lease, now: number): void {
    lease.lastHeartbeatAt = now;
    lease.expiresAt = now + this.settings.ttlMs;
    this.setActive(lease);
  }

  private end(lease: Lease, state: LeaseState, reason: string, event: EventKind, at: number): void {
    this.changes++;
    this.active.delete(lease.id);
    this.activeList = undefined;
    lease.state = state;
    lease.endedAt = at;
    lease.endReason = reason;
    this.log.save(lease, { ...eventOf(lease.request, lease.id), at, event, reason });
    this.recentLeases.unshift(lease);
    if (this.recentLeases.length > RECENT_LEASES) this.recentLeases.pop();
  }

  private record(lease: Lease, event: EventKind, reason: string): void {
    this.log.event({ ...eventOf(lease.request, lease.id), at: this.clock.now(), event, reason });
  }

  /** The ACTIVE lease `id`, or the right error: 409 for a lease that ended, 404 for one never granted. */
  private live(id: string, now: number): Lease {
    this.sweep(now);
    const lease = this.active.get(id);
    if (lease) return lease;
    const ended = this.recentLeases.find((l) => l.id === id) ?? this.log.find(id);
    if (ended) throw new LeaseStateError(ended);
    throw new LeaseNotFoundError(id);
  }

  /** Expires lapsed leases and drops tickets nobody polls; lets the queue move when anything changed. */
  private sweep(now: number): void {
    if (now < this.nextDue) return;
    let changed = false;
    for (const lease of this.active.values()) {
      // Expiry order: the first lease still within its deadline ends the scan.
      if (lease.expiresAt > now) break;
      this.end(lease, 'EXPIRED', `no heartbeat for ${Math.round(this.settings.ttlMs / 1000)}s`, 'expire', lease.expiresAt);
      changed = true;
    }
    let due = this.active.values().next().value?.expiresAt ?? Infinity;
    for (const t of this.queue.order()) {
      if (this.waiters.has(t.id)) continue;
      if (t.pollDeadline <= now) {
        this.queue.remove(t.id);
        this.changes++;
        this.deps.warn?.('dropped a queued lease request nobody polled', { queue_id: t.id, addon_id: t.addonId });
        changed = true;
      } else {
        due = Math.min(due, t.pollDeadline);
      }
    }
    this.nextDue = due;
    if (changed) this.afterChange(now);
  }

  private afterChange(now: number): void {
    this.dispatch(now);
    this.arm();
  }

  /** One timer at the next moment something is due: a lease or ticket deadline, the cool-down end. */
  private arm(): void {
    if (this.closed) return;
    const now = this.clock.now();
    let at = this.nextDue;
    const cooldown = this.cooldownUntil();
    if (cooldown !== undefined && cooldown > now && this.queue.size > 0) at = Math.min(at, cooldown);
    if (at === this.timerAt) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = undefined;
    if (at === Infinity) return;
    this.timerAt = at;
    this.cancelTimer = this.clock.schedule(at - now, () => {
      this.cancelTimer = undefined;
      this.timerAt = undefined;
      const t = this.clock.now();
      this.sweep(t);
      this.dispatch(t);
      this.arm();
    });
  }

  private count(req: LeaseRequest, result: DecisionResult, d: Decision, now: number, fromQueue = false): void {
    this.changes++;
    const key = `${result}/${d.code}`;
    const c = this.decisions.get(key);
    this.decisions.set(key, { result, reason: d.code, count: (c?.count ?? 0) + 1 });
    const previous = this.addons.get(req.addonId);
    this.addons.delete(req.addonId);
    const summary: AddonSummary = previous ?? {
      requests: 0,
      granted: 0,
      denied: 0,
      queued: 0,
      lastResult: result,
      lastReason: '',
      lastDecisionAt: now,
      retryNotBefore: undefined,
    };
    if (!fromQueue) summary.requests += 1;
    summary[result === 'approved' ? 'granted' : result] += 1;
    summary.lastResult = result;
    summary.lastReason = d.reason;
    summary.lastDecisionAt = now;
    summary.retryNotBefore = d.retryAfterSec === null ? undefined : now + d.retryAfterSec * 1000;
    this.addons.set(req.addonId, summary);
    if (this.addons.size > ADDON_SUMMARIES) this.addons.delete(this.addons.keys().next().value!);
  }
}

function eventOf(req: LeaseRequest, leaseId?: string) {
  return { leaseId, addonId: req.addonId, jobType: req.jobType, costUnits: req.costUnits, priority: req.priority };
}

function describeReport(r: LeaseReport): string {
  const parts = Object.entries(r).map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  return parts.length ? `report ${parts.join(' ')}` : 'report (empty)';
}
