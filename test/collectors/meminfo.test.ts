import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MalformedSourceError } from '../../src/collectors/collect.js';
import { MeminfoCollector } from '../../src/collectors/linux/meminfo.js';
import { parseMeminfo } from '../../src/collectors/linux/meminfo-parser.js';
import { collectOnce, FIXTURES, fixturePaths, points, valueOf } from './fixture-host.js';

const KiB = 1024;
const fixture = (name: string) => readFileSync(join(FIXTURES, name, 'proc', 'meminfo'), 'latin1');

describe('parseMeminfo', () => {
  test('the fields the collector needs, in bytes', () => {
    expect(parseMeminfo(fixture('bare-metal'))).toEqual({
      total: 32768000 * KiB,
      free: 8192000 * KiB,
      available: 20480000 * KiB,
      buffers: 512000 * KiB,
      cached: 10240000 * KiB,
      sReclaimable: 1024000 * KiB,
      shmem: 8872 * KiB,
      sUnreclaim: 25672 * KiB,
    });
  });

  test('keys are matched whole at the start of a line (SwapCached is not Cached)', () => {
    const text = 'MemTotal: 1000 kB\nSwapCached: 7 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 300 kB\n';
    expect(parseMeminfo(text)).toMatchObject({ total: 1000 * KiB, cached: 300 * KiB, sReclaimable: 0, available: undefined });
  });

  test('kernels before 3.14 have no MemAvailable', () => {
    expect(parseMeminfo(fixture('no-psi')).available).toBeUndefined();
  });

  test('truncated or garbled files are MalformedSourceError naming the field', () => {
    expect(() => parseMeminfo(fixture('malformed'), '/proc/meminfo')).toThrow(MalformedSourceError);
    expect(() => parseMeminfo(fixture('malformed'), '/proc/meminfo')).toThrow('/proc/meminfo: no Buffers line (truncated file?)');
    expect(() => parseMeminfo('MemTotal: 12 MB\nMemFree: 1 kB\nBuffers: 1 kB\nCached: 1 kB\n', '/proc/meminfo')).toThrow(
      '/proc/meminfo: MemTotal: expected "<number> kB", found "12 MB"',
    );
    expect(() => parseMeminfo('MemTotal: 0 kB\nMemFree: 0 kB\nBuffers: 0 kB\nCached: 0 kB\n')).toThrow('MemTotal is 0');
  });
});

describe('memory collector', () => {
  test('used = MemTotal - MemAvailable; cached is the page cache; utilization is a fraction of MemTotal', async () => {
    const c = await collectOnce(fixturePaths('bare-metal'), [new MeminfoCollector()]);
    expect(c.errors).toEqual([]);
    const usage = (state: string) => valueOf(c, 'system.memory.usage', { 'system.memory.state': state });
    const util = (state: string) => valueOf(c, 'system.memory.utilization', { 'system.memory.state': state });
    expect(usage('used')).toBe((32768000 - 20480000) * KiB);
    expect(usage('free')).toBe(8192000 * KiB);
    expect(usage('buffers')).toBe(512000 * KiB);
    expect(usage('cached')).toBe(10240000 * KiB);
    expect(util('used')).toBe(0.375);
    expect(util('free')).toBe(0.25);
    expect(util('cached')).toBe(0.3125);
    expect(valueOf(c, 'system.memory.limit')).toBe(32768000 * KiB);
    expect(valueOf(c, 'system.memory.linux.available')).toBe(20480000 * KiB);
    expect(points(c, 'system.memory.usage')).toHaveLength(4);
    expect(valueOf(c, 'system.memory.linux.shared')).toBe(8872 * KiB);
    expect(valueOf(c, 'system.memory.linux.slab.usage', { 'system.memory.linux.slab.state': 'reclaimable' })).toBe(1024000 * KiB);
    expect(valueOf(c, 'system.memory.linux.slab.usage', { 'system.memory.linux.slab.state': 'unreclaimable' })).toBe(25672 * KiB);
  });

  test('without MemAvailable: used from free + buffers + cache + reclaimable slab, and no available point', async () => {
    const c = await collectOnce(fixturePaths('no-psi'), [new MeminfoCollector()]);
    expect(valueOf(c, 'system.memory.usage', { 'system.memory.state': 'used' })).toBe(
      (4046844 - (1023456 + 102400 + 1536000 + 153600)) * KiB,
    );
    expect(points(c, 'system.memory.linux.available')).toEqual([]);
    expect(valueOf(c, 'system.memory.limit')).toBe(4046844 * KiB);
  });
});
