// The host figures build statistics need, taken from the agent's own collection (never re-read
// from /proc here): load, runnable and blocked tasks, swap, memory limit and CPU count.
import type { MetricName } from '../catalogue.js';
import { adjustedLoad1 } from '../collectors/linux/loadavg.js';
import type { Collection, Point } from '../collectors/types.js';

export interface HostFigures {
  readonly load1?: number;
  readonly running?: number;
  readonly blocked?: number;
  readonly cpus?: number;
  readonly swapUsedFraction?: number;
  readonly memoryLimitBytes?: number;
}

function points(c: Collection, name: MetricName): readonly Point[] {
  return c.points.get(name) ?? [];
}

function single(c: Collection, name: MetricName): number | undefined {
  const p = points(c, name);
  return p.length ? p[0].value : undefined;
}

// Builds and the quiet assessment both ask for the same collection's figures.
const figuresByCollection = new WeakMap<Collection, HostFigures>();

export function hostFigures(c: Collection | undefined): HostFigures {
  if (!c) return {};
  let figures = figuresByCollection.get(c);
  if (!figures) figuresByCollection.set(c, (figures = computeFigures(c)));
  return figures;
}

function computeFigures(c: Collection): HostFigures {
  const tasks = points(c, 'system.processes.count');
  const running = tasks.find((p) => p.attributes.status === 'running');
  const blocked = tasks.find((p) => p.attributes.status === 'blocked');
  let used = 0;
  let total = 0;
  for (const p of points(c, 'system.paging.usage')) {
    total += p.value;
    if (p.attributes['system.paging.state'] === 'used') used += p.value;
  }
  return {
    load1: single(c, 'system.cpu.load_average.1m'),
    running: running?.value,
    blocked: blocked?.value,
    cpus: single(c, 'system.cpu.logical.count'),
    swapUsedFraction: total > 0 ? used / total : undefined,
    memoryLimitBytes: single(c, 'system.memory.limit'),
  };
}

/** dsynth's adjusted load (its Linux analogue, see adjustedLoad1): used for the worker limit only. */
export function adjustedLoad(h: HostFigures): number | undefined {
  return h.load1 === undefined ? undefined : adjustedLoad1(h.load1, h.running, h.blocked);
}
