// Request bodies of the scheduler API (seed 002's HeavyLeaseRequest and friends), validated with zod.
// Optional fields also accept null, as the seed's Pydantic clients send them.
import { z } from 'zod';
import { ID_EXPECTED, ID_PATTERN } from '../builds/schemas.js';
import { type LeaseReport, type LeaseRequest, PRIORITIES } from './types.js';

export const COST_CLASSES = ['LOW', 'NORMAL', 'HIGH'] as const;
/** The legacy cost_class mapped to units, used when cost_units (canonical) is absent. */
export const COST_CLASS_UNITS: Readonly<Record<(typeof COST_CLASSES)[number], number>> = { LOW: 10, NORMAL: 25, HIGH: 50 };
/** The longest a queue poll may hold the connection. */
export const MAX_WAIT_SEC = 30;

export const SchedulerId = z.string().regex(ID_PATTERN, ID_EXPECTED);

/** Any case accepted ("high", "High"), answered uppercase. */
const upper = <T extends readonly [string, ...string[]]>(values: T) => z.string().trim().toUpperCase().pipe(z.enum(values));

export const HeavyLeaseRequest = z.object({
  addon_id: SchedulerId,
  job_type: z.string().trim().min(1, 'expected a non-empty job type').max(128, 'expected at most 128 characters').nullish(),
  cost_units: z.number().int('expected a whole number of units').min(1).max(100).nullish(),
  cost_class: upper(COST_CLASSES).nullish(),
  expected_duration_sec: z.number().positive().max(30 * 86_400).nullish(),
  priority: upper(PRIORITIES).nullish(),
  constraints: z
    .object({
      cpu_heavy: z.boolean().nullish(),
      disk_write_heavy: z.boolean().nullish(),
      network_heavy: z.boolean().nullish(),
    })
    .nullish(),
  /** Join the wait queue when denied (the answer carries a queue_id to poll). */
  wait: z.boolean().nullish(),
});
export type HeavyLeaseRequestBody = z.input<typeof HeavyLeaseRequest>;

export function toLeaseRequest(body: z.output<typeof HeavyLeaseRequest>): LeaseRequest {
  return {
    addonId: body.addon_id,
    jobType: body.job_type ?? 'default',
    costUnits: body.cost_units ?? COST_CLASS_UNITS[body.cost_class ?? 'NORMAL'],
    priority: body.priority ?? 'NORMAL',
    expectedDurationSec: body.expected_duration_sec ?? undefined,
    constraints: {
      cpu_heavy: body.constraints?.cpu_heavy ?? false,
      disk_write_heavy: body.constraints?.disk_write_heavy ?? false,
      network_heavy: body.constraints?.network_heavy ?? false,
    },
  };
}

const amount = z.number().min(0).max(1e15);

export const ReportBody = z.object({
  progress_pct: z.number().min(0).max(100).nullish(),
  message: z.string().max(500, 'expected at most 500 characters').nullish(),
  exit_code: z.number().int().min(-2_147_483_648).max(2_147_483_647).nullish(),
  cpu_seconds: amount.nullish(),
  wall_seconds: amount.nullish(),
  bytes_read: amount.nullish(),
  bytes_written: amount.nullish(),
  items_done: amount.nullish(),
});

/** The report without absent fields (a null means "not reported"). */
export function toReport(body: z.output<typeof ReportBody>): LeaseReport {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null && v !== undefined)) as LeaseReport;
}

export const RevokeBody = z.object({
  reason: z.string().trim().min(1).max(200, 'expected at most 200 characters').nullish(),
});

export const QueuePollQuery = z.object({
  wait_sec: z.coerce.number().min(0).max(MAX_WAIT_SEC).default(0),
});
