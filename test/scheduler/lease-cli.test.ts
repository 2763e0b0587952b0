// End to end: the BUILT CLI (`npx tsc -p tsconfig.json` or `npm test` builds dist/) runs
// `otel-sysmon run` with the scheduler, and `otel-sysmon lease run|status|revoke` against it.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_NO_LEASE, EXIT_REVOKED } from '../../src/scheduler/lease-run.js';
import { waitFor } from '../helpers/wait.js';
import { ALWAYS_QUIET_CONFIG, type RunningCli, runCli, startCli } from '../support/cli.js';

const BUILT = existsSync(fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url)));
const TOKEN = 'lease-e2e-token-0123456789';

// The test decides what the agent sees: nothing from the outer SYSMON_*/OTEL_* environment.
const env: NodeJS.ProcessEnv = { SYSMON_API_TOKEN: TOKEN };
for (const k of Object.keys(process.env)) if (/^(OTEL_|SYSMON_|HOST_)/.test(k) && !(k in env)) env[k] = undefined;

let dir: string;
let agent: RunningCli;
let url: string;
const children: RunningCli[] = [];

async function status(): Promise<any> {
  return (await fetch(`${url}/api/scheduler/status`)).json();
}

function lease(args: string[]): RunningCli {
  const c = startCli(['lease', 'run', '--api-url', url, ...args], env);
  children.push(c);
  return c;
}

const node = (code: string): string[] => [process.execPath, '-e', code];

describe.skipIf(!BUILT)('lease run against a running agent', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sysmon-lease-e2e-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        ...ALWAYS_QUIET_CONFIG,
        'lease-ttl: 3s',
      ].join('\n'),
      { mode: 0o600 },
    );
    agent = startCli(
      ['run', '--config', config, '--exporter', 'none', '--api-listen', '127.0.0.1:0', '--data-dir', dir, '--interval', '200ms'],
      env,
    );
    url = (await agent.waitFor(/local API listening url=(\S+)/, 15_000))[1];
    await waitFor(async () => (await status()).quiet?.state === 'QUIET', { what: 'the first assessment' });
  });

  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop('SIGKILL', 5_000)));
    expect(await agent.stop('SIGTERM')).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the command under a lease, releases it and exits with its status', () => {
    const r = runCli(['lease', 'run', '--api-url', url, '--cost', '30', '--addon', 'e2e', '--', ...node('process.exit(3)')], env);
    expect(r.stderr).toMatch(/lease \S+ granted: Approved: used=0, requested=30, capacity=80/);
    expect(r.status).toBe(3);
    return status().then((s) => {
      expect(s.recent[0]).toMatchObject({ addon_id: 'e2e', job_type: 'node', cost_units: 30, state: 'RELEASED', report: { exit_code: 3 } });
      expect(s.capacity.used_units).toBe(0);
    });
  });

  it('waits in the queue when asked and runs once capacity frees', async () => {
    const holder = lease(['--cost', '70', '--addon', 'holder', '--', ...node("process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)")]);
    await holder.waitFor(/granted/);
    const waiter = lease(['--cost', '30', '--wait', '--timeout', '20s', '--', ...node("console.log('ran')")]);
    await waiter.waitFor(/queued at position 1 of 1: Capacity exceeded: used=70, requested=30, capacity=80/);
    expect(waiter.stdout()).toBe('');
    // The holder's command ends (SIGTERM is passed on to it); its release hands the units to the waiter.
    expect(await holder.stop('SIGTERM', 10_000)).toBe(0);
    await waitFor(() => waiter.child.exitCode !== null, { what: 'the queued lease run to finish' });
    expect(waiter.child.exitCode).toBe(0);
    expect(waiter.stdout()).toBe('ran\n');
  });

  it('gives up with 75 when no lease comes before --timeout, never starting the command', async () => {
    const holder = lease(['--cost', '70', '--addon', 'holder', '--', ...node('setTimeout(() => {}, 20000)')]);
    await holder.waitFor(/granted/);
    const marker = join(dir, 'should-not-exist');
    const r = runCli(['lease', 'run', '--api-url', url, '--cost', '30', '--timeout', '1s', '--', 'touch', marker], env);
    expect(r.status).toBe(EXIT_NO_LEASE);
    expect(r.stderr).toMatch(/lease denied: Capacity exceeded: used=70, requested=30, capacity=80; no lease before the timeout/);
    expect(existsSync(marker)).toBe(false);
    await holder.stop('SIGKILL');
  });

  it('stops the command when the lease is revoked: SIGTERM, SIGKILL after the grace, exit 76', async () => {
    const stubborn = lease(['--cost', '10', '--addon', 'stubborn', '--grace', '1s', '--', ...node("process.on('SIGTERM', () => console.error('ignoring SIGTERM')); setInterval(() => {}, 1000)")]);
    await stubborn.waitFor(/granted/);
    const id = (await status()).active.find((l: { addon_id: string }) => l.addon_id === 'stubborn').lease_id;
    const revoked = runCli(['lease', 'revoke', id, '--api-url', url, '--reason', 'maintenance'], env);
    expect(revoked.stdout).toBe(`${id} REVOKED: revoked: maintenance\n`);
    await waitFor(() => stubborn.child.exitCode !== null, { what: 'lease run to stop its command' });
    expect(stubborn.child.exitCode).toBe(EXIT_REVOKED);
    // What the command went through, in order: told to stop, caught SIGTERM and carried on, then the
    // kernel ended it with SIGKILL (the signal its parent saw it die of), not a wall-clock race.
    const lines = stubborn.stderr().split('\n');
    const told = lines.findIndex((l) => /is REVOKED \(revoked: maintenance\): stopping node \(SIGTERM, SIGKILL after 1s\)/.test(l));
    const ignored = lines.indexOf('ignoring SIGTERM');
    const killed = lines.findIndex((l) => /node ended by SIGKILL$/.test(l));
    expect([told >= 0, ignored >= 0, killed >= 0]).toEqual([true, true, true]);
    expect(ignored).toBeGreaterThan(told);
    expect(killed).toBeGreaterThan(ignored);
  });

  it('passes SIGTERM on to the command and releases the lease with its exit status', async () => {
    const job = lease(['--cost', '10', '--addon', 'signalled', '--', ...node("process.on('SIGTERM', () => process.exit(7)); console.error('ready'); setInterval(() => {}, 1000)")]);
    await job.waitFor(/ready/);
    expect(await job.stop('SIGTERM')).toBe(7);
    const s = await status();
    expect(s.recent.find((l: { addon_id: string }) => l.addon_id === 'signalled')).toMatchObject({ state: 'RELEASED', report: { exit_code: 7 } });
  });

  it('prints the scheduler state for people', () => {
    const r = runCli(['lease', 'status', '--api-url', url], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Quiet: QUIET \(score \d+\) for /);
    expect(r.stdout).toMatch(/Capacity: \d+\/80 units used \(100 configured - 20 headroom, x1 for the state\)/);
    expect(r.stdout).toMatch(/Recent\nLEASE +ADDON +JOB +COST +PRIORITY +STATE +ENDED +WHY\n/);
    expect(r.stdout).toMatch(/stubborn +node +10 +NORMAL +REVOKED .*revoked: maintenance/);
  });

  it('refuses bad arguments with status 2 before contacting the agent', () => {
    const r = runCli(['lease', 'run', '--api-url', 'http://127.0.0.1:1', '--cost', '0', '--', 'true'], env);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('otel-sysmon: invalid cost=0: Too small: expected number to be >=1\n');
    const never = runCli(['lease', 'run', '--api-url', url, '--cost', '90', '--', 'true'], env);
    expect(never.status).toBe(2);
    expect(never.stderr).toMatch(/HTTP 409 cost_units 90 exceeds the most this host ever grants \(80 = scheduler-capacity 100 - headroom 20\)/);
  });
});
