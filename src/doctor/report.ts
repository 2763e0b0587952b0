// `otel-sysmon doctor`: what every source does on this host and why, as one JSON-able report.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadDarwinSysctl } from '../../native-bindings/darwin-ioreport.js';
import { IDLE_WINDOW_REASON } from '../collectors/darwin/ioreport-math.js';
import { frequencyReports, type HostFilters, hostCollectionFor, resolveHostPaths } from '../collectors/index.js';
import { type CpuFrequencyReport, seriesName } from '../collectors/frequency/types.js';
import { classifyHostTree, type HostTree } from '../collectors/host-tree.js';
import { PSI_RESOURCES, pressureSupport } from '../collectors/linux/pressure.js';
import { parseSwaps } from '../collectors/linux/swaps-parser.js';
import type { PerfSyscalls } from '../collectors/perf/syscalls.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import { checkTcp, endpointAddress } from './endpoint.js';
import { type HostSourcesReport, hostSourcesReport } from './host-sources.js';
import { type ContainerReport, readEnvironment, type VmReport } from './environment.js';
import { type PerfReport, probePerf } from './perf-probe.js';

/** Long enough for window-based sources (perf, IOReport's 250 ms) to answer on the second run. */
export const DOCTOR_WINDOW_MS = 500;

export type DoctorConfig = Pick<
  LoadedConfig,
  'procfs' | 'sysfs' | 'rootfs' | 'frequencySources' | 'origins' | 'exporter' | 'otlpEndpoint' | 'otlpProtocol'
> &
  HostFilters;

export interface DoctorOptions {
  readonly config: DoctorConfig;
  readonly log?: Logger;
  readonly windowMs?: number;
  /** The agent's own root (container evidence, /proc/self/status); "/" outside tests. */
  readonly selfRoot?: string;
  readonly perfSyscalls?: () => PerfSyscalls;
  readonly connectTimeoutMs?: number;
  readonly platform?: NodeJS.Platform;
}

export interface PsiReport {
  readonly available: boolean;
  readonly resources: Readonly<Record<string, boolean>>;
  readonly reason: string;
}

export interface SwapReport {
  readonly present: boolean;
  readonly devices: readonly { device: string; sizeBytes: number; usedBytes: number }[];
  readonly reason: string;
}

export interface ExportReport {
  readonly exporters: readonly string[];
  readonly endpoint: string | null;
  readonly protocol: string | null;
  /** null when no OTLP exporter is configured. */
  readonly reachable: boolean | null;
  readonly reason: string;
}

/** One degraded path some CPUs took (or were refused on), with its reason. */
export interface DegradedFrequencyPath {
  /** The `source` attribute it gives sysmon.cpu.frequency.source (value 1 when used, 0 when refused). */
  readonly series: string;
  readonly used: boolean;
  readonly cpus: readonly number[];
  readonly reason: string;
}

export interface DoctorReport {
  readonly frequency: {
    readonly sources: readonly string[];
    readonly cpus: readonly CpuFrequencyReport[];
    /** Every degraded path taken: legacy cpufreq layout, IOReport cluster channels, nominal cpuinfo, synthetic PMU. */
    readonly degraded: readonly DegradedFrequencyPath[];
    /** Decisions of the configured sources a user should know about (e.g. IOReport's idle cores). */
    readonly notes: readonly string[];
  };
  /** What the disk, filesystem, network, hwmon and throttle collectors found. */
  readonly sources: HostSourcesReport;
  readonly perf: PerfReport;
  readonly psi: PsiReport;
  readonly export: ExportReport;
  readonly host: {
    readonly live: boolean;
    /** Which case the host paths are: this machine's, the live host's under another root, or another tree. */
    readonly tree: HostTree;
    readonly container: ContainerReport;
    readonly vm: VmReport;
    readonly swap: SwapReport;
  };
}

async function frequencySection(o: DoctorOptions): Promise<Pick<DoctorReport, 'frequency' | 'sources'>> {
  const host = hostCollectionFor(o.config, o.log);
  try {
    // Twice, a short window apart: sources that need two readings (perf, IOReport) answer on the second.
    await host.collect();
    await sleep(o.windowMs ?? DOCTOR_WINDOW_MS);
    const last = await host.collect();
    const cpus = frequencyReports(host.collectors) ?? [];
    return {
      frequency: { sources: o.config.frequencySources, cpus, degraded: degradedPaths(cpus), notes: frequencyNotes(o.config.frequencySources) },
      sources: hostSourcesReport(host.collectors, last.errors, o.platform ?? process.platform),
    };
  } finally {
    host.close();
  }
}

export const IOREPORT_IDLE_NOTE = `ioreport: ${IDLE_WINDOW_REASON}`;

function frequencyNotes(sources: readonly string[]): string[] {
  return sources.includes('ioreport') ? [IOREPORT_IDLE_NOTE] : [];
}

/** Degraded paths grouped over the CPUs that share them. */
export function degradedPaths(cpus: readonly CpuFrequencyReport[]): DegradedFrequencyPath[] {
  const groups = new Map<string, { series: string; used: boolean; cpus: number[]; reason: string }>();
  for (const c of cpus) {
    for (const t of c.tried) {
      if (!t.variant) continue;
      const series = seriesName(t.source, t.variant);
      const key = `${series}\0${t.ok}\0${t.reason}`;
      const g = groups.get(key) ?? { series, used: t.ok, cpus: [], reason: t.reason };
      g.cpus.push(c.cpu);
      groups.set(key, g);
    }
  }
  return [...groups.values()];
}

function psiSection(config: DoctorConfig, platform: NodeJS.Platform): PsiReport {
  if (platform !== 'linux') return { available: false, resources: {}, reason: `PSI is a Linux kernel feature (this is ${platform})` };
  const support = pressureSupport(resolveHostPaths(config));
  const resources = Object.fromEntries(PSI_RESOURCES.map((r) => [r, existsSync(join(config.procfs, 'pressure', r))]));
  if (!support.available) return { available: false, resources, reason: `${support.reason}: system.{cpu,memory,io,irq}.linux.pressure.* have no points` };
  const missing = PSI_RESOURCES.filter((r) => !resources[r]);
  const reason =
    missing.length === 0
      ? 'PSI available for every resource'
      : `PSI available; no ${missing.map((r) => `pressure/${r}`).join(', ')}${missing.includes('irq') ? ' (irq needs Linux 6.1 with CONFIG_IRQ_TIME_ACCOUNTING)' : ''}`;
  return { available: true, resources, reason };
}

function swapSection(procfs: string, platform: NodeJS.Platform): SwapReport {
  if (platform !== 'linux') return { present: false, devices: [], reason: `not checked: /proc/swaps is Linux only (this is ${platform})` };
  const file = join(procfs, 'swaps');
  let devices;
  try {
    devices = parseSwaps(readFileSync(file, 'latin1'), file);
  } catch (err) {
    return { present: false, devices: [], reason: `${(err as Error).message}: swap metrics unavailable` };
  }
  if (devices.length === 0) {
    return { present: false, devices, reason: 'no swap device configured: system.paging.usage has no points (add swap with mkswap/swapon if builds need it)' };
  }
  return { present: true, devices, reason: `${devices.length} swap device(s)` };
}

async function exportSection(config: DoctorConfig, timeoutMs?: number): Promise<ExportReport> {
  const exporters = config.exporter;
  if (!exporters.includes('otlp')) {
    return { exporters, endpoint: null, protocol: null, reachable: null, reason: `no OTLP exporter configured (--exporter ${exporters.join(',')})` };
  }
  const { host, port } = endpointAddress(config.otlpEndpoint);
  const check = await checkTcp(host, port, timeoutMs);
  return { exporters, endpoint: config.otlpEndpoint, protocol: config.otlpProtocol, ...check };
}

export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const { config } = o;
  const [{ frequency, sources }, exported] = await Promise.all([frequencySection(o), exportSection(config, o.connectTimeoutMs)]);
  const platform = o.platform ?? process.platform;
  const paths = resolveHostPaths(config);
  const { container, vm } = readEnvironment(paths, o.selfRoot, platform === 'darwin' ? darwinSysctl() : undefined);
  return {
    frequency,
    sources,
    perf: probePerf({ paths, platform, selfRoot: o.selfRoot, syscalls: o.perfSyscalls }),
    psi: psiSection(config, platform),
    export: exported,
    host: { live: paths.live, tree: classifyHostTree(config.procfs, config.sysfs), container, vm, swap: swapSection(config.procfs, platform) },
  };
}

/** macOS sysctl reader for VM detection, or undefined when the binding cannot load. */
function darwinSysctl(): ((name: string) => number | undefined) | undefined {
  try {
    return loadDarwinSysctl().sysctlNumber;
  } catch {
    return undefined;
  }
}
