// The disk, filesystem and network collectors against this machine, checked with independent readings:
// /sys/block/<disk>/stat (the same kernel counters through sysfs), df(1) and /sys/class/net/<if>/statistics.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { uptime } from 'node:os';
import { describe, expect, test } from 'vitest';
import { DiskstatsCollector } from '../../src/collectors/linux/diskstats.js';
import { FilesystemCollector } from '../../src/collectors/linux/filesystem.js';
import { NetDevCollector } from '../../src/collectors/linux/netdev.js';
import { UptimeCollector } from '../../src/collectors/linux/uptime.js';
import { collectOnce, points, valueOf } from './fixture-host.js';

const LIVE = { procfs: '/proc', sysfs: '/sys', rootfs: '/', live: true };
const sysNumbers = (path: string): number[] => readFileSync(path, 'latin1').trim().split(/\s+/).map(Number);

describe.runIf(process.platform === 'linux')('this machine, checked independently', () => {
  test('disks: the same counters as /sys/block/<disk>/stat (read just before and after)', async () => {
    const disks = points(await collectOnce(LIVE, [new DiskstatsCollector()]), 'system.disk.io_time').map((p) => String(p.attributes['system.device']));
    const disk = disks.find((d) => existsSync(`/sys/block/${d}/stat`));
    if (!disk) return;
    const before = sysNumbers(`/sys/block/${disk}/stat`);
    const c = await collectOnce(LIVE, [new DiskstatsCollector()]);
    const after = sysNumbers(`/sys/block/${disk}/stat`);
    // /sys/block/<disk>/stat: reads, merged, sectors, ms, writes, merged, sectors, ms, in flight, io ms, ...
    // `unit` converts the raw counter exactly as the collector does (sectors x 512, ms / 1000).
    const within = (v: number | undefined, i: number, unit = (raw: number) => raw) => {
      expect(v).toBeGreaterThanOrEqual(unit(before[i]));
      expect(v).toBeLessThanOrEqual(unit(after[i]));
    };
    within(valueOf(c, 'system.disk.operations', { 'system.device': disk, 'disk.io.direction': 'read' }), 0);
    within(valueOf(c, 'system.disk.io', { 'system.device': disk, 'disk.io.direction': 'read' }), 2, (raw) => raw * 512);
    within(valueOf(c, 'system.disk.io', { 'system.device': disk, 'disk.io.direction': 'write' }), 6, (raw) => raw * 512);
    within(valueOf(c, 'system.disk.io_time', { 'system.device': disk }), 9, (raw) => raw / 1000);
  });

  test("filesystem /: size and use as df(1) reports them", async () => {
    const fs = new FilesystemCollector();
    const c = await collectOnce(LIVE, [fs]);
    const root = points(c, 'system.filesystem.limit').find((p) => p.attributes['system.filesystem.mountpoint'] === '/');
    expect(root).toBeDefined();
    const [size, used, avail] = execFileSync('df', ['-B1', '--output=size,used,avail', '/'], { encoding: 'latin1' })
      .trim().split('\n')[1].trim().split(/\s+/).map(Number);
    expect(root!.value).toBe(size);
    const attrs = { ...root!.attributes };
    const usage = (state: string) => valueOf(c, 'system.filesystem.usage', { ...attrs, 'system.filesystem.state': state })!;
    // Other processes write meanwhile: within 64 MiB.
    expect(Math.abs(usage('used') - used)).toBeLessThan(64 * 1024 ** 2);
    expect(Math.abs(usage('free') - avail)).toBeLessThan(64 * 1024 ** 2);
    expect(valueOf(c, 'system.filesystem.utilization', attrs)).toBeCloseTo(used / (used + avail), 2);
  });

  test('network: bytes and packets as /sys/class/net/<if>/statistics counts them', async () => {
    const c0 = await collectOnce(LIVE, [new NetDevCollector()]);
    const iface = points(c0, 'system.network.io').map((p) => String(p.attributes['network.interface.name'])).find((i) => existsSync(`/sys/class/net/${i}/statistics`));
    if (!iface) return;
    const stat = (name: string) => Number(readFileSync(`/sys/class/net/${iface}/statistics/${name}`, 'latin1'));
    const before = { rx: stat('rx_bytes'), tx: stat('tx_packets') };
    const c = await collectOnce(LIVE, [new NetDevCollector()]);
    const after = { rx: stat('rx_bytes'), tx: stat('tx_packets') };
    const rx = valueOf(c, 'system.network.io', { 'network.interface.name': iface, 'network.io.direction': 'receive' })!;
    const tx = valueOf(c, 'system.network.packet.count', { 'system.device': iface, 'network.io.direction': 'transmit' })!;
    expect(rx).toBeGreaterThanOrEqual(before.rx);
    expect(rx).toBeLessThanOrEqual(after.rx);
    expect(tx).toBeGreaterThanOrEqual(before.tx);
    expect(tx).toBeLessThanOrEqual(after.tx);
  });

  test('uptime within 1.5 s of os.uptime() (libuv: CLOCK_BOOTTIME)', async () => {
    const c = await collectOnce(LIVE, [new UptimeCollector()]);
    expect(Math.abs(valueOf(c, 'system.uptime')! - uptime())).toBeLessThan(1.5);
  });
});
