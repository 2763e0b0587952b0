// wrap against real process trees: exact CPU-seconds, grandchildren, memory, exit codes, signals,
// and reporting to a running agent or, without one, to the store.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessTree } from '../../src/builds/proc-tree.js';
import { WrapReport } from '../../src/builds/wrap-report.js';
import { runWrapped } from '../../src/builds/wrap-run.js';
import { silentLogger } from '../../src/log.js';
import { BuildRepo } from '../../src/store/builds.js';
import { openStore, storePath } from '../../src/store/store.js';
import { freePort, startHarness } from '../api/harness.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'otel-sysmon.js');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sysmon-wrap-'));
  // The CLI tests run the compiled agent (npm test builds it first).
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'wrap.js'))) execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const busy = (n: number): string => `i=0; while [ $i -lt ${n} ]; do i=$((i+1)); done`;

function localReport(id: string, dataDir: string): { report: WrapReport; repo: () => BuildRepo } {
  let repo: BuildRepo | undefined;
  const open = () => (repo ??= new BuildRepo(openStore(storePath(dataDir))));
  return { report: new WrapReport({ id, name: id }, undefined, open, silentLogger), repo: open };
}

function runCli(args: string[], env: Record<string, string> = {}, onStart?: (pid: number) => void) {
  return new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    if (onStart && child.pid) onStart(child.pid);
    child.on('exit', (code) => resolve({ code, stderr, stdout }));
  });
}

describe('process tree', () => {
  it('finds children and grandchildren', async () => {
    // Outer shell -> inner shell -> sleep (grandchild), plus a direct sleep child.
    const child = spawn('/bin/sh', ['-c', `sh -c 'sleep 3; true' & sleep 3; wait`], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const sample = new ProcessTree().sample(child.pid!);
      expect(sample.pids[0]).toBe(child.pid);
      expect(sample.pids.length).toBe(4);
      expect(sample.comms.filter((c) => c === 'sleep')).toHaveLength(2);
      expect(sample.rssBytes).toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('runWrapped', () => {
  it('reports CPU-seconds within 10 % of the kernel figure, children and grandchildren included', async () => {
    const out = join(dir, 'kernel-ticks');
    // Two busy children, one busy grandchild; the shell then prints its own utime+stime+cutime+cstime.
    const script =
      `(${busy(80000)}) & (${busy(80000)}) & sh -c '(${busy(80000)}) & wait; true' & wait; ` +
      `awk '{print $14+$15+$16+$17}' /proc/$$/stat > ${out}`;
    const { report } = localReport('cpu', dir);
    const r = await runWrapped({ command: [script], shell: true, sampleIntervalMs: 1000, report, log: silentLogger });
    expect(r.exitCode).toBe(0);
    const kernel = Number(readFileSync(out, 'utf8')) / 100;
    expect(kernel).toBeGreaterThan(0.1);
    expect(Math.abs(r.cpuSeconds! - kernel) / kernel, `wrap ${r.cpuSeconds} s, kernel ${kernel} s`).toBeLessThan(0.1);
  });

  it('samples the whole tree: a grandchild’s memory shows in the snapshots and the peak', async () => {
    const hold = `const b = Buffer.alloc(160 * 1024 * 1024, 1); setTimeout(() => b.length, 3500)`;
    const { report, repo } = localReport('mem', dir);
    const r = await runWrapped({
      command: ['/bin/sh', '-c', `sh -c '${process.execPath} -e "${hold}"; true'; true`],
      shell: false,
      sampleIntervalMs: 1000,
      report,
      log: silentLogger,
    });
    expect(r.exitCode).toBe(0);
    expect(r.samples).toBeGreaterThanOrEqual(2);
    expect(r.peakMemoryMb!).toBeGreaterThan(150);
    const build = repo().get('mem')!;
    expect(build.status).toBe('success');
    expect(build.cpuSecondsExact).toBe(true);
    expect(build.peakMemoryMb!).toBeGreaterThan(150);
    expect(repo().snapshots('mem').some((s) => s.memoryMb > 150)).toBe(true);
  });

  it('exits with the command’s code, 128 + N for a signal, 127 when it cannot start', async () => {
    const run = (command: string[], id: string) =>
      runWrapped({ command, shell: false, sampleIntervalMs: 5000, report: localReport(id, dir).report, log: silentLogger });
    expect((await run(['/bin/sh', '-c', 'exit 7'], 'e7')).exitCode).toBe(7);
    const killed = await run(['/bin/sh', '-c', 'kill -TERM $$'], 'sig');
    expect(killed).toMatchObject({ exitCode: 143, signal: 'SIGTERM' });
    const missing = await run(['/nonexistent/command'], 'missing');
    expect(missing.exitCode).toBe(127);
    expect(missing.startError).toMatch(/ENOENT/);
    const { repo } = localReport('x', dir);
    expect(repo().get('e7')).toMatchObject({ status: 'failed', exitCode: 7 });
    expect(repo().get('sig')).toMatchObject({ status: 'failed', exitCode: 143 });
  });
});

describe('otel-sysmon wrap (CLI)', () => {
  it('forwards SIGTERM to the command and exits 143 with one summary line', async () => {
    const data = join(dir, 'sig-cli');
    const port = await freePort();
    const ready = join(dir, 'sleeper-ready');
    const args = ['wrap', '--data-dir', data, '--api-url', `http://127.0.0.1:${port}`, '--name', 'sleeper'];
    const r = await runCli([...args, '--', '/bin/sh', '-c', `touch ${ready}; exec sleep 30`], {}, (pid) => {
      // Signal wrap once the command runs (bounded wait: 10 s).
      const started = Date.now();
      const poll = setInterval(() => {
        if (existsSync(ready) || Date.now() - started > 10_000) {
          clearInterval(poll);
          process.kill(pid, 'SIGTERM');
        }
      }, 50);
    });
    expect(r.code).toBe(143);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^otel-sysmon wrap: sleeper killed by SIGTERM \(exit 143\) after \d+\.\ds, [\d.]+ CPU·s, .*recorded in local store$/);
  });

  it('reports to a running agent: build, snapshots, exact CPU-seconds', async () => {
    const h = await startHarness();
    try {
      const r = await runCli([
        'wrap', '--data-dir', h.dir, '--api-url', h.url, '--worker', 'ci-7', '--sample-interval', '1s', '--name', 'agent-build',
        '--', '/bin/sh', '-c', `${busy(40000)}; sleep 1.5; exit 3`,
      ]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`recorded in agent ${h.url}`);
      const list = await h.get('/api/builds?status=failed');
      expect(list.body.builds).toHaveLength(1);
      const b = list.body.builds[0];
      expect(b).toMatchObject({ name: 'agent-build', worker_id: 'ci-7', exit_code: 3, cpu_seconds_exact: true });
      expect(b.cpu_seconds).toBeGreaterThan(0.02);
      expect(b.snapshot_count).toBeGreaterThanOrEqual(1);
      expect((await h.get('/api/stats')).body).toMatchObject({ failed: 1, queued: 1, activeWorkers: 0 });
    } finally {
      await h.stop();
    }
  });

  it('writes the store directly when no agent answers, and stats reads it back', async () => {
    const data = join(dir, 'no-agent');
    const port = await freePort();
    const api = `http://127.0.0.1:${port}`;
    const r = await runCli(['wrap', '--data-dir', data, '--api-url', api, '--', '/bin/sh', '-c', busy(30000)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('recorded in local store');
    const db = openStore(storePath(data));
    const builds = new BuildRepo(db).withStatus('success');
    db.close();
    expect(builds).toHaveLength(1);
    expect(builds[0].cpuSecondsExact).toBe(true);
    const stats = await runCli(['stats', '--data-dir', data, '--api-url', api]);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^Builds {6}1 finished \(1 built, 0 failed, 0 ignored, 0 skipped\)\nBuild time {2}\d+s\nCPU time {4}[\d.]+ CPU·s\n$/);
  });

  it('refuses a bad --sample-interval with one line and exit 2', async () => {
    const r = await runCli(['wrap', '--sample-interval', '10ms', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('otel-sysmon: invalid sample-interval="10ms": expected a duration of at least 1s\n');
  });
});
