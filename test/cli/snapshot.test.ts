import { describe, expect, it } from 'vitest';
import { CATALOGUE, isMonotonic, otlpType } from '../../src/catalogue.js';
import { runCli } from '../support/cli.js';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

interface SnapshotJson {
  resource: Record<string, unknown>;
  metrics: { name: string; unit: string; type: string; monotonic?: boolean; points: { attributes: Record<string, unknown>; value: number }[] }[];
  errors: { collector: string; message: string }[];
}

function snapshot(args: string[]): { status: number | null; doc: SnapshotJson; stderr: string } {
  const r = runCli(['snapshot', '--format', 'json', '--sample-window', '20ms', '--data-dir', '/tmp/sysmon-snapshot-test', ...args]);
  return { status: r.status, doc: JSON.parse(r.stdout) as SnapshotJson, stderr: r.stderr };
}

describe('otel-sysmon snapshot --format json', () => {
  it('prints the stable shape for a fixture tree, with kinds and units from the catalogue', () => {
    const root = `${FIXTURES}bare-metal`;
    const { status, doc } = snapshot(['--procfs', `${root}/proc`, '--sysfs', `${root}/sys`, '--frequency-sources', 'sysfs,cpuinfo']);
    expect(status).toBe(0);
    expect(Object.keys(doc)).toEqual(['resource', 'metrics', 'errors']);
    expect(doc.resource['service.name']).toBe('otel-sysmon');
    for (const m of doc.metrics) {
      const def = CATALOGUE.find((d) => d.name === m.name)!;
      expect(def, m.name).toBeDefined();
      expect(m.unit).toBe(def.unit);
      expect(m.type).toBe(otlpType(def));
      if (m.type === 'sum') expect(m.monotonic).toBe(isMonotonic(def));
      else expect(m).not.toHaveProperty('monotonic');
    }
    const time = doc.metrics.find((m) => m.name === 'system.cpu.time')!;
    expect(typeof time.points[0].attributes['cpu.logical_number']).toBe('number');
    const freq = doc.metrics.find((m) => m.name === 'system.cpu.frequency')!;
    // CPU 2 is offline in this fixture: no point rather than a fake 0.
    expect(freq.points.map((p) => p.attributes['cpu.logical_number']).sort()).toEqual([0, 1, 3]);
    expect(freq.points.every((p) => p.value > 0)).toBe(true);
  });

  it('a 64-CPU host under --rootfs: disks, mounts, interfaces, temperatures, throttle counters and the agent itself', () => {
    const root = `${FIXTURES}host-64cpu`;
    const { status, doc } = snapshot(['--rootfs', root, '--frequency-sources', 'cpuinfo']);
    expect(status).toBe(0);
    const names = new Set(doc.metrics.map((m) => m.name));
    for (const name of ['system.disk.io', 'system.filesystem.usage', 'system.network.io', 'system.uptime', 'system.process.created',
      'system.memory.linux.slab.usage', 'hw.temperature', 'sysmon.cpu.thermal_throttle.count', 'process.memory.usage']) {
      expect(names, name).toContain(name);
    }
    const temps = doc.metrics.find((m) => m.name === 'hw.temperature')!;
    expect(temps.points.find((p) => p.attributes['hw.id'] === 'coretemp_coretemp.0_temp3')?.value).toBe(93);
    const r = runCli(['snapshot', '--rootfs', root, '--frequency-sources', 'cpuinfo', '--sample-window', '20ms', '--data-dir', '/tmp/sysmon-snapshot-test']);
    expect(r.stdout).toMatch(/hw\.temperature\s+\{hw\.id=coretemp_coretemp\.0_temp3, hw\.name=coretemp Core 1, hw\.type=temperature, hw\.sensor_location=Core 1\}\s+93 Cel/);
  });

  it('lists collector errors and still exits 0 when some collectors work', () => {
    const root = `${FIXTURES}malformed`;
    const { status, doc } = snapshot(['--procfs', `${root}/proc`, '--sysfs', `${root}/sys`]);
    expect(status).toBe(0);
    expect(doc.errors.length).toBeGreaterThan(0);
    expect(doc.metrics.length).toBeGreaterThan(0);
  });

  it('exits 1 when every collector fails', () => {
    const { status, doc } = snapshot(['--procfs', '/nonexistent/proc', '--sysfs', '/nonexistent/sys']);
    expect(status).toBe(1);
    expect(doc.errors.some((e) => /\/nonexistent\/proc\/stat: not found/.test(e.message))).toBe(true);
  });

  it('exits 2 with one line for a bad flag value', () => {
    const r = runCli(['snapshot', '--sample-window', 'later']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'otel-sysmon: invalid sample-window="later" (from --sample-window): expected a duration such as 500ms, 10s, 5m, 1h30m or 90d',
    ]);
  });

  it('exits 2 for an unknown key in the config file', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/sysmon-cfg-');
    writeFileSync(`${dir}/c.yaml`, 'exporters: [otlp]\n', { mode: 0o600 });
    const r = runCli(['snapshot', '--config', `${dir}/c.yaml`]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^otel-sysmon: unknown key "exporters" in .*c\.yaml/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('otel-sysmon --version and --help', () => {
  it('prints the package version', () => {
    expect(runCli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
  it.each(['run', 'snapshot'])('documents %s', (cmd) => {
    const r = runCli([cmd, '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`otel-sysmon ${cmd}`);
  });
});
