// `otel-sysmon bridge` as a user runs it (the built CLI): bad values exit 2 with one line; a real run
// creates the streams, lands an export in (fake) Proton, never prints the password, and exits 0 on SIGTERM.
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProton, startFakeProton } from '../helpers/fake-proton.js';
import { collectOnce, exportOnce } from '../helpers/sdk-metrics.js';
import { waitFor } from '../helpers/wait.js';
import { runCli, startCli } from '../support/cli.js';
import { freePort } from '../support/ports.js';

let dir: string;
let proton: FakeProton;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sysmon-bridge-cli-'));
  proton = await startFakeProton({ user: 'writer', password: 'cli-secret-pw' });
});
afterAll(async () => {
  await proton.stop();
  rmSync(dir, { recursive: true, force: true });
});


describe('otel-sysmon bridge (built CLI)', () => {
  it('exits 2 with one line for a bad value', () => {
    const r = runCli(['bridge', '--listen', '0.0.0.0:4317', '--data-dir', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'otel-sysmon: invalid listen="0.0.0.0:4317": a bridge reachable beyond loopback needs a bearer token (--token-file or SYSMON_BRIDGE_TOKEN) or mTLS (--tls-client-ca)',
    ]);
    const bad = runCli(['bridge', '--batch-rows', 'many', '--data-dir', dir]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('otel-sysmon: invalid batch-rows="many" (from --batch-rows): expected an integer from 1 to 1000000');
  });

  it('documents its flags in --help', () => {
    const r = runCli(['bridge', '--help']);
    expect(r.status).toBe(0);
    for (const flag of ['--listen', '--http-listen', '--proton-url', '--database', '--create-streams', '--token-file', '--tls-client-ca', '--spool-max-bytes']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('runs: creates streams, delivers an export, keeps the password out of its output, exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const bridge = startCli(
      ['bridge', '--listen', `127.0.0.1:${port}`, '--http-listen', 'off', '--proton-url', proton.url, '--proton-user', 'writer',
        '--create-streams', '--batch-delay', '50ms', '--data-dir', dir, '--log-level', 'debug'],
      { PROTON_PASSWORD: 'cli-secret-pw' },
    );
    try {
      await bridge.waitFor(/bridge listening/);
      await bridge.waitFor(/Proton streams ready/);
      const metrics = await collectOnce((meter) => meter.createGauge('system.cpu.frequency', { unit: 'Hz' }).record(1.5e9, { 'cpu.logical_number': 2 }));
      const exporter = new GrpcExporter({ url: `http://127.0.0.1:${port}`, timeoutMillis: 3000 });
      expect((await exportOnce(exporter, metrics)).code).toBe(ExportResultCode.SUCCESS);
      await exporter.shutdown();
      await waitFor(() => proton.rows('otel_metrics').find((r) => r.metric_name === 'system.cpu.frequency'), { what: 'the row in Proton' });
      expect(await bridge.stop('SIGTERM', 10_000)).toBe(0);
      expect(bridge.stderr()).toMatch(/bridge stopped .*sent_rows=1 spooled_rows=0/);
      expect(bridge.stderr()).not.toContain('cli-secret-pw');
    } finally {
      await bridge.stop('SIGKILL');
    }
  });
});
