// Request bodies of the builds API, validated with zod exactly as issue 4 lists them. zod 4's
// z.number() already refuses NaN and ±Infinity (JSON's 1e999 parses to Infinity).
import { z } from 'zod';
import { FINISHED_STATUSES } from '../store/builds.js';

/**
 * Ids appear as one path segment (/api/builds/:id, /api/scheduler/lease/:id): a segment of only dots is
 * a path step that URL normalisation removes, so such an id could never be reached again.
 */
export const ID_PATTERN = /^(?!\.+$)[A-Za-z0-9._:-]{1,128}$/;
export const ID_EXPECTED = 'expected 1 to 128 characters from A-Z a-z 0-9 . _ : -, not only dots';
export const MAX_CPU_PERCENT = 102_400;
export const MAX_MEMORY_MB = 16_777_216;
/** Snapshot timestamps further than this from the agent's clock are refused. */
export const TIMESTAMP_SKEW_MS = 24 * 3_600_000;

export const BuildId = z.string().regex(ID_PATTERN, ID_EXPECTED);

export const CreateBuildBody = z.object({
  id: BuildId.optional(),
  name: z.string().trim().min(1, 'expected a non-empty name').max(256, 'expected at most 256 characters'),
  worker_id: BuildId.optional(),
});

export const FinishBuildBody = z.object({
  status: z.enum(FINISHED_STATUSES),
  exit_code: z.number().int().min(-2_147_483_648).max(2_147_483_647).optional(),
  cpu_seconds: z.number().min(0).max(1e12).optional(),
  peak_memory_mb: z.number().min(0).max(MAX_MEMORY_MB).optional(),
});

export const TelemetryBody = z.object({
  type: z.literal('cpu_snapshot'),
  timestamp: z.iso.datetime({ offset: true }),
  data: z.object({
    cpu_percent: z.number().min(0).max(MAX_CPU_PERCENT),
    memory_mb: z.number().min(0).max(MAX_MEMORY_MB),
  }),
});

export type CreateBuildInput = z.output<typeof CreateBuildBody>;
export type FinishBuildInput = z.output<typeof FinishBuildBody>;
export type TelemetryInput = z.output<typeof TelemetryBody>;
