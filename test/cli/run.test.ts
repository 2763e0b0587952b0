import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { runCli, startCli } from '../support/cli.js';

describe('otel-sysmon run', () => {
  it('logs one JSON object per line with --log-format json and exits 0 on SIGINT', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-run-'));
    const agent = startCli(['run', '--exporter', 'none', '--interval', '100ms', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0', '--log-format', 'json']);
    await agent.waitFor(/"msg":"agent started"/);
    await new Promise((r) => setTimeout(r, 350));
    expect(await agent.stop('SIGINT')).toBe(0);
    const lines = agent.stderr().trim().split('\n');
    const events = lines.map((l) => JSON.parse(l) as { time: string; level: string; msg: string; collections?: number });
    const messages = events.map((e) => e.msg);
    expect(messages.indexOf('agent started')).toBeGreaterThanOrEqual(0);
    expect(messages.slice(-2)).toEqual(['shutting down', 'agent stopped']);
    expect(events.every((e) => !Number.isNaN(Date.parse(e.time)) && e.level === 'info')).toBe(true);
    expect(events.at(-1)!.collections).toBeGreaterThanOrEqual(3);
  });

  it('writes the addresses it really serves to <data-dir>/listeners.json (ports 0 resolved), and removes it on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-run-'));
    const file = join(dataDir, 'listeners.json');
    const agent = startCli(['run', '--exporter', 'prometheus', '--prometheus-listen', '127.0.0.1:0', '--interval', '100ms', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0']);
    try {
      await waitFor(() => existsSync(file), { what: file });
      const listeners = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; exporters: string[]; api: string; prometheus: string };
      expect(listeners).toMatchObject({ pid: agent.child.pid, exporters: ['prometheus'] });
      const current = (await (await fetch(`${listeners.api}/api/system-stats/current`)).json()) as { collected_at: string | null };
      expect(current).toHaveProperty('collected_at');
      expect(await (await fetch(listeners.prometheus)).text()).toContain('system_cpu_time_seconds_total');
      expect(await agent.stop('SIGTERM')).toBe(0);
      expect(existsSync(file)).toBe(false);
    } finally {
      await agent.stop('SIGKILL');
    }
  });

  it('logs a failing export once, not once per collection, and keeps collecting', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-run-'));
    // Port 9 (discard) on loopback refuses connections: the export fails at every collection.
    const agent = startCli(['run', '--otlp-endpoint', 'http://127.0.0.1:9', '--interval', '100ms', '--export-timeout', '300ms', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0']);
    await agent.waitFor(/export failed/);
    await new Promise((r) => setTimeout(r, 600));
    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(agent.stderr().match(/export failed/g)?.length).toBe(1);
    expect(Number(/collections=(\d+)/.exec(agent.stderr())?.[1])).toBeGreaterThanOrEqual(5);
  });

  it('says which address is taken when the API port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const { port } = blocker.address() as AddressInfo;
    try {
      const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-run-'));
      const r = runCli(['run', '--exporter', 'none', '--data-dir', dataDir, '--api-listen', `127.0.0.1:${port}`]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n').at(-1)).toBe(
        `otel-sysmon: cannot listen on 127.0.0.1:${port} for the local API: address already in use (another agent running?) (set --api-listen)`,
      );
    } finally {
      blocker.close();
    }
  });

  it('refuses a data directory it cannot create with a clear message', () => {
    const r = runCli(['run', '--exporter', 'none', '--data-dir', '/etc/hostname/otel-sysmon']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'otel-sysmon: invalid data-dir="/etc/hostname/otel-sysmon": cannot create it (ENOTDIR: a path component is not a directory); choose a writable directory with --data-dir (or SYSMON_DATA_DIR) or fix its owner and permissions\n',
    );
  });
});
