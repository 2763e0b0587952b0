// Lease persistence in the agent's SQLite store: the leases table (one row per lease, updated in
// place, what a restart restores), the lease_events audit trail, and the last time PANIC was in force.
//
// Writes are behind the decisions: they queue in memory and go to SQLite in one transaction per
// event-loop turn (and before any read, and at shutdown), so a lease decision never waits for the
// disk. An agent that crashes loses at most the writes of its last turn; a graceful stop loses none.
import type { Db } from '../store/store.js';
import type { Constraints, Lease, LeaseReport, LeaseState, Priority } from './types.js';

export const EVENT_KINDS = ['grant', 'deny', 'release', 'expire', 'revoke', 'report', 'restore'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface LeaseEvent {
  readonly at: number;
  readonly event: EventKind;
  readonly leaseId?: string;
  readonly addonId: string;
  readonly jobType?: string;
  readonly costUnits?: number;
  readonly priority?: Priority;
  readonly reason: string;
}

/** What the scheduler needs from storage; LeaseRepo is the SQLite one. */
export interface LeaseLog {
  /** Leases stored as ACTIVE (after a restart: the ones to restore or expire). */
  active(): Lease[];
  find(id: string): Lease | undefined;
  /** The most recently ended leases, newest first. */
  recent(limit: number): Lease[];
  /** Stores the lease's current row and, in the same transaction, the event. */
  save(lease: Lease, event?: LeaseEvent): void;
  event(e: LeaseEvent): void;
  /** Writes whatever is still queued. */
  flush(): void;
  lastPanicAt(): number | undefined;
  setLastPanicAt(ms: number): void;
}

interface LeaseRow {
  lease_id: string;
  addon_id: string;
  job_type: string;
  cost_units: number;
  priority: string;
  constraints_json: string;
  expected_duration_sec: number | null;
  state: string;
  granted_at: number;
  last_heartbeat_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
  report_json: string | null;
}

function fromRow(r: LeaseRow): Lease {
  return {
    id: r.lease_id,
    request: {
      addonId: r.addon_id,
      jobType: r.job_type,
      costUnits: r.cost_units,
      priority: r.priority as Priority,
      expectedDurationSec: r.expected_duration_sec ?? undefined,
      constraints: JSON.parse(r.constraints_json) as Constraints,
    },
    state: r.state as LeaseState,
    grantedAt: r.granted_at,
    lastHeartbeatAt: r.last_heartbeat_at,
    expiresAt: r.expires_at,
    endedAt: r.ended_at ?? undefined,
    endReason: r.end_reason ?? undefined,
    report: r.report_json === null ? undefined : (JSON.parse(r.report_json) as LeaseReport),
  };
}

function leaseParams(lease: Lease) {
  return {
    lease_id: lease.id,
    addon_id: lease.request.addonId,
    job_type: lease.request.jobType,
    cost_units: lease.request.costUnits,
    priority: lease.request.priority,
    constraints_json: JSON.stringify(lease.request.constraints),
    expected_duration_sec: lease.request.expectedDurationSec ?? null,
    state: lease.state,
    granted_at: lease.grantedAt,
    last_heartbeat_at: lease.lastHeartbeatAt,
    expires_at: lease.expiresAt,
    ended_at: lease.endedAt ?? null,
    end_reason: lease.endReason ?? null,
    report_json: lease.report === undefined ? null : JSON.stringify(lease.report),
  };
}

function eventParams(e: LeaseEvent) {
  return {
    at: e.at,
    event: e.event,
    lease_id: e.leaseId ?? null,
    addon_id: e.addonId,
    job_type: e.jobType ?? null,
    cost_units: e.costUnits ?? null,
    priority: e.priority ?? null,
    reason: e.reason,
  };
}

type Write = { readonly lease?: ReturnType<typeof leaseParams>; readonly event?: ReturnType<typeof eventParams> };

export class LeaseRepo implements LeaseLog {
  private readonly upsert;
  private readonly insertEvent;
  private readonly byId;
  private readonly activeRows;
  private readonly recentRows;
  private readonly stateGet;
  private readonly stateSet;
  private readonly writeAll;
  private queued: Write[] = [];
  private flushing = false;

  /**
   * `onError` hears about a batch that could not be written (a full disk): it is dropped, not retried;
   * `onWritten` about each batch written.
   */
  constructor(
    readonly db: Db,
    private readonly onError: (err: Error) => void = () => undefined,
    private readonly onWritten: () => void = () => undefined,
  ) {
    this.upsert = db.prepare(`
      INSERT INTO leases (lease_id, addon_id, job_type, cost_units, priority, constraints_json, expected_duration_sec,
                          state, granted_at, last_heartbeat_at, expires_at, ended_at, end_reason, report_json)
      VALUES (@lease_id, @addon_id, @job_type, @cost_units, @priority, @constraints_json, @expected_duration_sec,
              @state, @granted_at, @last_heartbeat_at, @expires_at, @ended_at, @end_reason, @report_json)
      ON CONFLICT (lease_id) DO UPDATE SET state = excluded.state, last_heartbeat_at = excluded.last_heartbeat_at,
        expires_at = excluded.expires_at, ended_at = excluded.ended_at, end_reason = excluded.end_reason,
        report_json = excluded.report_json`);
    this.insertEvent = db.prepare(`
      INSERT INTO lease_events (at, event, lease_id, addon_id, job_type, cost_units, priority, reason)
      VALUES (@at, @event, @lease_id, @addon_id, @job_type, @cost_units, @priority, @reason)`);
    this.byId = db.prepare('SELECT * FROM leases WHERE lease_id = ?');
    this.activeRows = db.prepare("SELECT * FROM leases WHERE state = 'ACTIVE' ORDER BY granted_at, lease_id");
    this.recentRows = db.prepare(
      "SELECT * FROM leases WHERE state != 'ACTIVE' ORDER BY ended_at DESC, lease_id DESC LIMIT ?",
    );
    this.stateGet = db.prepare('SELECT value FROM scheduler_state WHERE key = ?').pluck();
    this.stateSet = db.prepare(
      'INSERT INTO scheduler_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.writeAll = db.transaction((writes: readonly Write[]) => {
      for (const w of writes) {
        if (w.lease) this.upsert.run(w.lease);
        if (w.event) this.insertEvent.run(w.event);
      }
    });
  }

  active(): Lease[] {
    this.flush();
    return (this.activeRows.all() as LeaseRow[]).map(fromRow);
  }

  find(id: string): Lease | undefined {
    this.flush();
    const row = this.byId.get(id) as LeaseRow | undefined;
    return row && fromRow(row);
  }

  recent(limit: number): Lease[] {
    this.flush();
    return (this.recentRows.all(limit) as LeaseRow[]).map(fromRow);
  }

  save(lease: Lease, event?: LeaseEvent): void {
    // The row is taken now: the lease object keeps changing after this call.
    this.enqueue({ lease: leaseParams(lease), event: event && eventParams(event) });
  }

  event(e: LeaseEvent): void {
    this.enqueue({ event: eventParams(e) });
  }

  /** Writes queued and not stored yet. */
  get pendingWrites(): number {
    return this.queued.length;
  }

  flush(): void {
    if (this.queued.length === 0) return;
    const writes = this.queued;
    this.queued = [];
    this.writeAll(writes);
  }

  private enqueue(w: Write): void {
    this.queued.push(w);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      try {
        this.flush();
        this.onWritten();
      } catch (err) {
        this.onError(err as Error);
      }
    });
  }

  lastPanicAt(): number | undefined {
    return (this.stateGet.get('last_panic_at') as number | undefined) ?? undefined;
  }

  setLastPanicAt(ms: number): void {
    // Called from the collection: a store that cannot write (full disk) is reported, never thrown into it.
    try {
      this.stateSet.run('last_panic_at', ms);
      this.onWritten();
    } catch (err) {
      this.onError(err as Error);
    }
  }

  /** Events, newest first (tests, audits). */
  events(limit = 100): (LeaseEvent & { id: number })[] {
    this.flush();
    const rows = this.db
      .prepare('SELECT * FROM lease_events ORDER BY id DESC LIMIT ?')
      .all(limit) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: r.id as number,
      at: r.at as number,
      event: r.event as EventKind,
      leaseId: (r.lease_id as string | null) ?? undefined,
      addonId: r.addon_id as string,
      jobType: (r.job_type as string | null) ?? undefined,
      costUnits: (r.cost_units as number | null) ?? undefined,
      priority: (r.priority as Priority | null) ?? undefined,
      reason: r.reason as string,
    }));
  }
}
