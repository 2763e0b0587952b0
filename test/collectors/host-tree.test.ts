// The live host under another root (a sidecar's --rootfs /host with the host's PID namespace) is told
// apart from this machine's own /proc and from other trees. A real procfs mounted elsewhere needs root
// and a container (test/deploy/docker-sidecar.test.ts runs that); here such a mount is rebuilt from the
// live /proc with symlinks, which read the same through the paths the classifier reads.
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { classifyHostTree } from '../../src/collectors/host-tree.js';
import { resolveHostPaths } from '../../src/collectors/index.js';
import { fixturePaths } from './fixture-host.js';

const BOOT_ID = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();

describe.skipIf(process.platform !== 'linux')('classifyHostTree', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** A procfs look-alike: boot id, `self` naming `selfPid`, and that PID's directory from the live /proc. */
  function mountLike(options: { bootId?: string; selfPid?: number | null } = {}): string {
    const root = mkdtempSync(join(tmpdir(), 'host-tree-'));
    dirs.push(root);
    const proc = join(root, 'proc');
    mkdirSync(join(proc, 'sys/kernel/random'), { recursive: true });
    writeFileSync(join(proc, 'sys/kernel/random/boot_id'), `${options.bootId ?? BOOT_ID}\n`);
    const pid = options.selfPid === undefined ? process.pid : options.selfPid;
    if (pid !== null) {
      symlinkSync(String(pid), join(proc, 'self'));
      if (pid === process.pid) symlinkSync(`/proc/${pid}`, join(proc, String(pid)));
    }
    return proc;
  }

  test("this machine's own /proc and /sys", () => {
    expect(classifyHostTree('/proc', '/sys')).toEqual({ kind: 'own', live: true, reason: "this machine's own /proc and /sys" });
  });

  test('the live procfs under another root, same boot id and PID namespace: live, and perf may run there', () => {
    const proc = mountLike();
    const ns = readlinkSync('/proc/self/ns/pid');
    const tree = classifyHostTree(proc, '/sys');
    expect(tree).toEqual({
      kind: 'host-mount',
      live: true,
      reason: `the live host's procfs under another root: same boot id and PID namespace (${ns}) as this process`,
    });
    expect(resolveHostPaths({ procfs: proc, sysfs: '/sys', rootfs: join(proc, '..') }).live).toBe(true);
  });

  test('a tree whose boot id is another kernel: not live', () => {
    const proc = mountLike({ bootId: '00000000-0000-4000-8000-000000000000' });
    expect(classifyHostTree(proc, '/sys')).toEqual({
      kind: 'other',
      live: false,
      reason: 'another tree: boot id 00000000-0000-4000-8000-000000000000 is not this kernel\'s (a copied tree or another machine)',
    });
  });

  test('same kernel seen from another PID namespace (self names another PID, or nothing): not live', () => {
    const other = mountLike({ selfPid: 4_000_000 });
    expect(classifyHostTree(other, '/sys').reason).toBe(
      `another tree: same kernel, but ${other} belongs to another PID namespace (it names this process 4000000, not ${process.pid}): share the host's PID namespace (docker --pid host)`,
    );
    const none = mountLike({ selfPid: null });
    expect(classifyHostTree(none, '/sys')).toMatchObject({ kind: 'other', live: false });
    expect(classifyHostTree(none, '/sys').reason).toContain('it names this process not at all');
  });

  test('a fixture tree: no boot id, or a sysfs that is not mounted sysfs', () => {
    const f = fixturePaths('bare-metal');
    expect(classifyHostTree(f.procfs, '/sys')).toEqual({
      kind: 'other',
      live: false,
      reason: `another tree: ${join(f.procfs, 'sys/kernel/random/boot_id')} is unreadable (not a live procfs)`,
    });
    expect(classifyHostTree(mountLike(), f.sysfs)).toEqual({ kind: 'other', live: false, reason: `another tree: ${f.sysfs} is not a mounted sysfs` });
    expect(classifyHostTree('/proc', f.sysfs).kind).toBe('other');
  });
});
