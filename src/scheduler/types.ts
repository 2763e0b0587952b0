// The scheduler's vocabulary, shared by the quiet assessment, the policy, the lease store and the API.

/** Quiet states from best to worst; the order is the severity rank. */
export const QUIET_STATES = ['QUIET', 'NORMAL', 'BUSY', 'PANIC'] as const;
export type QuietState = (typeof QUIET_STATES)[number];

export function stateRank(state: QuietState): number {
  return QUIET_STATES.indexOf(state);
}

export const PRIORITIES = ['LOW', 'NORMAL', 'HIGH'] as const;
export type Priority = (typeof PRIORITIES)[number];

export function priorityRank(priority: Priority): number {
  return PRIORITIES.indexOf(priority);
}

/** Lease states; the seed keeps the values uppercase. */
export const LEASE_STATES = ['ACTIVE', 'RELEASED', 'EXPIRED', 'REVOKED'] as const;
export type LeaseState = (typeof LEASE_STATES)[number];

export interface Constraints {
  readonly cpu_heavy: boolean;
  readonly disk_write_heavy: boolean;
  readonly network_heavy: boolean;
}

/** A lease request after validation: cost resolved to units, priority normalized. */
export interface LeaseRequest {
  readonly addonId: string;
  readonly jobType: string;
  readonly costUnits: number;
  readonly priority: Priority;
  readonly expectedDurationSec: number | undefined;
  readonly constraints: Constraints;
}

/** Progress and accounting a holder reports (with /report, or with /release as the final figures). */
export interface LeaseReport {
  readonly progress_pct?: number;
  readonly message?: string;
  readonly exit_code?: number;
  readonly cpu_seconds?: number;
  readonly wall_seconds?: number;
  readonly bytes_read?: number;
  readonly bytes_written?: number;
  readonly items_done?: number;
}

export interface Lease {
  readonly id: string;
  readonly request: LeaseRequest;
  state: LeaseState;
  readonly grantedAt: number;
  lastHeartbeatAt: number;
  expiresAt: number;
  endedAt: number | undefined;
  endReason: string | undefined;
  report: LeaseReport | undefined;
}

/** What the scheduler needs to know about the host's state at a decision. */
export interface QuietView {
  readonly state: QuietState;
  readonly score: number;
  /** The earliest the state could be QUIET, in ms from now (0 when it is QUIET). */
  readonly msUntilQuiet: number;
}
