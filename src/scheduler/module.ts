// Quiet windows and the heavy-work lease scheduler as an agent module. At every collection (as a
// metric producer, so the score is exported with the collection it describes): assess the host,
// hand the state to the scheduler, report sysmon.quiet.* and sysmon.scheduler.*; then history
// samples, quiet streaks and rollups. Serves /api/scheduler/* and /api/system-stats/*.
import type { AgentContext, AgentModule } from '../agent/types.js';
import type { ApiModule } from '../api/module.js';
import type { LoadedConfig } from '../config/load.js';
import { type Health, health } from '../history/health.js';
import { HistoryRecorder, type HistorySettings, PURGE_EVERY_MS } from '../history/recorder.js';
import { HistoryRepo } from '../history/repo.js';
import { registerHistoryRoutes } from '../history/routes.js';
import { ProcessSampler, statsGroups } from '../history/stats.js';
import type { StoreModule } from '../store/store.js';
import { thresholdsFromConfig } from './assess.js';
import { type Clock, systemClock } from './clock.js';
import { LeaseRepo } from './lease-repo.js';
import { emitScheduler } from './metrics.js';
import { type Assessment, emitQuiet, QuietMonitor } from './quiet.js';
import { API_WINDOW_MS, diskFreePercent } from './quiet-inputs.js';
import { StoreWriteCondition } from '../store/write-condition.js';
import { registerSchedulerRoutes } from './routes.js';
import { LeaseScheduler, type SchedulerSettings } from './scheduler.js';

export interface SchedulerModuleDeps {
  readonly store: Pick<StoreModule, 'db'>;
  readonly api: Pick<ApiModule, 'route' | 'requestStats'>;
  readonly clock?: Clock;
  /** Replaces statfs of the data directory (tests). */
  readonly diskFreePct?: (dir: string) => number | undefined;
}

export interface SchedulerModule extends AgentModule {
  /** Valid between start() and stop(). */
  readonly scheduler: LeaseScheduler | undefined;
  readonly monitor: QuietMonitor | undefined;
  readonly history: HistoryRecorder | undefined;
  /** The lease store (events, leases). */
  readonly leases: LeaseRepo | undefined;
  /** The health rollup now (GET /api/system-stats/health and the web page); undefined before start(). */
  health(): Health | undefined;
}

export function schedulerSettings(c: LoadedConfig): SchedulerSettings {
  return {
    capacityUnits: c.schedulerCapacity,
    headroomUnits: c.schedulerHeadroom,
    ttlMs: c.leaseTtl,
    maxLeases: c.schedulerMaxLeases,
    maxPerAddon: c.schedulerMaxPerAddon,
    cooldownMs: c.schedulerPanicCooldown,
    intervalMs: c.interval,
    queueMax: c.schedulerQueueMax,
  };
}

export function historySettings(c: LoadedConfig): HistorySettings {
  return {
    intervalMs: c.historyInterval,
    retentionMs: c.historyRetention,
    rollupStepMs: c.historyRollupStep,
    rollupRetentionMs: c.historyRollupRetention,
  };
}

export function createSchedulerModule(deps: SchedulerModuleDeps): SchedulerModule {
  const clock = deps.clock ?? systemClock;
  let scheduler: LeaseScheduler | undefined;
  let monitor: QuietMonitor | undefined;
  let history: HistoryRecorder | undefined;
  let leases: LeaseRepo | undefined;
  let healthNow: (() => Health) | undefined;
  let purgeTimer: NodeJS.Timeout | undefined;
  let purging: Promise<unknown> | undefined;
  const abort = new AbortController();

  return {
    name: 'scheduler',
    get scheduler() {
      return scheduler;
    },
    get monitor() {
      return monitor;
    },
    get history() {
      return history;
    },
    get leases() {
      return leases;
    },
    health: () => healthNow?.(),
    async start(ctx: AgentContext) {
      const config = ctx.config;
      const log = ctx.log;
      const db = deps.store.db;
      const m = new QuietMonitor(thresholdsFromConfig(config), config.quietHold);
      const writes = new StoreWriteCondition(log, 'lease store', 'lease events are not recorded until it can; scheduling goes on');
      const repo = new LeaseRepo(
        db,
        (err) => {
          if (!writes.failed(err)) log.warn('lease store write failed', { error: err.message });
        },
        () => writes.succeeded(),
      );
      const s = new LeaseScheduler(schedulerSettings(config), {
        log: repo,
        clock,
        warn: (message, fields) => log.warn(message, fields),
      });
      const { restored, expired } = s.start();
      if (restored.length || expired.length) {
        log.info('leases from the previous run', { restored: restored.length, expired: expired.length });
      }
      const assessment = (): Assessment | undefined => m.current();
      const processCpu = new ProcessSampler();
      const groups = () => statsGroups({ assessment, apiStats: () => deps.api.requestStats(API_WINDOW_MS), scheduler: s }, processCpu);
      const h = new HistoryRecorder(new HistoryRepo(db), historySettings(config), clock, groups);
      const statDiskFree = deps.diskFreePct ?? diskFreePercent;
      // Free space moves slowly: statfs at most once a second, however short the interval.
      let disk: { atMs: number; pct: number | undefined } | undefined;
      const diskFree = (atMs: number): number | undefined => {
        if (!disk || Math.abs(atMs - disk.atMs) >= 1000) disk = { atMs, pct: statDiskFree(ctx.dataDir) };
        return disk.pct;
      };
      let lastState = m.current()?.state;
      let lastHistoryError: string | undefined;

      ctx.addProducer((sink, collection) => {
        const a = m.observe({ collection, diskFreePct: diskFree(collection.timeMs), api: deps.api.requestStats(API_WINDOW_MS) });
        s.observe(m.view(clock.now())!);
        if (a.state !== lastState) {
          log.info('quiet state changed', { from: lastState ?? 'none', to: a.state, score: a.score, reasons: a.reasons.join('; ') });
          lastState = a.state;
        }
        emitQuiet(sink, a);
        emitScheduler(sink, s);
        h.observe(a);
        // Once per distinct error: a full disk must not flood the log.
        if (h.error !== lastHistoryError) {
          if (h.error) log.warn('history store write failed', { error: h.error });
          lastHistoryError = h.error;
        }
      });
      registerSchedulerRoutes(deps.api, s, assessment);
      const rollup = (): Health =>
        health({
          nowMs: s.now(),
          intervalMs: config.interval,
          assessment: m.current(),
          collectorErrors: ctx.latest()?.errors ?? [],
          cooldownUntilMs: s.cooldownUntil(),
          historyError: h.error,
        });
      registerHistoryRoutes(deps.api, {
        recorder: h,
        scheduler: s,
        groups,
        assessment,
        latest: () => ctx.latest(),
        health: rollup,
      });
      const purge = (): void => {
        if (purging) return;
        purging = h
          .purge(abort.signal)
          .then((deleted) => {
            const total = Object.values(deleted).reduce((a, b) => a + (b ?? 0), 0);
            if (total > 0) log.info('purged old history', deleted);
          })
          .catch((err) => log.warn('history purge failed', { error: (err as Error).message }))
          .finally(() => {
            purging = undefined;
          });
      };
      purge();
      purgeTimer = setInterval(purge, PURGE_EVERY_MS).unref();
      scheduler = s;
      monitor = m;
      history = h;
      leases = repo;
      healthNow = rollup;
    },
    async stop() {
      clearInterval(purgeTimer);
      abort.abort();
      await purging;
      scheduler?.close();
      history?.flush();
      scheduler = undefined;
      monitor = undefined;
      history = undefined;
      healthNow = undefined;
      leases = undefined;
    },
  };
}
