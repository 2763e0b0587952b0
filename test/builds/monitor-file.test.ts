import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatMonitor, formatSummary, parseMonitor, writeFileAtomic } from '../../src/builds/monitor-file.js';
import { RUNNING_BUILD, STATS } from './fixtures.js';


let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sysmon-monitor-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('monitor.dat', () => {
  it('has the dsynth keys in order', () => {
    expect(formatMonitor(STATS)).toBe(
      'Load=3.24\nSwap=2\nWorkers=4/4\nDynMax=4\nRate=24.3\nImpulse=3.0\nElapsed=943\n' +
        'Queued=142\nBuilt=38\nFailed=2\nIgnored=0\nSkipped=5\n',
    );
  });

  it('is never seen partially written by a concurrent reader', async () => {
    const file = join(dir, 'stats', 'monitor.dat');
    const stop = join(dir, 'stop');
    writeFileAtomic(file, formatMonitor({ ...STATS, elapsedSeconds: 0, built: 0 }));
    // The reader checks every read is one whole version: 12 keys and Elapsed equal to Built.
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); let reads = 0, bad = 0; const end = Date.now() + 20000;
         while (!fs.existsSync(${JSON.stringify(stop)}) && Date.now() < end) {
           const t = fs.readFileSync(${JSON.stringify(file)}, 'utf8'); reads++;
           const kv = Object.fromEntries(t.trim().split('\\n').map((l) => l.split('=')));
           if (Object.keys(kv).length !== 12 || kv.Elapsed !== kv.Built || !t.endsWith('\\n')) bad++;
         }
         process.stdout.write(JSON.stringify({ reads, bad }));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    reader.stdout.on('data', (d) => (out += d));
    const done = new Promise<void>((resolve) => reader.on('exit', () => resolve()));
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 1; i <= 1000; i++) {
      // Vary the length so a torn read would also change the line count.
      writeFileAtomic(file, formatMonitor({ ...STATS, elapsedSeconds: i ** 3, built: i ** 3 }));
    }
    writeFileSync(stop, '');
    await done;
    const { reads, bad } = JSON.parse(out) as { reads: number; bad: number };
    expect(reads).toBeGreaterThan(50);
    expect(bad).toBe(0);
    expect(parseMonitor(readFileSync(file, 'utf8')).get('Built')).toBe(String(1000 ** 3));
    expect(existsSync(file + '.tmp')).toBe(false);
  });
});

describe('Report/summary.json', () => {
  it('follows dsynth html.c: stats block and one builder per max worker', () => {
    const now = Date.parse('2026-01-01T10:20:00Z');
    const running = [RUNNING_BUILD];
    const summary = JSON.parse(formatSummary({ stats: STATS, running, profile: 'host1', nowMs: now }));
    expect(summary.profile).toBe('host1');
    expect(summary.active).toBe(1);
    expect(summary.stats).toEqual({
      queued: 142,
      built: 38,
      failed: 2,
      ignored: 0,
      skipped: 5,
      remains: 97,
      meta: 0,
      elapsed: ' 00:15:43',
      pkghour: 24,
      impulse: 3,
      swapinfo: '  2.0',
      load: '  3.2',
    });
    expect(summary.builders).toHaveLength(4);
    expect(summary.builders[0]).toEqual({ ID: '00', elapsed: ' 00:04:30', phase: 'running', origin: 'devel/gmake', lines: '54' });
    expect(summary.builders[3]).toEqual({ ID: '03', elapsed: 'Idle', phase: '', origin: '', lines: '' });
  });
});
