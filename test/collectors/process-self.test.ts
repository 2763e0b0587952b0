// The agent's own process, read live (this test's own process) and checked against independent readings:
// /proc/self/status Threads, a descriptor this test opens, and the kernel's RSS.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseStatThreads, ProcessSelfCollector } from '../../src/collectors/process-self.js';
import { collectOnce, fixturePaths, valueOf } from './fixture-host.js';

const linux = process.platform === 'linux';

describe('parseStatThreads', () => {
  test('field 20 after a command name with spaces and parentheses', () => {
    const line = '4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 1000 0 0 0 12 3 0 0 20 0 17 0 1234 567890 1234 18446744073709551615\n';
    expect(parseStatThreads(line)).toBe(17);
    expect(() => parseStatThreads('4242 (x) S 1\n', '/proc/self/stat')).toThrow('/proc/self/stat: expected num_threads in field 20, found ""');
  });
});

describe.skipIf(!linux)('process collector on this process', () => {
  test('threads match /proc/self/status; one more open descriptor counts one more; RSS is the kernel VmRSS', async () => {
    const collector = new ProcessSelfCollector({ fdCountTtlMs: 0 });
    const paths = fixturePaths('vm');
    try {
      const before = await collectOnce(paths, [collector]);
      expect(before.errors).toEqual([]);
      const status = readFileSync('/proc/self/status', 'latin1');
      const threads = Number(/^Threads:\s+(\d+)/m.exec(status)![1]);
      expect(valueOf(before, 'process.thread.count')).toBe(threads);
      const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]);
      // RSS moves as the test allocates: within 20 % of the kernel's figure read a moment later.
      expect(valueOf(before, 'process.memory.usage')! / 1024).toBeGreaterThan(rssKiB * 0.8);
      expect(valueOf(before, 'process.memory.usage')! / 1024).toBeLessThan(rssKiB * 1.2);

      const fd = openSync('/proc/self/status', 'r');
      try {
        const after = await collectOnce(paths, [collector]);
        expect(valueOf(after, 'process.unix.file_descriptor.count')).toBe(valueOf(before, 'process.unix.file_descriptor.count')! + 1);
        expect(valueOf(after, 'process.cpu.time', { 'cpu.mode': 'user' })).toBeGreaterThanOrEqual(valueOf(before, 'process.cpu.time', { 'cpu.mode': 'user' })!);
      } finally {
        closeSync(fd);
      }
    } finally {
      collector.close();
    }
  });
});

describe('process collector elsewhere', () => {
  test('macOS: CPU time, RSS and descriptors from /dev/fd; no thread count', async () => {
    const collector = new ProcessSelfCollector({ platform: 'darwin', fdDir: '/dev/fd' });
    const c = await collectOnce(fixturePaths('vm'), [collector]);
    expect(c.errors).toEqual([]);
    expect(valueOf(c, 'process.thread.count')).toBeUndefined();
    expect(valueOf(c, 'process.memory.usage')).toBeGreaterThan(0);
    expect(valueOf(c, 'process.unix.file_descriptor.count')).toBeGreaterThan(2);
  });
});
