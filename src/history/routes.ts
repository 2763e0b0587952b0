// The history endpoints of the local API (seed 002's paths):
//   GET /api/system-stats/current                        the SystemStatsSnapshot of the latest collection
//   GET /api/system-stats/history?group=&range=&step=    a group over time (raw or rollups)
//   GET /api/system-stats/health                         ok / warn / error with reasons
//   GET /api/system-stats/quiet-streaks?range=24h        QUIET spans with average and minimum score
import type { ApiModule } from '../api/module.js';
import { ApiError, type ApiResponse } from '../api/router.js';
import type { Collection } from '../collectors/types.js';
import { addonsJson } from '../scheduler/json.js';
import { type Assessment, assessmentJson } from '../scheduler/quiet.js';
import type { LeaseScheduler } from '../scheduler/scheduler.js';
import type { Payload } from './aggregate.js';
import type { Health } from './health.js';
import { HistoryQueryError, historyQuery, parseHistoryParams } from './query.js';
import type { HistoryRecorder } from './recorder.js';
import type { Group } from './stats.js';
import { streaksJson } from './streaks.js';

export const STREAK_RANGE_MS = 86_400_000;

export interface HistoryRouteDeps {
  readonly recorder: HistoryRecorder;
  readonly scheduler: LeaseScheduler;
  groups(): Record<Group, Payload>;
  assessment(): Assessment | undefined;
  latest(): Collection | undefined;
  /** The rollup of ./health.ts for now. */
  health(): Health;
}

function query<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof HistoryQueryError) throw new ApiError(400, err.message, err.field);
    throw err;
  }
}

export function registerHistoryRoutes(api: Pick<ApiModule, 'route'>, d: HistoryRouteDeps): void {
  const ok = (body: unknown): ApiResponse => ({ status: 200, body });
  const now = (): number => d.scheduler.now();

  api.route('GET', '/api/system-stats/current', () => {
    const a = d.assessment();
    const groups = d.groups();
    return ok({
      collected_at: a ? new Date(a.atMs).toISOString() : null,
      host: groups.host,
      disk: groups.disk,
      network: groups.network,
      process: groups.process,
      api: groups.api,
      scheduler: groups.scheduler,
      addons: addonsJson(d.scheduler, now()),
      quiet: a ? assessmentJson(a) : null,
      errors: d.latest()?.errors ?? [],
    });
  });

  api.route('GET', '/api/system-stats/history', (req) => {
    const s = d.recorder.settings;
    const params = query(() => parseHistoryParams(req.query, s));
    return ok(historyQuery(d.recorder.repo, s, params, now()));
  });

  api.route('GET', '/api/system-stats/quiet-streaks', (req) => {
    const s = d.recorder.settings;
    const params = query(() => parseHistoryParams(new URLSearchParams({ range: req.query.get('range') ?? '24h' }), s));
    const t = now();
    const from = t - params.rangeMs;
    return ok(streaksJson(d.recorder.streaks.list(from), from, t));
  });

  api.route('GET', '/api/system-stats/health', () => {
    const t = now();
    const a = d.assessment();
    const h = d.health();
    const from = t - STREAK_RANGE_MS;
    const streaks = streaksJson(d.recorder.streaks.list(from), from, t);
    return ok({
      status: h.status,
      reasons: h.reasons,
      checked_at: new Date(t).toISOString(),
      quiet: a ? { state: a.state, quiet_score: a.score } : null,
      quiet_streaks_24h: { count: streaks.count, quiet_sec: streaks.quiet_sec, longest_sec: streaks.longest_sec },
    });
  });
}
