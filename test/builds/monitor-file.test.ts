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
      'Load=3.24\nSwap=2\nWorkers=4/4\nDynMax=4\nRate=24\nImpulse=3\nElapsed=943\n' +
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
  // The whole document as html.c's HtmlUpdateTop()/HtmlUpdate() print it (fprintf formats copied field by
  // field: `"key":value` lines with leading commas, builders joined by ","; idle slots " --:--:--" / "Idle").
  it('is byte for byte what dsynth html.c writes', () => {
    const now = Date.parse('2026-01-01T10:20:00Z');
    const stats = { ...STATS, load: 2.25, adjustedLoad: 9, swapPercent: 2, maxWorkers: 3 };
    expect(formatSummary({ stats, running: [RUNNING_BUILD], profile: 'host1', nowMs: now })).toBe(
      [
        '{',
        '  "profile":"host1"',
        '  ,"kickoff":" 01-Jan-2026 10:00:00 UTC"',
        '  ,"kfiles":0',
        '  ,"active":1',
        '  ,"stats":{',
        '    "queued":142',
        '    ,"built":38',
        '    ,"failed":2',
        '    ,"ignored":0',
        '    ,"skipped":5',
        '    ,"remains":97',
        '    ,"elapsed":" 00:15:43"',
        '    ,"pkghour":24',
        '    ,"impulse":3',
        '    ,"swapinfo":"  2.0"',
        '    ,"load":"  2.2"',
        '  }',
        '  ,"builders":[',
        '  {',
        '     "ID":"00"',
        '     ,"elapsed":" 00:04:30"',
        '     ,"phase":"Running"',
        '     ,"origin":"devel/gmake"',
        '     ,"lines":"54"',
        '  }',
        ',  {',
        '     "ID":"01"',
        '     ,"elapsed":" --:--:--"',
        '     ,"phase":"Idle"',
        '     ,"origin":""',
        '     ,"lines":""',
        '  }',
        ',  {',
        '     "ID":"02"',
        '     ,"elapsed":" --:--:--"',
        '     ,"phase":"Idle"',
        '     ,"origin":""',
        '     ,"lines":""',
        '  }',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('is valid JSON: no swap, 100 hours and more, a build name that needs escaping', () => {
    const now = Date.parse('2026-01-05T15:00:00Z');
    const stats = { ...STATS, swapPercent: null, elapsedSeconds: 360_005, maxWorkers: 1, runActive: false };
    const build = { ...RUNNING_BUILD, name: 'say "hi"', started_at: new Date(now - 101 * 3_600_000).toISOString() };
    const summary = JSON.parse(formatSummary({ stats, running: [build], profile: 'host1', nowMs: now }));
    expect(summary.active).toBe(0);
    expect(summary.stats).toMatchObject({ elapsed: '100:00:05', swapinfo: '-    ' });
    expect(summary.builders).toEqual([{ ID: '00', elapsed: '101:00:00', phase: 'Running', origin: 'say "hi"', lines: '54' }]);
  });
});
