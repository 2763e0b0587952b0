// The /api/system-stats/health rollup (pure): ok, warn or error, with the reasons.
//   error: no collection for three intervals; quiet state PANIC
//   warn:  quiet state BUSY; cool-down after PANIC; collector errors; history store failing
import type { CollectorError } from '../collectors/types.js';
import type { Assessment } from '../scheduler/quiet.js';

export type HealthStatus = 'ok' | 'warn' | 'error';

export interface HealthInputs {
  readonly nowMs: number;
  readonly intervalMs: number;
  readonly assessment: Assessment | undefined;
  readonly collectorErrors: readonly CollectorError[];
  readonly cooldownUntilMs: number | undefined;
  readonly historyError: string | undefined;
}

export interface Health {
  readonly status: HealthStatus;
  readonly reasons: readonly string[];
}

export function health(i: HealthInputs): Health {
  const errors: string[] = [];
  const warnings: string[] = [];
  const a = i.assessment;
  const staleAfter = 3 * i.intervalMs;
  if (!a) errors.push('no collection yet');
  else if (i.nowMs - a.atMs > staleAfter) errors.push(`no collection for ${Math.round((i.nowMs - a.atMs) / 1000)}s`);
  if (a?.state === 'PANIC') errors.push(`quiet state PANIC: ${a.reasons.join('; ')}`);
  if (a?.state === 'BUSY') warnings.push(`quiet state BUSY: ${a.reasons.join('; ')}`);
  if (i.cooldownUntilMs !== undefined && i.cooldownUntilMs > i.nowMs && a?.state !== 'PANIC') {
    warnings.push(`cooling down after PANIC for ${Math.ceil((i.cooldownUntilMs - i.nowMs) / 1000)}s more`);
  }
  if (i.collectorErrors.length > 0) {
    const shown = i.collectorErrors.slice(0, 3).map((e) => `${e.collector}: ${e.message}`);
    const more = i.collectorErrors.length > 3 ? ` and ${i.collectorErrors.length - 3} more` : '';
    warnings.push(`${i.collectorErrors.length} collector error(s): ${shown.join('; ')}${more}`);
  }
  if (i.historyError) warnings.push(`history store failing: ${i.historyError}`);
  if (errors.length) return { status: 'error', reasons: [...errors, ...warnings] };
  if (warnings.length) return { status: 'warn', reasons: warnings };
  return { status: 'ok', reasons: [a ? `quiet state ${a.state}, score ${a.score}` : 'ok'] };
}
