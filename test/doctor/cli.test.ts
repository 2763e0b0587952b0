// `otel-sysmon doctor` as a user runs it (the built CLI).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../collectors/fixture-host.js';
import { runCli } from '../support/cli.js';

describe('otel-sysmon doctor', () => {
  it('documents --format in --help', () => {
    const r = runCli(['doctor', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--format\s+Output format\s+\[choices: "text", "json"\] \[default: "text"\]/);
    expect(r.stdout).toContain('--frequency-sources');
    expect(r.stdout).toContain('--otlp-endpoint');
  });

  it('prints the JSON report for a fixture tree, perf skipped there because it is not the live host', () => {
    const root = join(FIXTURES, 'vm');
    const r = runCli(['doctor', '--format', 'json', '--procfs', `${root}/proc`, '--sysfs', `${root}/sys`, '--otlp-endpoint', 'http://127.0.0.1:9']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.frequency.cpus.map((c: { cpu: number; source: string }) => [c.cpu, c.source])).toEqual([
      [0, 'cpuinfo'],
      [1, 'cpuinfo'],
    ]);
    expect(doc.frequency.cpus[0].tried[1]).toEqual({
      source: 'perf',
      ok: false,
      reason: 'skipped: --procfs/--sysfs/--rootfs point at another tree and perf counters measure the live CPUs (list perf in --frequency-sources to use it anyway)',
    });
    expect(doc.export).toMatchObject({ endpoint: 'http://127.0.0.1:9/', reachable: false });
    expect(doc.export.reason).toMatch(/^ECONNREFUSED connecting to 127\.0\.0\.1:9/);
  });

  it('uses perf on a fixture tree when perf is listed explicitly', () => {
    const root = join(FIXTURES, 'vm');
    const r = runCli(['doctor', '--format', 'json', '--procfs', `${root}/proc`, '--sysfs', `${root}/sys`, '--frequency-sources', 'perf,cpuinfo', '--exporter', 'none']);
    expect(r.status).toBe(0);
    const perf = JSON.parse(r.stdout).frequency.cpus[0].tried[0];
    expect(perf.source).toBe('perf');
    expect(perf.reason).not.toMatch(/^skipped/);
  });

  it('rejects an unknown format with exit 2', () => {
    const r = runCli(['doctor', '--format', 'yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^otel-sysmon: Invalid values:/);
  });
});
