// Include/exclude patterns for disk, mount and interface names, and their defaults (the collectors' flags).

export interface DeviceFilter {
  /** When set, only names matching it (the exclude pattern still applies). */
  readonly include?: RegExp;
  readonly exclude?: RegExp;
}

export function passes(name: string, filter: DeviceFilter): boolean {
  if (filter.include && !filter.include.test(name)) return false;
  return !(filter.exclude && filter.exclude.test(name));
}

/** node_exporter's --collector.diskstats.device-exclude default. */
export const DEFAULT_DISK_EXCLUDE = /^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/**
 * Left out by default: loopback (traffic that never leaves the host) and veth pairs (one per container,
 * created and destroyed with it: series churn, and their traffic also crosses the bridge, docker0 or
 * br-*, which stays in).
 */
export const DEFAULT_NETWORK_EXCLUDE = /^(lo|veth.*)$/;

/** node_exporter's --collector.filesystem.mount-points-exclude default. */
export const DEFAULT_MOUNT_POINTS_EXCLUDE = /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;
/** node_exporter's --collector.filesystem.fs-types-exclude default. */
export const DEFAULT_FS_TYPES_EXCLUDE =
  /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$/;
