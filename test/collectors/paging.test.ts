import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SwapsCollector } from '../../src/collectors/linux/swaps.js';
import { parseSwaps } from '../../src/collectors/linux/swaps-parser.js';
import { VmstatCollector } from '../../src/collectors/linux/vmstat.js';
import { parseVmstat } from '../../src/collectors/linux/vmstat-parser.js';
import { collectOnce, FIXTURES, fixturePaths, points, valueOf } from './fixture-host.js';

const KiB = 1024;
const fixture = (name: string, file: string) => readFileSync(join(FIXTURES, name, 'proc', file), 'latin1');

describe('parseSwaps', () => {
  test('one entry per device, KiB to bytes, octal escapes decoded', () => {
    expect(parseSwaps(fixture('bare-metal', 'swaps'))).toEqual([
      { device: '/dev/nvme0n1p3', sizeBytes: 4194300 * KiB, usedBytes: 1048576 * KiB },
      { device: '/var/swap file', sizeBytes: 2097152 * KiB, usedBytes: 0 },
    ]);
  });

  test('header only: no swap', () => {
    expect(parseSwaps(fixture('no-swap', 'swaps'))).toEqual([]);
  });

  test('bad rows and headers name the file and what was expected', () => {
    expect(() => parseSwaps('Filename Type Size Used Priority\n/dev/sda2 partition big 0 -2\n', '/proc/swaps')).toThrow(
      '/proc/swaps: line 2: expected "<device> <type> <size KiB> <used KiB>", found "/dev/sda2 partition big 0 -2"',
    );
    expect(() => parseSwaps('garbage\n', '/proc/swaps')).toThrow('/proc/swaps: expected a "Filename Type Size Used Priority" header');
  });
});

describe('swap collector', () => {
  test('usage and utilization per device and state', async () => {
    const c = await collectOnce(fixturePaths('bare-metal'), [new SwapsCollector()]);
    const nvme = (state: string) => ({ 'system.paging.state': state, 'system.device': '/dev/nvme0n1p3' });
    expect(valueOf(c, 'system.paging.usage', nvme('used'))).toBe(1048576 * KiB);
    expect(valueOf(c, 'system.paging.usage', nvme('free'))).toBe((4194300 - 1048576) * KiB);
    expect(valueOf(c, 'system.paging.utilization', nvme('used'))).toBe(1048576 / 4194300);
    expect(valueOf(c, 'system.paging.utilization', nvme('free'))).toBe((4194300 - 1048576) / 4194300);
    const file = { 'system.paging.state': 'free', 'system.device': '/var/swap file' };
    expect(valueOf(c, 'system.paging.utilization', file)).toBe(1);
    expect(points(c, 'system.paging.usage')).toHaveLength(4);
  });

  test('no swap configured: no points and no error', async () => {
    const c = await collectOnce(fixturePaths('no-swap'), [new SwapsCollector()]);
    expect(c.errors).toEqual([]);
    expect(points(c, 'system.paging.usage')).toEqual([]);
    expect(points(c, 'system.paging.utilization')).toEqual([]);
  });
});

describe('parseVmstat', () => {
  test('swap-ins/outs and faults', () => {
    expect(parseVmstat(fixture('bare-metal', 'vmstat'))).toEqual({ pswpin: 1500, pswpout: 2500, pgfault: 987654321, pgmajfault: 4321 });
  });

  test('garbage values and files without the counters are malformed', () => {
    expect(() => parseVmstat('nr_free_pages 1\npgfault lots\n', '/proc/vmstat')).toThrow('/proc/vmstat: pgfault: expected a count, found "lots"');
    expect(() => parseVmstat('nr_free_pages 1\n', '/proc/vmstat')).toThrow('/proc/vmstat: no pgfault or pswpin line');
  });
});

describe('paging collector', () => {
  test('operations by direction; minor faults = pgfault - pgmajfault', async () => {
    const c = await collectOnce(fixturePaths('bare-metal'), [new VmstatCollector()]);
    expect(valueOf(c, 'system.paging.operations', { 'system.paging.direction': 'in', 'system.paging.fault.type': 'major' })).toBe(1500);
    expect(valueOf(c, 'system.paging.operations', { 'system.paging.direction': 'out', 'system.paging.fault.type': 'major' })).toBe(2500);
    expect(valueOf(c, 'system.paging.faults', { 'system.paging.fault.type': 'major' })).toBe(4321);
    expect(valueOf(c, 'system.paging.faults', { 'system.paging.fault.type': 'minor' })).toBe(987650000);
  });
});
