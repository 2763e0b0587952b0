// Which host collectors run: the Linux procfs/sysfs collectors on Linux, the os/systeminformation
// fallback elsewhere, plus the frequency chain on every platform.
import os from 'node:os';
import type { LoadedConfig } from '../config/load.js';
import type { Config, FrequencySourceName } from '../config/options.js';
import type { Logger } from '../log.js';
import { HostCollection } from './collect.js';
import { createFallbackCollectors } from './darwin/fallback.js';
import { createFrequencySources, FrequencyCollector } from './frequency/index.js';
import type { CpuFrequencyReport } from './frequency/types.js';
import { classifyHostTree } from './host-tree.js';
import { DEFAULT_DISK_EXCLUDE, DEFAULT_NETWORK_EXCLUDE } from './linux/device-filter.js';
import { DiskstatsCollector } from './linux/diskstats.js';
import { FilesystemCollector } from './linux/filesystem.js';
import { HwmonCollector } from './linux/hwmon.js';
import { LoadavgCollector } from './linux/loadavg.js';
import { MeminfoCollector } from './linux/meminfo.js';
import { NetDevCollector } from './linux/netdev.js';
import { PressureCollector } from './linux/pressure.js';
import { onlineCpus, ProcStatCollector } from './linux/procstat.js';
import { SwapsCollector } from './linux/swaps.js';
import { ThermalThrottleCollector } from './linux/thermal-throttle.js';
import { UptimeCollector } from './linux/uptime.js';
import { VmstatCollector } from './linux/vmstat.js';
import { OsUptimeCollector } from './os-uptime.js';
import { ProcessSelfCollector } from './process-self.js';
import type { Collector, HostPaths } from './types.js';
// Frequency sources kept in their own modules register themselves when imported.
import './darwin/register.js';
import './perf/register.js';

export { pressureSupport } from './linux/pressure.js';
export { registerFrequencySource } from './frequency/index.js';

export interface HostCollectorsOptions {
  readonly paths: HostPaths;
  readonly frequencySources: readonly FrequencySourceName[];
  /** True when the user chose the frequency sources (config origin other than 'default'). */
  readonly explicitFrequencySources?: boolean;
  readonly log?: Logger;
  /** Defaults to process.platform; tests pick the Linux collectors on fixture trees with it. */
  readonly platform?: NodeJS.Platform;
  /** Disk, mount and interface filters (the collectors' own defaults when absent). */
  readonly filters?: HostFilters;
}

/** The configuration keys that choose which disks, mounts and interfaces are reported. */
export type HostFilterKeys =
  | 'diskInclude'
  | 'diskExclude'
  | 'filesystemMountPointsExclude'
  | 'filesystemTypesExclude'
  | 'filesystemTimeout'
  | 'networkInclude'
  | 'networkExclude';
export type HostFilters = Partial<Pick<Config, HostFilterKeys>>;

/** Collectors in run order: cpu first, so the frequency chain can use its busy-time window. */
export function createHostCollectors(opts: HostCollectorsOptions): Collector[] {
  const platform = opts.platform ?? process.platform;
  const sources = createFrequencySources(opts.frequencySources, {
    paths: opts.paths,
    explicit: opts.explicitFrequencySources ?? false,
    platform,
    log: opts.log,
  });
  if (platform !== 'linux') {
    const cpus = (): number[] => os.cpus().map((_, i) => i);
    return [...createFallbackCollectors(), new FrequencyCollector(sources, cpus), new OsUptimeCollector(), new ProcessSelfCollector({ platform })];
  }
  const f = opts.filters;
  return [
    new ProcStatCollector(),
    new MeminfoCollector(),
    new SwapsCollector(),
    new VmstatCollector(),
    new LoadavgCollector(),
    new PressureCollector(),
    new FrequencyCollector(sources, onlineCpus),
    new UptimeCollector(),
    new DiskstatsCollector({ include: f?.diskInclude, exclude: f?.diskExclude ?? DEFAULT_DISK_EXCLUDE }),
    new FilesystemCollector({
      mountPointsExclude: f?.filesystemMountPointsExclude,
      fsTypesExclude: f?.filesystemTypesExclude,
      timeoutMs: f?.filesystemTimeout,
      log: opts.log,
    }),
    new NetDevCollector({ include: f?.networkInclude, exclude: f?.networkExclude ?? DEFAULT_NETWORK_EXCLUDE }),
    new ThermalThrottleCollector(),
    new HwmonCollector(),
    new ProcessSelfCollector({ platform }),
  ];
}

/** The frequency chain's last per-CPU outcome, for `doctor` (undefined before the first collection). */
export function frequencyReports(collectors: readonly Collector[]): readonly CpuFrequencyReport[] | undefined {
  const chain = collectors.find((c): c is FrequencyCollector => c instanceof FrequencyCollector);
  const reports = chain?.lastReports();
  return reports && reports.length > 0 ? reports : undefined;
}

/**
 * Host paths from the configuration; live when they are this machine's own /proc and /sys or the live
 * host's procfs under another root (see host-tree.ts).
 */
export function resolveHostPaths(config: Pick<Config, 'procfs' | 'sysfs' | 'rootfs'>): HostPaths {
  const { live } = classifyHostTree(config.procfs, config.sysfs);
  return { procfs: config.procfs, sysfs: config.sysfs, rootfs: config.rootfs, live };
}

/** The host collection every command uses, from the resolved configuration. */
export function hostCollectionFor(
  config: Pick<LoadedConfig, 'procfs' | 'sysfs' | 'rootfs' | 'frequencySources' | 'origins'> & HostFilters,
  log?: Logger,
): HostCollection {
  const paths = resolveHostPaths(config);
  const collectors = createHostCollectors({
    paths,
    frequencySources: config.frequencySources,
    explicitFrequencySources: config.origins.frequencySources !== 'default',
    log,
    filters: config,
  });
  return new HostCollection({ paths, collectors, log });
}
