// Whether --procfs/--sysfs/--rootfs are the live host: this machine's own /proc and /sys, or the live
// host's procfs mounted under another root (a sidecar container with --rootfs /host and the host's PID
// namespace), or some other tree (a copy, a fixture, another PID namespace). Perf counters and cpuinfo's
// live clock mean something only for the first two.
import { readFileSync, readlinkSync, realpathSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

export type HostTreeKind = 'own' | 'host-mount' | 'other';

export interface HostTree {
  readonly kind: HostTreeKind;
  /** own or host-mount: the CPUs and processes the tree describes are the ones this process runs with. */
  readonly live: boolean;
  readonly reason: string;
}

const BOOT_ID = 'sys/kernel/random/boot_id';
/** statfs(2) f_type of sysfs (linux/magic.h): sysfs is not namespaced by PID, one mounted anywhere is live. */
const SYSFS_MAGIC = 0x62656572;

function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * Classifies a host tree. `ownProc` is this process's own procfs ("/proc" outside tests): a tree is the
 * live host under another root when its sysfs is a mounted sysfs, its procfs's boot id is this kernel's
 * and, read through it, this process has its own PID and PID namespace (a procfs mounted from another PID
 * namespace names this process by another number, or not at all).
 */
export function classifyHostTree(procfs: string, sysfs: string, ownProc = '/proc'): HostTree {
  if (realPath(procfs) === realPath(ownProc) && realPath(sysfs) === '/sys') {
    return { kind: 'own', live: true, reason: `this machine's own ${ownProc} and /sys` };
  }
  const other = (why: string): HostTree => ({ kind: 'other', live: false, reason: `another tree: ${why}` });
  if (attempt(() => statfsSync(sysfs).type) !== SYSFS_MAGIC) return other(`${sysfs} is not a mounted sysfs`);
  const bootId = attempt(() => readFileSync(join(procfs, BOOT_ID), 'latin1').trim());
  if (!bootId) return other(`${join(procfs, BOOT_ID)} is unreadable (not a live procfs)`);
  if (bootId !== attempt(() => readFileSync(join(ownProc, BOOT_ID), 'latin1').trim())) {
    return other(`boot id ${bootId} is not this kernel's (a copied tree or another machine)`);
  }
  const self = attempt(() => readlinkSync(join(procfs, 'self')));
  const ownNs = attempt(() => readlinkSync(join(ownProc, 'self', 'ns', 'pid')));
  const treeNs = attempt(() => readlinkSync(join(procfs, 'self', 'ns', 'pid')));
  if (self !== String(process.pid) || !ownNs || treeNs !== ownNs) {
    return other(
      `same kernel, but ${procfs} belongs to another PID namespace (it names this process ${self ?? 'not at all'}, not ${process.pid}): share the host's PID namespace (docker --pid host)`,
    );
  }
  return {
    kind: 'host-mount',
    live: true,
    reason: `the live host's procfs under another root: same boot id and PID namespace (${ownNs}) as this process`,
  };
}
