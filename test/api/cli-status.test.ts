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
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^ Total 2 +Built 0 +Ignored 1 +Load - +Pkg\/hour 0$/);
    expect(lines[1]).toMatch(/^ {2}Left 1 +Failed 0 +Skipped 0 +Swap - +Impulse 0 +00:00:\d\d$/);
    expect(lines[3]).toMatch(/^ ID  Duration  Build Phase/);
    expect(lines[4]).toMatch(/^ 00  00:00:\d\d  running +ports\/editors\/vim +0 +Lim 2$/);
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
