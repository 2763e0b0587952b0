// What doctor says about the disk, filesystem, network, temperature and throttle collectors: what each
// found on this host after a collection, and why something is missing (skipped mounts with reasons).
import { DiskstatsCollector } from '../collectors/linux/diskstats.js';
import { FilesystemCollector, type SkippedMount } from '../collectors/linux/filesystem.js';
import { HwmonCollector } from '../collectors/linux/hwmon.js';
import { NetDevCollector } from '../collectors/linux/netdev.js';
import { ThermalThrottleCollector } from '../collectors/linux/thermal-throttle.js';
import type { Collector, CollectorError } from '../collectors/types.js';
import { cpuRanges } from '../ui/format.js';

export interface HostSourcesReport {
  readonly disks: { readonly devices: readonly string[]; readonly reason: string };
  readonly filesystems: {
    readonly mounts: readonly { mountPoint: string; device: string; fsType: string }[];
    readonly skipped: readonly SkippedMount[];
    readonly reason: string;
  };
  readonly network: { readonly interfaces: readonly string[]; readonly reason: string };
  readonly sensors: { readonly sensors: readonly { id: string; name: string }[]; readonly reason: string };
  readonly throttle: { readonly cpus: readonly number[]; readonly reason: string };
}

function find<T extends Collector>(collectors: readonly Collector[], type: abstract new (...a: never[]) => T): T | undefined {
  return collectors.find((c): c is T => c instanceof type);
}

/** From the collectors of a host collection that has run, and the errors of its last collection. */
export function hostSourcesReport(collectors: readonly Collector[], errors: readonly CollectorError[], platform: NodeJS.Platform): HostSourcesReport {
  const failed = (name: string): string | undefined => errors.find((e) => e.collector === name)?.message;
  const why = (name: string, found: number, what: string, none: string): string =>
    failed(name) ?? (platform !== 'linux' ? `not collected: ${what} come from Linux procfs/sysfs (this is ${platform})` : found > 0 ? `${found} ${what}` : none);

  const devices = find(collectors, DiskstatsCollector)?.devices() ?? [];
  const fs = find(collectors, FilesystemCollector)?.found() ?? { mounts: [], skipped: [] };
  const interfaces = find(collectors, NetDevCollector)?.interfaces() ?? [];
  const sensors = (find(collectors, HwmonCollector)?.found() ?? []).map((s) => ({ id: String(s.attributes['hw.id']), name: String(s.attributes['hw.name']) }));
  const cpus = find(collectors, ThermalThrottleCollector)?.cpus() ?? [];
  return {
    disks: { devices, reason: why('disk', devices.length, 'disk(s)', 'no whole disk in diskstats passes the include/exclude patterns') },
    filesystems: { ...fs, reason: why('filesystem', fs.mounts.length, 'filesystem(s)', 'no mount passes the exclusions') },
    network: { interfaces, reason: why('network', interfaces.length, 'interface(s)', 'no interface passes the include/exclude patterns') },
    sensors: {
      sensors,
      reason: why('hwmon', sensors.length, 'temperature sensor(s)', 'no hwmon temperature sensor (usual in VMs and containers without /sys/class/hwmon): hw.temperature has no points'),
    },
    throttle: {
      cpus,
      reason: why('thermal_throttle', cpus.length, `CPU(s) with thermal_throttle counters${cpus.length ? ` (cpu${cpuRanges([...cpus])})` : ''}`,
        'no cpuN/thermal_throttle directory (x86 kernels with the therm_throt driver only; none in VMs): sysmon.cpu.thermal_throttle.* has no points'),
    },
  };
}

export function hostSourcesLines(r: HostSourcesReport): string[] {
  const lines = ['Disks, filesystems, network, sensors'];
  lines.push(`  disks: ${r.disks.devices.length ? r.disks.devices.join(', ') : r.disks.reason}`);
  lines.push(`  filesystems: ${r.filesystems.mounts.length ? r.filesystems.mounts.map((m) => `${m.mountPoint} (${m.fsType})`).join(', ') : r.filesystems.reason}`);
  // Pseudo filesystems are many and expected; the rest (stuck, failed) is what a user needs to see.
  const notable = r.filesystems.skipped.filter((s) => s.reason !== 'type excluded' && s.reason !== 'mount point excluded');
  for (const s of notable) lines.push(`    skipped ${s.mountPoint} (${s.fsType}): ${s.reason}`);
  const excluded = r.filesystems.skipped.length - notable.length;
  if (excluded > 0) lines.push(`    ${excluded} pseudo or container mount(s) excluded by type or mount point`);
  lines.push(`  network: ${r.network.interfaces.length ? r.network.interfaces.join(', ') : r.network.reason}`);
  lines.push(`  temperature sensors: ${r.sensors.sensors.length ? r.sensors.sensors.map((s) => s.name).join(', ') : r.sensors.reason}`);
  lines.push(`  thermal throttle: ${r.throttle.reason}`);
  return lines;
}
