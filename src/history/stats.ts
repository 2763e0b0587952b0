// The seed's SystemStatsSnapshot groups, flat so history can aggregate them: quiet, host, api,
// scheduler, process, disk (per mount: "<mount>:used_pct", "<mount>:free_mb") and network (per
// interface: "<iface>:rx_bytes_per_s", "<iface>:tx_bytes_per_s"). /api/system-stats/current shows them; history stores them on its schedule.
import type { RequestStatsSnapshot } from '../api/request-stats.js';
import type { Assessment } from '../scheduler/quiet.js';
import { API_WINDOW_MS } from '../scheduler/quiet-inputs.js';
import type { LeaseScheduler } from '../scheduler/scheduler.js';
import type { Payload } from './aggregate.js';

export const GROUPS = ['quiet', 'host', 'api', 'scheduler', 'process', 'disk', 'network'] as const;
export type Group = (typeof GROUPS)[number];

export interface StatsSources {
  assessment(): Assessment | undefined;
  apiStats(): RequestStatsSnapshot;
  readonly scheduler: LeaseScheduler;
}

/** CPU % of this process between reads at least a second apart (a quicker read repeats the last figure). */
export class ProcessSampler {
  private last = { at: performance.now(), usage: process.cpuUsage() };
  private pct = 0;

  read(): number {
    const now = performance.now();
    if (now - this.last.at >= 1000) {
      const usage = process.cpuUsage();
      const cpuMs = (usage.user - this.last.usage.user + usage.system - this.last.usage.system) / 1000;
      this.pct = (100 * cpuMs) / (now - this.last.at);
      this.last = { at: now, usage };
    }
    return this.pct;
  }
}

const r2 = (v: number | undefined): number | undefined => (v === undefined ? undefined : Math.round(v * 100) / 100);
const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

function defined(o: Record<string, unknown>): Payload {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function statsGroups(src: StatsSources, processCpu: ProcessSampler): Record<Group, Payload> {
  const a = src.assessment();
  const api = src.apiStats();
  const s = src.scheduler;
  const mem = process.memoryUsage();
  return {
    quiet: a
      ? defined({ score: a.score, state: a.state, raw_state: a.rawState, ...a.inputs, reasons: a.reasons })
      : {},
    host: a
      ? defined({
          cpu_pct: r2(a.host.cpu_pct),
          cpu_avg_2m: r2(a.inputs.cpu_avg_2m),
          load1: a.host.load1,
          cpus: a.host.cpus,
          load_per_cpu: r2(a.host.load_per_cpu),
          mem_pct: r2(a.host.mem_pct),
          swap_pct: r2(a.host.swap_pct),
          disk_free_pct: r2(a.inputs.disk_free_pct),
          ...a.host.psi,
        })
      : {},
    api: {
      requests: api.requests,
      rps: r2(api.requests / (API_WINDOW_MS / 1000)),
      error_pct: r2(100 * api.serverErrorRate),
      client_error_pct: r2(100 * api.clientErrorRate),
      p95_ms: r2(api.latencyP95Ms),
    },
    scheduler: {
      capacity_limit: s.capacity(),
      capacity_used: s.usedUnits(),
      leases_active: s.activeLeases().length,
      queued: s.queued().length,
    },
    disk: a
      ? defined({
          io_busy_pct: a.host.disk_io_busy_pct,
          ...Object.fromEntries(
            (a.host.filesystems ?? []).flatMap((f) => [
              [`${f.mount}:used_pct`, r2(f.used_pct)],
              [`${f.mount}:free_mb`, mb(f.free_bytes)],
            ]),
          ),
        })
      : {},
    network: a
      ? Object.fromEntries(
          (a.host.network ?? []).flatMap((n) => [
            [`${n.iface}:rx_bytes_per_s`, Math.round(n.rx_bytes_per_s)],
            [`${n.iface}:tx_bytes_per_s`, Math.round(n.tx_bytes_per_s)],
          ]),
        )
      : {},
    process: {
      pid: process.pid,
      rss_mb: mb(mem.rss),
      heap_used_mb: mb(mem.heapUsed),
      cpu_pct: r2(processCpu.read()),
      uptime_sec: Math.round(process.uptime()),
    },
  };
}
