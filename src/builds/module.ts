// Build telemetry as an agent module: the builds API, catalogue metrics, dynamic max workers on its own
// 5 s cadence from the latest host collection, monitor.dat/summary.json every 2 s while a run is active,
// and snapshot retention (at start and daily).
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AgentContext, AgentModule } from '../agent/types.js';
import type { ApiModule } from '../api/module.js';
import { type Build, BuildRepo } from '../store/builds.js';
import { purgeSnapshots } from '../store/retention.js';
import type { StoreModule } from '../store/store.js';
import { buildJson } from './json.js';
import { buildsProducer, durationRecorder } from './metrics.js';
import { formatMonitor, formatSummary, MONITOR_FILE, SUMMARY_FILE, writeFileAtomic } from './monitor-file.js';
import { registerBuildRoutes } from './routes.js';
import { BuildService } from './service.js';

export const MONITOR_EVERY_MS = 2_000;
/** dsynth's waitbuild() wakes every second and re-evaluates the worker limit every 5 s. */
export const DYNMAX_TICK_MS = 1_000;
export const PURGE_EVERY_MS = 86_400_000;

export interface BuildsModuleDeps {
  readonly store: Pick<StoreModule, 'db'>;
  readonly api: Pick<ApiModule, 'route'>;
}

export interface BuildsModule extends AgentModule {
  /** The tracker, once started (tests, other modules). */
  readonly service: BuildService | undefined;
  /** Runs one retention purge now; resolves to the number of snapshots deleted. */
  purge(): Promise<number>;
  /** Writes monitor.dat and summary.json now. */
  writeMonitorFiles(): void;
}

export function createBuildsModule(deps: BuildsModuleDeps): BuildsModule {
  let service: BuildService | undefined;
  let agent: AgentContext | undefined;
  let monitorTimer: NodeJS.Timeout | undefined;
  let purgeTimer: NodeJS.Timeout | undefined;
  let dynMaxTimer: NodeJS.Timeout | undefined;
  let lastMonitor = '';
  // Once per distinct error, and once when the files are written again: a full disk must not flood the log.
  let monitorError: string | undefined;
  let monitorRunning = false;
  let purging: Promise<number> | undefined;
  const abort = new AbortController();

  const purge = (): Promise<number> => {
    if (!service || !agent) return Promise.resolve(0);
    if (purging) return purging;
    const cutoff = Date.now() - agent.config.snapshotRetention;
    const log = agent.log;
    purging = purgeSnapshots(service.repo, cutoff, { signal: abort.signal })
      .then((n) => {
        if (n > 0) log.info('purged old build snapshots', { deleted: n, before: new Date(cutoff).toISOString() });
        return n;
      })
      .catch((err) => {
        log.warn('snapshot purge failed', { error: (err as Error).message });
        return 0;
      })
      .finally(() => {
        purging = undefined;
      });
    return purging;
  };

  const writeMonitorFiles = (): void => {
    if (!service || !agent) return;
    const stats = service.stats();
    const monitor = formatMonitor(stats);
    try {
      // Unchanged figures are not rewritten.
      if (monitor !== lastMonitor) {
        writeFileAtomic(join(agent.dataDir, MONITOR_FILE), monitor);
        const now = Date.now();
        const running = service.repo.withStatus('running').map((b) => buildJson(b, now));
        writeFileAtomic(
          join(agent.dataDir, SUMMARY_FILE),
          formatSummary({ stats, running, profile: hostname(), nowMs: now }),
        );
        lastMonitor = monitor;
        if (monitorError !== undefined) agent.log.info('build monitor files written again');
        monitorError = undefined;
      }
    } catch (err) {
      const message = (err as Error).message;
      if (message !== monitorError) agent.log.warn('cannot write build monitor files', { error: message });
      monitorError = message;
    }
  };

  // While a run is active the files refresh every MONITOR_EVERY_MS and the dynamic max-workers hint is
  // evaluated on its own DYNMAX_TICK_MS cadence (build.c's waitbuild()). With none, only the host's figures
  // (load, swap) would move: an idle agent neither rewrites the files nor keeps a timer for them. A build
  // joining starts the timers; the run's end, seen by the timer itself or at a collection, stops them after a
  // last write.
  const followRun = (): void => {
    const active = service?.runView().active ?? false;
    if (active === monitorRunning) return;
    monitorRunning = active;
    if (active) {
      const s = service!;
      s.tickDynMax();
      dynMaxTimer = setInterval(() => s.tickDynMax(), DYNMAX_TICK_MS).unref();
      monitorTimer = setInterval(() => {
        writeMonitorFiles();
        followRun();
      }, MONITOR_EVERY_MS).unref();
    } else {
      clearInterval(monitorTimer);
      clearInterval(dynMaxTimer);
      monitorTimer = undefined;
      dynMaxTimer = undefined;
    }
    writeMonitorFiles();
  };

  return {
    name: 'builds',
    get service() {
      return service;
    },
    purge,
    writeMonitorFiles,
    async start(ctx) {
      agent = ctx;
      let record: ((build: Build) => void) | undefined;
      service = new BuildService(new BuildRepo(deps.store.db), {
        maxWorkers: ctx.config.maxWorkers,
        runIdleTimeoutMs: ctx.config.runIdleTimeout,
        pipelineNameLimit: ctx.config.pipelineNameLimit,
        onChanged: (build) => record?.(build),
        onJoined: () => followRun(),
      });
      record = durationRecorder(ctx, service.pipelineNames);
      const s = service;
      registerBuildRoutes(deps.api, s);
      ctx.addProducer(buildsProducer(s));
      s.observeHost(ctx.latest());
      ctx.onCollection((c) => {
        s.observeHost(c);
        followRun();
      });
      void purge();
      purgeTimer = setInterval(() => void purge(), PURGE_EVERY_MS).unref();
      writeMonitorFiles();
      followRun();
    },
    async stop() {
      clearInterval(monitorTimer);
      clearInterval(dynMaxTimer);
      clearInterval(purgeTimer);
      abort.abort();
      await purging;
      writeMonitorFiles();
    },
  };
}
