// `status` and `stats` against a running API (compiled CLI; npm test builds it first).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Harness, startHarness } from './harness.js';

const ROOT = join(import.meta.dirname, '..', '..');
let h: Harness;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'otel-sysmon.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'status.js'))) execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT });
  h = await startHarness({ maxWorkers: '4' });
  await h.post('/api/builds', { id: 'p1', name: 'ports/editors/vim' });
  await h.post('/api/builds/p1/start');
  await h.post('/api/builds', { id: 'p2', name: 'ports/shells/bash' });
  await h.post('/api/builds/p2/finish', { status: 'ignored' });
});
afterAll(async () => {
  await h.stop();
});

describe('status and stats commands', () => {
  it('status draws the dsynth panel from the agent', async () => {
    const r = await cli(['status', '--api-url', h.url]);
    expect(r.code).toBe(0);
    // Whole lines as dsynth's ncurses.c draws them; only the clocks and the limit (it climbs every 5 s) vary.
    const lines = r.stdout.split('\n').map((l) => l.replace(/\d\d:\d\d:\d\d/g, 'hh:mm:ss').replace(/Lim \d  /, 'Lim N  '));
    const rule = '='.repeat(79);
    expect(lines).toEqual([
      ' Total 2       Built 0      Ignored 1      Load -      Pkg/hour 0      Lim N    ',
      '  Left 1      Failed 0      Skipped 0      Swap -       Impulse 0      hh:mm:ss ',
      rule,
      ' ID  Duration  Build Phase      Origin                                    Lines',
      rule,
      ' 00  hh:mm:ss  Running          ports/editors/vim                             0',
      ' 01  --:--:--  Idle                                                            ',
      ' 02  --:--:--  Idle                                                            ',
      ' 03  --:--:--  Idle                                                            ',
      rule,
      '',
    ]);
  });

  it('status --format json prints /api/stats', async () => {
    const r = await cli(['status', '--api-url', h.url, '--format', 'json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ queued: 2, ignored: 1, remaining: 1, activeWorkers: 1, maxWorkers: 4 });
  });

  it('stats prints the all-time totals; a missing agent is one line', async () => {
    const r = await cli(['stats', '--api-url', h.url, '--data-dir', h.dir]);
    expect(r.stdout).toBe('Builds      1 finished (0 built, 0 failed, 1 ignored, 0 skipped)\nBuild time  0s\nCPU time    0 CPU·s\n');
    const port = await freePort();
    const gone = await cli(['status', '--api-url', `http://127.0.0.1:${port}`]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(`otel-sysmon: no agent answers at http://127.0.0.1:${port} (ECONNREFUSED): is \`otel-sysmon run\` running?\n`);
  });
});
