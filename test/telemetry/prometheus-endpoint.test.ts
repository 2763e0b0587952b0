import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { type RunningCli, startCli } from '../support/cli.js';

function sample(text: string, name: string): { labels: string; value: number }[] {
  const out: { labels: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) out.push({ labels: m[2] ?? '', value: Number(m[3]) });
  }
  return out;
}

describe('run --exporter prometheus serves catalogue names on /metrics', () => {
  let agent: RunningCli;
  let url: string;

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-prom-'));
    agent = startCli(['run', '--exporter', 'prometheus', '--prometheus-listen', '127.0.0.1:0', '--interval', '200ms', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0']);
    url = (await agent.waitFor(/prometheus endpoint listening url=(\S+)/))[1];
    await agent.waitFor(/agent started/);
  });

  afterAll(async () => {
    await agent?.stop('SIGKILL');
  });

  it('exposes counters with _total and units, gauges, labels and target_info', async () => {
    // Two collections are needed for utilization; poll briefly (bounded) until it shows up.
    let text = '';
    for (let i = 0; i < 40 && !text.includes('system_cpu_utilization_ratio{'); i++) {
      text = await (await fetch(url)).text();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(text).toContain('# TYPE system_cpu_time_seconds_total counter');
    expect(text).toContain('# TYPE system_memory_usage_bytes gauge');
    expect(text).toContain('# TYPE system_cpu_utilization_ratio gauge');
    const cpuTime = sample(text, 'system_cpu_time_seconds_total');
    expect(cpuTime.length).toBeGreaterThanOrEqual(7);
    expect(cpuTime[0].labels).toMatch(/cpu_mode="\w+"/);
    expect(cpuTime[0].labels).toMatch(/cpu_logical_number="\d+"/);
    expect(cpuTime[0].labels).toMatch(/host_name="[^"]+"/);
    const used = sample(text, 'system_memory_usage_bytes').find((s) => s.labels.includes('system_memory_state="used"'));
    expect(used!.value).toBeGreaterThan(0);
    expect(sample(text, 'target_info')[0].labels).toMatch(/service_name="otel-sysmon"/);
    expect(sample(text, 'system_cpu_frequency_hertz').every((s) => s.value > 0)).toBe(true);
    // OpenTelemetry's Prometheus compatibility spec: the instrumentation scope on every series, the resource on target_info.
    const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('target_info'));
    expect(series.length).toBeGreaterThan(30);
    for (const line of series) {
      expect(line).toContain('otel_scope_name="otel-sysmon"');
      expect(line).toContain(`otel_scope_version="${VERSION}"`);
    }
    expect(sample(text, 'target_info')[0].labels).not.toContain('otel_scope_name');
  });

  it('answers /healthz and 404 elsewhere', async () => {
    const base = url.replace(/\/metrics$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('flushes and exits 0 on SIGTERM', async () => {
    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(agent.stderr()).toMatch(/agent stopped collections=\d+/);
  });
});
