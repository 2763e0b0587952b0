// Filesystem collector: system.filesystem.usage (used, free, reserved), .utilization and .limit for each
// mount of the host's mount table (<procfs>/1/mountinfo under another root, so a sidecar sees the
// host's mounts) and statfs. Pseudo and container-internal filesystems are left out by default
// (node_exporter's defaults).
//
// A hung network mount (NFS, CIFS) blocks statfs in a libuv thread until the server answers. Modelled on
// node_exporter's stuck mounts: network filesystems are statted asynchronously with a timeout; one that
// times out is skipped (logged once) while its call is outstanding, so it holds at most one thread, and
// is retried after the call returns. At most `maxStuck` calls may hang (half of libuv's default pool of
// 4): beyond that only mounts that answered before are tried. Local filesystems use statfsSync, which
// costs microseconds instead of a thread-pool round trip.
import { statfs as statfsAsync, statfsSync, type StatsFs } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import { AttributeCache } from '../attribute-cache.js';
import type { Attributes, CollectContext, Collector, PointSink } from '../types.js';
import { DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE } from './device-filter.js';
import { type Mount, parseMountinfo } from './mountinfo-parser.js';

/**
 * The mount table is re-read at most this often: the kernel formats the whole table on every read (28 µs
 * for 25 mounts here, more than every other file of a collection), and mounts change rarely.
 */
const MOUNT_TABLE_TTL_MS = 10_000;
/** Filesystems whose statfs goes over the network and can hang. */
const NETWORK_FS = /^(nfs4?|cifs|smb3?|smbfs|ceph|glusterfs|9p|afs|lustre|gpfs|beegfs|davfs|sshfs|fuse\..*)$/;

export type StatfsResult = Pick<StatsFs, 'bsize' | 'blocks' | 'bfree' | 'bavail'>;

export interface FilesystemOptions {
  readonly mountPointsExclude?: RegExp;
  readonly fsTypesExclude?: RegExp;
  /** How long a network filesystem's statfs may take before the mount counts as stuck. */
  readonly timeoutMs?: number;
  readonly maxStuck?: number;
  /** How long a read of the mount table is reused (10 s by default). */
  readonly mountTableTtlMs?: number;
  readonly log?: Logger;
  /** Injected syscall layer (tests hang it); node:fs by default. */
  readonly statfs?: (path: string) => Promise<StatfsResult>;
  readonly statfsSync?: (path: string) => StatfsResult;
}

export interface SkippedMount {
  readonly mountPoint: string;
  readonly fsType: string;
  readonly reason: string;
}

export interface FilesystemFindings {
  readonly mounts: readonly { mountPoint: string; device: string; fsType: string }[];
  readonly skipped: readonly SkippedMount[];
}

const nodeStatfs = (path: string): Promise<StatfsResult> =>
  new Promise((resolve, reject) => statfsAsync(path, (err, s) => (err ? reject(err) : resolve(s))));

interface MountAttrs {
  readonly used: Attributes;
  readonly free: Attributes;
  readonly reserved: Attributes;
  readonly mount: Attributes;
}

type Outcome = { readonly stats: StatfsResult } | { readonly skip: string };

export class FilesystemCollector implements Collector {
  readonly name = 'filesystem';
  private readonly mountPointsExclude: RegExp;
  private readonly fsTypesExclude: RegExp;
  private readonly timeoutMs: number;
  private readonly maxStuck: number;
  private readonly statfs: (path: string) => Promise<StatfsResult>;
  private readonly statfsSync: (path: string) => StatfsResult;
  /** Mount points whose statfs timed out and has not returned yet, with when it started. */
  private readonly stuck = new Map<string, number>();
  private readonly answered = new Set<string>();
  private readonly attrs = new AttributeCache<MountAttrs>();
  private table: { text: string; mounts: readonly Mount[]; readAtMs: number } = { text: '', mounts: [], readAtMs: -Infinity };
  private findings: FilesystemFindings = { mounts: [], skipped: [] };

  constructor(private readonly o: FilesystemOptions = {}) {
    this.mountPointsExclude = o.mountPointsExclude ?? DEFAULT_MOUNT_POINTS_EXCLUDE;
    this.fsTypesExclude = o.fsTypesExclude ?? DEFAULT_FS_TYPES_EXCLUDE;
    this.timeoutMs = o.timeoutMs ?? 1000;
    this.maxStuck = o.maxStuck ?? 2;
    this.statfs = o.statfs ?? nodeStatfs;
    this.statfsSync = o.statfsSync ?? statfsSync;
  }

  async collect(ctx: CollectContext, sink: PointSink): Promise<void> {
    if (ctx.monoMs - this.table.readAtMs >= (this.o.mountTableTtlMs ?? MOUNT_TABLE_TTL_MS)) {
      const relative = ctx.paths.rootfs === '/' ? 'self/mountinfo' : '1/mountinfo';
      const text = ctx.readProc(relative);
      // Parse it again only when its text changed.
      const mounts = text === this.table.text ? this.table.mounts : parseMountinfo(text, ctx.procPath(relative));
      this.table = { text, mounts, readAtMs: ctx.monoMs };
    }
    const skipped: SkippedMount[] = [];
    const reported: FilesystemFindings['mounts'][number][] = [];
    const waits: Promise<void>[] = [];
    for (const m of this.table.mounts) {
      if (this.fsTypesExclude.test(m.fsType)) {
        skipped.push({ mountPoint: m.mountPoint, fsType: m.fsType, reason: 'type excluded' });
        continue;
      }
      if (this.mountPointsExclude.test(m.mountPoint)) {
        skipped.push({ mountPoint: m.mountPoint, fsType: m.fsType, reason: 'mount point excluded' });
        continue;
      }
      const path = ctx.paths.rootfs === '/' ? m.mountPoint : join(ctx.paths.rootfs, m.mountPoint);
      const add = (outcome: Outcome): void => {
        if ('skip' in outcome) skipped.push({ mountPoint: m.mountPoint, fsType: m.fsType, reason: outcome.skip });
        else if (this.addPoints(sink, m, outcome.stats)) reported.push({ mountPoint: m.mountPoint, device: m.device, fsType: m.fsType });
      };
      if (NETWORK_FS.test(m.fsType)) waits.push(this.statNetwork(m, path, ctx.monoMs).then(add));
      else add(this.statLocal(path));
    }
    await Promise.all(waits);
    this.findings = { mounts: reported, skipped };
    this.attrs.sweep();
  }

  /** What the last collection reported and skipped, and why (for doctor). */
  found(): FilesystemFindings {
    return this.findings;
  }

  private statLocal(path: string): Outcome {
    try {
      return { stats: this.statfsSync(path) };
    } catch (err) {
      return { skip: `statfs failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
  }

  private statNetwork(m: Mount, path: string, nowMs: number): Promise<Outcome> {
    const since = this.stuck.get(m.mountPoint);
    if (since !== undefined) {
      return Promise.resolve({ skip: `stuck: statfs has not returned for ${Math.round((nowMs - since) / 1000)} s` });
    }
    if (this.stuck.size >= this.maxStuck && !this.answered.has(m.mountPoint)) {
      return Promise.resolve({ skip: `not tried: ${this.stuck.size} stuck mounts already hold statfs threads` });
    }
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        this.stuck.set(m.mountPoint, nowMs);
        this.o.log?.warn('filesystem statfs timed out; mount skipped until the call returns', {
          mountpoint: m.mountPoint,
          type: m.fsType,
          timeoutMs: this.timeoutMs,
        });
        resolve({ skip: `stuck: statfs took longer than ${this.timeoutMs} ms` });
      }, this.timeoutMs);
      timer.unref();
      const finish = (outcome: Outcome): void => {
        if (settled) {
          // The stuck call returned at last: try the mount again from the next collection.
          this.stuck.delete(m.mountPoint);
          this.o.log?.info('filesystem statfs returned; mount retried', { mountpoint: m.mountPoint });
          return;
        }
        settled = true;
        clearTimeout(timer);
        if ('stats' in outcome) this.answered.add(m.mountPoint);
        resolve(outcome);
      };
      this.statfs(path).then(
        (stats) => finish({ stats }),
        (err: NodeJS.ErrnoException) => finish({ skip: `statfs failed: ${err.code ?? err.message}` }),
      );
    });
  }

  /** False for filesystems without blocks (size 0: nothing to report). */
  private addPoints(sink: PointSink, m: Mount, s: StatfsResult): boolean {
    const blocks = Number(s.blocks);
    if (blocks <= 0) return false;
    const bsize = Number(s.bsize);
    const bfree = Number(s.bfree);
    const bavail = Math.min(Number(s.bavail), bfree);
    const a = this.attributes(m);
    const used = (blocks - bfree) * bsize;
    const free = bavail * bsize;
    sink.add('system.filesystem.usage', used, a.used);
    sink.add('system.filesystem.usage', free, a.free);
    sink.add('system.filesystem.usage', (bfree - bavail) * bsize, a.reserved);
    sink.add('system.filesystem.limit', blocks * bsize, a.mount);
    if (used + free > 0) sink.add('system.filesystem.utilization', used / (used + free), a.mount);
    return true;
  }

  private attributes(m: Mount): MountAttrs {
    return this.attrs.get(`${m.mountPoint}\0${m.device}\0${m.fsType}\0${m.mode}`, () => {
      const mount = {
        'system.device': m.device,
        'system.filesystem.type': m.fsType,
        'system.filesystem.mode': m.mode,
        'system.filesystem.mountpoint': m.mountPoint,
      };
      return {
        mount,
        used: { ...mount, 'system.filesystem.state': 'used' },
        free: { ...mount, 'system.filesystem.state': 'free' },
        reserved: { ...mount, 'system.filesystem.state': 'reserved' },
      };
    });
  }
}
