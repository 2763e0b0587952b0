// Host collections built to order, so a test decides what the quiet assessment sees.
import type { MetricName } from '../../src/catalogue.js';
import type { Collection, Point } from '../../src/collectors/types.js';

export function collection(points: Partial<Record<MetricName, Point[]>>, timeMs = 0): Collection {
  return { timeMs, points: new Map(Object.entries(points)) as Collection['points'], errors: [] };
}

/** A host whose only reading is memory used at `memPct` (default thresholds: <=70 QUIET, >90 PANIC). */
export function memoryHost(memPct: number, timeMs: number): Collection {
  return collection({ 'system.memory.utilization': [{ attributes: { 'system.memory.state': 'used' }, value: memPct / 100 }] }, timeMs);
}

/** Memory percentages that give each state with the default thresholds. */
export const MEM_FOR = { QUIET: 40, NORMAL: 75, BUSY: 85, PANIC: 95 } as const;
