// Filesystems on fixture trees: the host's mount table under another root, node_exporter's default
// exclusions, statfs arithmetic, and a hung network mount (an injected statfs that never returns).
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MalformedSourceError } from '../../src/collectors/collect.js';
import { FilesystemCollector, type StatfsResult } from '../../src/collectors/linux/filesystem.js';
import { parseMountinfo } from '../../src/collectors/linux/mountinfo-parser.js';
import { copyFixture, fixturePaths, hostCollection, memoryLogger, points, valueOf } from './fixture-host.js';

const GiB = 1024 ** 3;
const STATS: StatfsResult = { bsize: 4096, blocks: (100 * GiB) / 4096, bfree: (40 * GiB) / 4096, bavail: (35 * GiB) / 4096 };

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('parseMountinfo', () => {
  test('source, mount point (unescaped), type and mode; an over-mounted point keeps its last mount', () => {
    const text =
      '1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n' +
      '2 1 8:2 / /srv/a\\040b ro,noatime shared:3 master:1 - xfs /dev/sda2 rw\n' +
      '3 1 0:5 / /srv/a\\040b rw - tmpfs tmpfs rw\n';
    expect(parseMountinfo(text)).toEqual([
      { device: '/dev/sda1', mountPoint: '/', fsType: 'ext4', mode: 'rw' },
      { device: 'tmpfs', mountPoint: '/srv/a b', fsType: 'tmpfs', mode: 'rw' },
    ]);
    expect(parseMountinfo('1 0 8:1 / /x ro,relatime shared:1 - ext4 /dev/sda1 rw\n')[0].mode).toBe('ro');
  });

  test('a line without the separator names the file and line', () => {
    expect(() => parseMountinfo('1 0 8:1 / / rw ext4 /dev/sda1 rw\n', '/proc/1/mountinfo')).toThrow(MalformedSourceError);
    expect(() => parseMountinfo('1 0 8:1 / / rw ext4 /dev/sda1 rw\n', '/proc/1/mountinfo')).toThrow(/^\/proc\/1\/mountinfo: line 1: expected/);
  });
});

describe('filesystem collector', () => {
  test("container view: the host's mounts (PID 1's table), statted under the root; pseudo, container and read-only media left out", async () => {
    const paths = fixturePaths('container-view');
    const statted: string[] = [];
    const fs = new FilesystemCollector({
      statfsSync: (p) => (statted.push(p), STATS),
      statfs: async (p) => (statted.push(p), STATS),
    });
    const c = await hostCollection(paths, [fs]).collect();
    expect(c.errors).toEqual([]);
    const mounts = points(c, 'system.filesystem.limit').map((p) => p.attributes['system.filesystem.mountpoint']);
    expect(mounts.sort()).toEqual(['/', '/boot/efi', '/mnt/nas', '/run', '/srv/build cache', '/srv/ro-export']);
    // Never the container's own overlay root from proc/self/mountinfo.
    expect(statted.sort()).toEqual(mounts.map((m) => join(paths.rootfs, String(m))).sort());
    const skipped = Object.fromEntries(fs.found().skipped.map((s) => [s.mountPoint, s.reason]));
    expect(skipped).toMatchObject({
      '/proc': 'type excluded',
      '/sys/fs/cgroup': 'type excluded',
      '/mnt/iso': 'type excluded',
      '/snap/core/1': 'type excluded',
      '/var/lib/docker/overlay2/0c1d2e/merged': 'type excluded',
      '/dev': 'type excluded',
    });
    expect(fs.found().skipped).toHaveLength(8);
  });

  test('usage states add up to the limit; utilization is used / (used + free) like df', async () => {
    const paths = fixturePaths('container-view');
    const fs = new FilesystemCollector({ statfsSync: () => STATS, statfs: async () => STATS });
    const c = await hostCollection(paths, [fs]).collect();
    const mount = { 'system.device': '/dev/sda1', 'system.filesystem.type': 'xfs', 'system.filesystem.mode': 'rw', 'system.filesystem.mountpoint': '/srv/build cache' };
    const usage = (state: string) => valueOf(c, 'system.filesystem.usage', { ...mount, 'system.filesystem.state': state });
    expect(usage('used')).toBe(60 * GiB);
    expect(usage('free')).toBe(35 * GiB);
    expect(usage('reserved')).toBe(5 * GiB);
    expect(valueOf(c, 'system.filesystem.limit', mount)).toBe(100 * GiB);
    expect(valueOf(c, 'system.filesystem.utilization', mount)).toBeCloseTo(60 / 95, 12);
    const ro = points(c, 'system.filesystem.limit').find((p) => p.attributes['system.filesystem.mountpoint'] === '/srv/ro-export');
    expect(ro?.attributes['system.filesystem.mode']).toBe('ro');
  });

  test('the exclusion flags replace the defaults', async () => {
    const paths = fixturePaths('container-view');
    const fs = new FilesystemCollector({ statfsSync: () => STATS, statfs: async () => STATS, fsTypesExclude: /^(tmpfs|nfs4)$/, mountPointsExclude: /^\/srv\// });
    const c = await hostCollection(paths, [fs]).collect();
    const mounts = new Set(points(c, 'system.filesystem.limit').map((p) => p.attributes['system.filesystem.mountpoint']));
    expect(mounts.has('/run') || mounts.has('/mnt/nas') || mounts.has('/srv/ro-export')).toBe(false);
    expect(mounts.has('/proc') && mounts.has('/snap/core/1')).toBe(true);
  });

  test('a stuck NFS mount: the collection ends, the mount is skipped and reported once, no second statfs while the first hangs, retried after it returns', async () => {
    const paths = fixturePaths('container-view');
    const log = memoryLogger();
    let nfsCalls = 0;
    let hang = deferred<StatfsResult>();
    const fs = new FilesystemCollector({
      timeoutMs: 50,
      log,
      statfsSync: () => STATS,
      statfs: (p) => {
        if (!p.endsWith('/mnt/nas')) return Promise.resolve(STATS);
        nfsCalls++;
        return hang.promise;
      },
    });
    const host = hostCollection(paths, [fs], log);
    const mountsOf = (c: Awaited<ReturnType<typeof host.collect>>) =>
      points(c, 'system.filesystem.limit').map((p) => p.attributes['system.filesystem.mountpoint']);

    const first = await host.collect();
    expect(first.errors).toEqual([]);
    expect(mountsOf(first)).not.toContain('/mnt/nas');
    expect(mountsOf(first)).toContain('/');
    expect(fs.found().skipped.find((s) => s.mountPoint === '/mnt/nas')?.reason).toBe('stuck: statfs took longer than 50 ms');

    const second = await host.collect();
    expect(mountsOf(second)).toContain('/srv/build cache');
    expect(fs.found().skipped.find((s) => s.mountPoint === '/mnt/nas')?.reason).toMatch(/^stuck: statfs has not returned for \d+ s$/);
    expect(nfsCalls).toBe(1);
    expect(log.lines.filter((l) => l.includes('statfs timed out'))).toHaveLength(1);

    hang.resolve(STATS);
    await hang.promise;
    await new Promise((r) => setImmediate(r));
    hang = deferred<StatfsResult>();
    hang.resolve(STATS);
    const third = await host.collect();
    expect(nfsCalls).toBe(2);
    expect(mountsOf(third)).toContain('/mnt/nas');
    expect(log.lines.filter((l) => l.includes('mount retried'))).toHaveLength(1);
  });

  test('at most two stuck calls: a third network mount that never answered is not tried, one that answered before still is', async () => {
    const host = copyFixture('container-view');
    try {
      appendFileSync(
        join(host.paths.procfs, '1/mountinfo'),
        '50 28 0:52 / /mnt/smb rw - cifs //filer/share rw\n51 28 0:53 / /mnt/nas2 rw - nfs nas2:/x rw\n',
      );
      const hanging = new Set<string>();
      const fs = new FilesystemCollector({
        timeoutMs: 30,
        mountTableTtlMs: 0,
        statfsSync: () => STATS,
        statfs: (p) => (hanging.has(p) ? new Promise<StatfsResult>(() => {}) : Promise.resolve(STATS)),
      });
      const collection = hostCollection(host.paths, [fs]);
      // First everything answers; then /mnt/smb and /mnt/nas2 hang.
      await collection.collect();
      hanging.add(join(host.root, 'mnt/smb'));
      hanging.add(join(host.root, 'mnt/nas2'));
      await collection.collect();
      const reasons = () => Object.fromEntries(fs.found().skipped.map((s) => [s.mountPoint, s.reason]));
      expect(reasons()['/mnt/smb']).toMatch(/^stuck/);
      expect(reasons()['/mnt/nas2']).toMatch(/^stuck/);
      const c = await collection.collect();
      // /mnt/nas answered before, so it is still tried and reported.
      expect(points(c, 'system.filesystem.limit').map((p) => p.attributes['system.filesystem.mountpoint'])).toContain('/mnt/nas');

      appendFileSync(join(host.paths.procfs, '1/mountinfo'), '52 28 0:54 / /mnt/new rw - nfs4 nas3:/y rw\n');
      await collection.collect();
      expect(reasons()['/mnt/new']).toBe('not tried: 2 stuck mounts already hold statfs threads');
    } finally {
      host.cleanup();
    }
  });

  test('a mount the root does not show (ENOENT) is skipped with the reason, not an error', async () => {
    const paths = fixturePaths('container-view');
    const fs = new FilesystemCollector({
      statfsSync: (p) => {
        if (p.endsWith('/boot/efi')) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
        return STATS;
      },
      statfs: async () => STATS,
    });
    const c = await hostCollection(paths, [fs]).collect();
    expect(c.errors).toEqual([]);
    expect(fs.found().skipped.find((s) => s.mountPoint === '/boot/efi')?.reason).toBe('statfs failed: ENOENT');
  });
});
