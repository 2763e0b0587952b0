// Disks (/proc/diskstats) and network interfaces (/proc/net/dev) on fixture trees: whole devices by
// default, include/exclude patterns, and the host's interface table read through PID 1 under another root.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { AttributeCache } from '../../src/collectors/attribute-cache.js';
import { MalformedSourceError } from '../../src/collectors/collect.js';
import { DEFAULT_DISK_EXCLUDE } from '../../src/collectors/linux/device-filter.js';
import { DiskstatsCollector } from '../../src/collectors/linux/diskstats.js';
import { parseDiskstats } from '../../src/collectors/linux/diskstats-parser.js';
import { NetDevCollector } from '../../src/collectors/linux/netdev.js';
import { parseNetDev } from '../../src/collectors/linux/netdev-parser.js';
import { parseUptime, UptimeCollector } from '../../src/collectors/linux/uptime.js';
import { collectOnce, copyFixture, FIXTURES, fixturePaths, hostCollection, points, valueOf } from './fixture-host.js';

const read = (tree: string, file: string) => readFileSync(join(FIXTURES, tree, 'proc', file), 'latin1');

describe('parseDiskstats', () => {
  test('14-, 18- and 20-column lines; the fields the disk metrics need', () => {
    const disks = parseDiskstats(read('host-64cpu', 'diskstats'));
    expect(disks.map((d) => d.device)).toEqual(['loop0', 'ram0', 'nvme0n1', 'nvme0n1p1', 'nvme0n1p2', 'sda', 'sda1', 'dm-0', 'zram0', 'md0']);
    expect(disks.find((d) => d.device === 'sda')).toEqual({
      device: 'sda', readsCompleted: 25354637, readsMerged: 934, sectorsRead: 2047653760, readMs: 8011560,
      writesCompleted: 2318456, writesMerged: 18839, sectorsWritten: 199237528, writeMs: 1468000, inProgress: 2, ioMs: 7620284,
    });
  });

  test('short or garbled lines name the file, line and column', () => {
    expect(() => parseDiskstats('   8 0 sda 1 2 3\n', '/proc/diskstats')).toThrow(MalformedSourceError);
    expect(() => parseDiskstats('   8 0 sda 1 2 3\n', '/proc/diskstats')).toThrow('/proc/diskstats: line 1: expected at least 14 columns, found 6');
    expect(() => parseDiskstats('8 0 sda 1 2 x 4 5 6 7 8 9 10 11\n')).toThrow('line 1 (sda): column 6 expected a number, found "x"');
  });
});

describe('disk collector', () => {
  test("whole devices only by default (node_exporter's pattern): no partitions, loop, ram or zram", async () => {
    const c = await collectOnce(fixturePaths('host-64cpu'), [new DiskstatsCollector()]);
    expect(c.errors).toEqual([]);
    const devices = [...new Set(points(c, 'system.disk.io_time').map((p) => p.attributes['system.device']))];
    expect(devices).toEqual(['nvme0n1', 'sda', 'dm-0', 'md0']);
    for (const name of ['nvme0n1p1', 'sda1', 'loop0', 'ram0', 'zram0', 'xvda1', 'hdb2', 'fd0']) expect(DEFAULT_DISK_EXCLUDE.test(name), name).toBe(true);
  });

  test('bytes are 512-byte sectors, times are seconds', async () => {
    const c = await collectOnce(fixturePaths('host-64cpu'), [new DiskstatsCollector()]);
    const sda = (direction: string) => ({ 'system.device': 'sda', 'disk.io.direction': direction });
    expect(valueOf(c, 'system.disk.io', sda('read'))).toBe(2047653760 * 512);
    expect(valueOf(c, 'system.disk.io', sda('write'))).toBe(199237528 * 512);
    expect(valueOf(c, 'system.disk.operations', sda('read'))).toBe(25354637);
    expect(valueOf(c, 'system.disk.merged', sda('write'))).toBe(18839);
    expect(valueOf(c, 'system.disk.operation_time', sda('read'))).toBe(8011.56);
    expect(valueOf(c, 'system.disk.operation_time', sda('write'))).toBe(1468);
    expect(valueOf(c, 'system.disk.io_time', { 'system.device': 'sda' })).toBe(7620.284);
  });

  test('include and exclude patterns', async () => {
    const only = await collectOnce(fixturePaths('host-64cpu'), [new DiskstatsCollector({ include: /^nvme/, exclude: /p\d+$/ })]);
    expect([...new Set(points(only, 'system.disk.io').map((p) => p.attributes['system.device']))]).toEqual(['nvme0n1']);
    const all = await collectOnce(fixturePaths('host-64cpu'), [new DiskstatsCollector({})]);
    expect(points(all, 'system.disk.io_time')).toHaveLength(10);
  });
});

describe('parseNetDev', () => {
  test('receive and transmit bytes, packets, errors and drops per interface', () => {
    const eno1 = parseNetDev(read('host-64cpu', '1/net/dev')).find((d) => d.name === 'eno1');
    expect(eno1).toEqual({
      name: 'eno1',
      receive: { bytes: 987654321098, packets: 1234567890, errors: 3, dropped: 17 },
      transmit: { bytes: 123456789012, packets: 987654321, errors: 1, dropped: 0 },
    });
  });

  test('a line without 16 counters names the interface', () => {
    const head = 'Inter-|   Receive |  Transmit\n face |bytes    packets|bytes\n';
    expect(() => parseNetDev(head + '  eth0: 1 2 3\n', '/proc/net/dev')).toThrow('/proc/net/dev: line 3 (eth0): expected 16 counters, found "1 2 3"');
    expect(() => parseNetDev('garbage\n')).toThrow('expected the two header lines');
  });
});

describe('network collector', () => {
  test("under another root the host's table (proc/1/net/dev), not the container's own namespace (proc/net/dev)", async () => {
    const c = await collectOnce(fixturePaths('container-view'), [new NetDevCollector()]);
    expect(c.errors).toEqual([]);
    const names = [...new Set(points(c, 'system.network.io').map((p) => p.attributes['network.interface.name']))];
    // lo and the container's veth end are left out by default; bridges stay.
    expect(names).toEqual(['eno1', 'eno2', 'docker0', 'br-4f2e1d']);
  });

  test("on the agent's own root /proc/net/dev", async () => {
    const paths = { ...fixturePaths('container-view'), rootfs: '/' };
    const c = await collectOnce(paths, [new NetDevCollector()]);
    expect([...new Set(points(c, 'system.network.io').map((p) => p.attributes['network.interface.name']))]).toEqual(['eth0']);
  });

  test('values per direction; packet.count carries the interface as system.device (semconv)', async () => {
    const c = await collectOnce(fixturePaths('host-64cpu'), [new NetDevCollector()]);
    const eno1 = (direction: string) => ({ 'network.interface.name': 'eno1', 'network.io.direction': direction });
    expect(valueOf(c, 'system.network.io', eno1('receive'))).toBe(987654321098);
    expect(valueOf(c, 'system.network.io', eno1('transmit'))).toBe(123456789012);
    expect(valueOf(c, 'system.network.errors', eno1('receive'))).toBe(3);
    expect(valueOf(c, 'system.network.errors', eno1('transmit'))).toBe(1);
    expect(valueOf(c, 'system.network.packet.dropped', eno1('receive'))).toBe(17);
    expect(valueOf(c, 'system.network.packet.count', { 'system.device': 'eno1', 'network.io.direction': 'transmit' })).toBe(987654321);
  });

  test('include and exclude patterns', async () => {
    const c = await collectOnce(fixturePaths('host-64cpu'), [new NetDevCollector({ include: /^(lo|eno\d)$/, exclude: /^eno2$/ })]);
    expect([...new Set(points(c, 'system.network.io').map((p) => p.attributes['network.interface.name']))]).toEqual(['lo', 'eno1']);
  });
});

describe('uptime', () => {
  test('the first field of /proc/uptime, in seconds', async () => {
    expect(parseUptime('350735.47 234388.90\n')).toBe(350735.47);
    expect(() => parseUptime('up 3 days\n', '/proc/uptime')).toThrow('/proc/uptime: expected "<seconds> <idle seconds>", found "up 3 days"');
    const c = await collectOnce(fixturePaths('host-64cpu'), [new UptimeCollector()]);
    expect(valueOf(c, 'system.uptime')).toBe(1234567.89);
  });
});

describe('attribute objects under interface churn', () => {
  test('a stable interface keeps its attribute object; a new container interface per collection does not grow the cache', async () => {
    const host = copyFixture('host-64cpu');
    try {
      const file = join(host.paths.procfs, '1/net/dev');
      const table = readFileSync(file, 'latin1');
      const net = new NetDevCollector({});
      const collection = hostCollection(host.paths, [net]);
      let first: unknown;
      for (let i = 0; i < 500; i++) {
        writeFileSync(file, `${table}cali${i.toString(16).padStart(6, '0')}: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n`);
        const c = await collection.collect();
        const eno1 = points(c, 'system.network.io').find((p) => p.attributes['network.interface.name'] === 'eno1')!.attributes;
        if (i === 0) first = eno1;
        expect(eno1).toBe(first);
        expect(points(c, 'system.network.io').filter((p) => String(p.attributes['network.interface.name']).startsWith('cali'))).toHaveLength(2);
      }
      // 7 live interfaces: the cache never holds more than 2 x 7 + 32 names.
      expect((net as unknown as { attrs: AttributeCache<unknown> }).attrs.size).toBeLessThanOrEqual(2 * 7 + 32);
    } finally {
      host.cleanup();
    }
  });
});
