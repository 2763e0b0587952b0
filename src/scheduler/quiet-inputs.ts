// The quiet assessment's inputs, taken from the agent's own collection (never re-read from /proc),
// the data directory's filesystem and the local API's request statistics.
import { statfsSync } from 'node:fs';
import type { RequestStatsSnapshot } from '../api/request-stats.js';
import { hostFigures } from '../builds/host-figures.js';
import type { MetricName } from '../catalogue.js';
import type { Collection } from '../collectors/types.js';

/** The seed's QuietAssessment.inputs: every figure the state was decided from (absent when unknown). */
export interface QuietInputs {
  /** CPU busy %, mean of the collections over the last 2 minutes. */
  readonly cpu_avg_2m?: number;
  readonly load_per_cpu?: number;
  readonly mem_pct?: number;
  readonly swap_pct?: number;
  readonly psi_cpu_some_avg10?: number;
  readonly psi_cpu_some_avg60?: number;
  readonly psi_memory_some_avg10?: number;
  readonly psi_memory_some_avg60?: number;
  readonly psi_io_some_avg10?: number;
  readonly psi_io_some_avg60?: number;
  readonly disk_free_pct?: number;
  /** % of the last collection interval the busiest disk had I/O in flight (system.disk.io_time rate). */
  readonly disk_io_busy_pct?: number;
  /** Requests the local API finished in the last minute (error rate and p95 count from 20). */
  readonly api_requests: number;
  readonly api_rps: number;
  readonly api_error_pct?: number;
  readonly api_p95_ms?: number;
}

/** Host figures of one collection, before the 2-minute CPU average. */
export interface HostReadings {
  readonly cpu_pct?: number;
  readonly load1?: number;
  readonly cpus?: number;
  readonly load_per_cpu?: number;
  readonly mem_pct?: number;
  readonly swap_pct?: number;
  readonly psi: Readonly<Record<string, number>>;
  /** Busiest disk's % of time with I/O in flight since the previous collection. */
  readonly disk_io_busy_pct?: number;
  /** Per mounted filesystem: % used (as df counts) and bytes free. */
  readonly filesystems?: readonly { readonly mount: string; readonly used_pct: number; readonly free_bytes: number }[];
  /** Per interface: bytes per second received and transmitted since the previous collection. */
  readonly network?: readonly { readonly iface: string; readonly rx_bytes_per_s: number; readonly tx_bytes_per_s: number }[];
}

/** Counter rates between consecutive collections: the busiest disk's io_time and each interface's bytes. */
export interface HostRates {
  readonly diskBusyPct: number | undefined;
  readonly network: NonNullable<HostReadings['network']>;
}

export class HostRateTracker {
  private prev: { atMs: number; ioTime: Map<string, number>; bytes: Map<string, number> } | undefined;

  next(c: Collection): HostRates {
    const ioTime = new Map<string, number>();
    for (const p of c.points.get('system.disk.io_time') ?? []) ioTime.set(String(p.attributes['system.device']), p.value);
    const bytes = new Map<string, number>();
    for (const p of c.points.get('system.network.io') ?? []) {
      bytes.set(`${String(p.attributes['network.interface.name'])}\0${String(p.attributes['network.io.direction'])}`, p.value);
    }
    const prev = this.prev;
    this.prev = { atMs: c.timeMs, ioTime, bytes };
    const seconds = prev ? (c.timeMs - prev.atMs) / 1000 : 0;
    if (!prev || seconds <= 0) return { diskBusyPct: undefined, network: [] };
    // A counter that went backwards (device re-created) has no rate this time.
    const rate = (now: number, before: number | undefined): number | undefined =>
      before === undefined || now < before ? undefined : (now - before) / seconds;
    let busiest: number | undefined;
    for (const [device, t] of ioTime) {
      const r = rate(t, prev.ioTime.get(device));
      if (r !== undefined) busiest = Math.max(busiest ?? 0, Math.min(100, 100 * r));
    }
    const network: { iface: string; rx_bytes_per_s: number; tx_bytes_per_s: number }[] = [];
    for (const [key, rx] of bytes) {
      const [iface, direction] = key.split('\0');
      if (direction !== 'receive') continue;
      const rxRate = rate(rx, prev.bytes.get(key));
      const txKey = `${iface}\0transmit`;
      const txRate = rate(bytes.get(txKey) ?? NaN, prev.bytes.get(txKey));
      if (rxRate !== undefined && txRate !== undefined) network.push({ iface, rx_bytes_per_s: r3(rxRate)!, tx_bytes_per_s: r3(txRate)! });
    }
    return { diskBusyPct: r3(busiest), network };
  }
}

/**
 * Busy % of all logical CPUs since the previous collection: everything but idle and iowait (a CPU
 * waiting for I/O is idle; I/O stalls show in io pressure instead). Undefined on the first collection.
 */
export function cpuBusyPercent(c: Collection): number | undefined {
  const points = c.points.get('system.cpu.utilization') ?? [];
  const cpus = new Set<unknown>();
  let busy = 0;
  for (const p of points) {
    cpus.add(p.attributes['cpu.logical_number']);
    const mode = p.attributes['cpu.mode'];
    if (mode !== 'idle' && mode !== 'iowait') busy += p.value;
  }
  return cpus.size > 0 ? (100 * busy) / cpus.size : undefined;
}

/** Three decimals: the inputs are shown to people and stored, float noise (1.7399999999999998) is not. */
const r3 = (v: number | undefined): number | undefined => (v === undefined ? undefined : Math.round(v * 1000) / 1000);

/** The PSI "some" averages the assessment reads, by reading key. */
const PSI_INPUTS = [
  ['psi_cpu_some_avg10', 'system.cpu.linux.pressure.10s'],
  ['psi_cpu_some_avg60', 'system.cpu.linux.pressure.1m'],
  ['psi_memory_some_avg10', 'system.memory.linux.pressure.10s'],
  ['psi_memory_some_avg60', 'system.memory.linux.pressure.1m'],
  ['psi_io_some_avg10', 'system.io.linux.pressure.10s'],
  ['psi_io_some_avg60', 'system.io.linux.pressure.1m'],
] as const satisfies readonly (readonly [string, MetricName])[];

export function hostReadings(c: Collection, rates: HostRates = { diskBusyPct: undefined, network: [] }): HostReadings {
  const h = hostFigures(c);
  const memory = (c.points.get('system.memory.utilization') ?? []).find((p) => p.attributes['system.memory.state'] === 'used');
  const psi: Record<string, number> = {};
  for (const [key, name] of PSI_INPUTS) {
    const some = (c.points.get(name) ?? []).find((p) => p.attributes['system.pressure.stall_type'] === 'some');
    if (some) psi[key] = r3(100 * some.value)!;
  }
  return {
    cpu_pct: r3(cpuBusyPercent(c)),
    load1: h.load1,
    cpus: h.cpus,
    load_per_cpu: r3(h.load1 !== undefined && h.cpus ? h.load1 / h.cpus : undefined),
    mem_pct: r3(memory ? 100 * memory.value : undefined),
    swap_pct: r3(h.swapUsedFraction === undefined ? undefined : 100 * h.swapUsedFraction),
    psi,
    disk_io_busy_pct: rates.diskBusyPct,
    filesystems: filesystemReadings(c),
    network: rates.network,
  };
}

function filesystemReadings(c: Collection): NonNullable<HostReadings['filesystems']> {
  const free = new Map<string, number>();
  for (const p of c.points.get('system.filesystem.usage') ?? []) {
    if (p.attributes['system.filesystem.state'] === 'free') free.set(String(p.attributes['system.filesystem.mountpoint']), p.value);
  }
  return (c.points.get('system.filesystem.utilization') ?? []).map((p) => {
    const mount = String(p.attributes['system.filesystem.mountpoint']);
    return { mount, used_pct: r3(100 * p.value)!, free_bytes: free.get(mount) ?? 0 };
  });
}

/**
 * Mean CPU busy % over a sliding window of collections (2 minutes by default). A running sum keeps each
 * collection O(1): at a 20 ms interval the window holds 6,000 samples.
 */
export class CpuWindow {
  private at: number[] = [];
  private pct: number[] = [];
  private head = 0;
  private sum = 0;

  constructor(private readonly windowMs = 120_000) {}

  add(atMs: number, pct: number | undefined): void {
    if (pct !== undefined) {
      this.at.push(atMs);
      this.pct.push(pct);
      this.sum += pct;
    }
    while (this.head < this.at.length && this.at[this.head] <= atMs - this.windowMs) {
      this.sum -= this.pct[this.head];
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.at.length) this.compact();
  }

  average(): number | undefined {
    const n = this.at.length - this.head;
    return n === 0 ? undefined : this.sum / n;
  }

  /** Drops expired samples and re-adds the rest, so the running sum never accumulates rounding drift. */
  private compact(): void {
    this.at = this.at.slice(this.head);
    this.pct = this.pct.slice(this.head);
    this.head = 0;
    this.sum = this.pct.reduce((a, b) => a + b, 0);
  }
}

/** Free % of the filesystem holding `dir`, as an unprivileged writer sees it; undefined when unknown. */
export function diskFreePercent(dir: string, statfs: typeof statfsSync = statfsSync): number | undefined {
  try {
    const s = statfs(dir);
    return s.blocks > 0 ? (100 * s.bavail) / s.blocks : undefined;
  } catch {
    return undefined;
  }
}

/** The API statistics cover the last minute. */
export const API_WINDOW_MS = 60_000;
/** Below this many requests in the window, the API's error rate and p95 say nothing about the agent. */
export const MIN_API_REQUESTS = 20;

export function quietInputs(
  host: HostReadings,
  cpuAvg2m: number | undefined,
  diskFreePct: number | undefined,
  api: RequestStatsSnapshot,
): QuietInputs {
  const enough = api.requests >= MIN_API_REQUESTS;
  return {
    cpu_avg_2m: r3(cpuAvg2m),
    load_per_cpu: host.load_per_cpu,
    mem_pct: host.mem_pct,
    swap_pct: host.swap_pct,
    ...host.psi,
    disk_free_pct: r3(diskFreePct),
    disk_io_busy_pct: host.disk_io_busy_pct,
    api_requests: api.requests,
    api_rps: r3(api.requests / (API_WINDOW_MS / 1000))!,
    api_error_pct: enough ? r3(100 * api.serverErrorRate) : undefined,
    api_p95_ms: enough ? r3(api.latencyP95Ms) : undefined,
  };
}
