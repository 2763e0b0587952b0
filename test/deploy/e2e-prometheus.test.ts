// End to end with a real store: the agent's /metrics scraped by Debian's Prometheus (loopback, random
// ports, temporary storage, 1 s scrapes) with the otel-sysmon rules loaded. The series Prometheus holds
// must match `otel-sysmon snapshot` (names, labels and values), the frequency-drop rule must evaluate on
// the live series per host, the Host overview queries must run, and the image's healthcheck must pass.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { metricDef, type MetricName } from '../../src/catalogue.js';
import { prometheusLabel, prometheusName } from '../../src/prometheus-names.js';
import { VERSION } from '../../src/version.js';
import { DEFAULT_DISK_EXCLUDE, DEFAULT_NETWORK_EXCLUDE } from '../../src/collectors/linux/device-filter.js';
import { findTemperatureSensors } from '../../src/collectors/linux/hwmon.js';
import { dashboardQueries, loadDashboards } from './grafana-model.js';
import { freePort, REPO, repoPath, runAsync, tool } from './tools.js';

const prometheus = tool('prometheus', 'prometheus');
const AGENT = repoPath('bin/otel-sysmon.js');
const BUILT = repoPath('dist/src/cli/main.js');
const RULES = repoPath('deploy/prometheus/otel-sysmon.rules.yml');

interface Snapshot {
  resource: Record<string, string>;
  metrics: { name: string; points: { attributes: Record<string, string | number>; value: number }[] }[];
}
interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

describe.skipIf(!prometheus.path)(`agent /metrics in a real Prometheus ${prometheus.skipReason}`, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sysmon-e2e-'));
  let agent: ChildProcess | undefined;
  let server: ChildProcess | undefined;
  let logs = '';
  let metricsUrl = '';
  let api = '';

  async function query(promql: string): Promise<Sample[]> {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { status: string; error?: string; data: { result: Sample[] } };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return body.data.result;
  }

  function labelsOf(sample: Sample): Record<string, string> {
    const { __name__: _name, job: _job, instance: _instance, ...rest } = sample.metric;
    return rest;
  }

  const key = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

  beforeAll(async () => {
    expect(existsSync(BUILT), `${BUILT} is missing: build with npx tsc -p tsconfig.json (npm test does)`).toBe(true);
    const agentPort = await freePort();
    agent = spawn(
      process.execPath,
      [AGENT, 'run', '--exporter', 'prometheus', '--prometheus-listen', `127.0.0.1:${agentPort}`, '--interval', '1s', '--data-dir', join(scratch, 'agent'), '--api-listen', '127.0.0.1:0'],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout!.on('data', (d) => (logs += d));
    agent.stderr!.on('data', (d) => (logs += d));
    metricsUrl = `http://127.0.0.1:${agentPort}/metrics`;
    await until(`the agent's ${metricsUrl}`, 20_000, async () => {
      if (agent!.exitCode !== null) throw new Error(`agent exited ${agent!.exitCode}: ${logs}`);
      const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(2000) });
      return res.ok && (await res.text()).includes('system_cpu_time_seconds_total') ? true : undefined;
    });

    const promPort = await freePort();
    const config = join(scratch, 'prometheus.yml');
    writeFileSync(
      config,
      JSON.stringify({
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: [RULES],
        scrape_configs: [{ job_name: 'otel-sysmon', static_configs: [{ targets: [`127.0.0.1:${agentPort}`] }] }],
      }),
    );
    server = spawn(
      prometheus.path!,
      [`--config.file=${config}`, `--storage.tsdb.path=${join(scratch, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`],
      { cwd: scratch, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let promLog = '';
    server.stderr!.on('data', (d) => (promLog = (promLog + d).slice(-4000)));
    api = `http://127.0.0.1:${promPort}`;
    await until('Prometheus to be ready', 20_000, async () => {
      if (server!.exitCode !== null) throw new Error(`prometheus exited ${server!.exitCode}: ${promLog}`);
      const res = await fetch(`${api}/-/ready`, { signal: AbortSignal.timeout(2000) });
      return res.ok ? true : undefined;
    });
    // Two successful scrapes of the agent.
    await until('two scrapes', 20_000, async () => {
      const r = await query('sum_over_time(up{job="otel-sysmon"}[1m])');
      return r.length === 1 && Number(r[0].value[1]) >= 2 ? true : undefined;
    });
  }, 90_000);

  afterAll(async () => {
    await Promise.all([stop(server), stop(agent)]);
    rmSync(scratch, { recursive: true, force: true });
  });

  async function compare(name: MetricName, tolerance: (snapshot: number, stored: number, elapsedSeconds: number) => boolean) {
    const promName = prometheusName(metricDef(name));
    const samples = await query(promName);
    const queriedAt = Date.now();
    const snap = await runAsync(process.execPath, [AGENT, 'snapshot', '--format', 'json'], { timeoutMs: 20_000 });
    expect(snap.status, snap.stderr).toBe(0);
    const snapshot = JSON.parse(snap.stdout) as Snapshot;
    const elapsed = (Date.now() - queriedAt) / 1000 + 2;
    const metric = snapshot.metrics.find((m) => m.name === name)!;
    expect(metric, `${name} in the snapshot`).toBeDefined();

    const stored = new Map(samples.map((s) => [key(labelsOf(s)), Number(s.value[1])]));
    const expected = metric.points.map((p) => ({
      labels: {
        ...Object.fromEntries(Object.entries(p.attributes).map(([k, v]) => [prometheusLabel(k), String(v)])),
        [prometheusLabel('host.name')]: snapshot.resource['host.name'],
        // The instrumentation scope, as the Prometheus compatibility spec asks.
        [prometheusLabel('otel.scope.name')]: 'otel-sysmon',
        [prometheusLabel('otel.scope.version')]: VERSION,
      },
      value: p.value,
    }));
    expect([...stored.keys()].sort()).toEqual(expected.map((e) => key(e.labels)).sort());
    for (const e of expected) {
      const value = stored.get(key(e.labels))!;
      expect(tolerance(e.value, value, elapsed), `${promName}${key(e.labels)}: snapshot ${e.value}, Prometheus ${value}`).toBe(true);
    }
  }

  it('system_cpu_time_seconds_total: same series; counters only grew by at most the elapsed time', async () => {
    await compare('system.cpu.time', (snap, stored, elapsed) => snap >= stored - 0.011 && snap - stored <= elapsed);
  });

  it('system_memory_usage_bytes: same series; values within 10 % of memory', async () => {
    const limit = await query(`${prometheusName(metricDef('system.memory.limit'))}`);
    const total = Number(limit[0].value[1]);
    expect(total).toBeGreaterThan(0);
    await compare('system.memory.usage', (snap, stored) => Math.abs(snap - stored) <= 0.1 * total);
  });

  it('system_cpu_frequency_hertz: same cores; frequencies within 25 %', async () => {
    await compare('system.cpu.frequency', (snap, stored) => stored > 0 && Math.abs(snap - stored) <= 0.25 * snap);
  });

  it('the frequency-drop rule is loaded and evaluates on the live series, per host', async () => {
    const groups = await until('rule evaluation', 15_000, async () => {
      const res = await fetch(`${api}/api/v1/rules`, { signal: AbortSignal.timeout(5000) });
      const body = (await res.json()) as {
        data: { groups: { name: string; rules: { name: string; health: string; lastError?: string; state?: string; evaluationTime: number; lastEvaluation: string }[] }[] };
      };
      const rule = body.data.groups.flatMap((g) => g.rules).find((r) => r.name === 'SysmonCpuFrequencyDrop');
      return rule && !rule.lastEvaluation.startsWith('0001') ? body.data.groups : undefined;
    });
    const rules = groups.flatMap((g) => g.rules);
    for (const r of rules) expect(r.health, `${r.name}: ${r.lastError}`).toBe('ok');
    expect(rules.find((r) => r.name === 'SysmonCpuFrequencyDrop')!.state).toBe('inactive');

    // The same expression with the threshold at 101 % of the hourly maximum must select this host: the
    // average never exceeds the maximum. That proves the rule's series and its host_name grouping match.
    const file = parseYaml(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert?: string; expr: string }[] }[] };
    const expr = file.groups.flatMap((g) => g.rules).find((r) => r.alert === 'SysmonCpuFrequencyDrop')!.expr;
    expect(expr).toContain('< 0.8 *');
    const host = (await query('max by (host_name) (system_cpu_frequency_hertz)'))[0].metric.host_name;
    expect(await query(expr)).toEqual([]);
    const forced = await query(expr.replace('< 0.8 *', '< 1.01 *'));
    expect(forced.map((s) => s.metric)).toEqual([{ host_name: host }]);
  });

  it('every Host overview query runs, and the CPU, frequency, memory and load panels show this host', async () => {
    const host = (await query('max by (host_name) (system_cpu_logical_count)'))[0].metric.host_name;
    const overview = loadDashboards().find((d) => d.file === 'host-overview.json')!;
    const withData = new Set<string>();
    for (const q of dashboardQueries(overview).filter((q) => q.kind === 'panel')) {
      const promql = q.query
        .replaceAll('$__rate_interval', '5s')
        .replaceAll('$__range', '1m')
        .replaceAll('$host', host.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&'))
        .replaceAll('$core', '.*');
      const result = await query(promql);
      if (result.length > 0) withData.add(q.panel!.title);
    }
    expect([...withData]).toEqual(
      expect.arrayContaining(['Per-core utilization', 'CPU time by mode', 'Per-core frequency', 'Frequency source per core', 'Memory by state', 'Load average']),
    );
  });

  it('the disk, filesystem, network, temperature, throttle and agent panels show data exactly where this machine has the source', async () => {
    const host = (await query('max by (host_name) (system_cpu_logical_count)'))[0].metric.host_name;
    const overview = loadDashboards().find((d) => d.file === 'host-overview.json')!;
    // What this machine has, read independently of the agent.
    const disks = readFileSync('/proc/diskstats', 'latin1').trim().split('\n').map((l) => l.trim().split(/\s+/)[2]);
    const hasDisk = disks.some((d) => !DEFAULT_DISK_EXCLUDE.test(d));
    const interfaces = readFileSync('/proc/net/dev', 'latin1').split('\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean);
    const hasInterface = interfaces.some((i) => !DEFAULT_NETWORK_EXCLUDE.test(i));
    const hasSensor = existsSync('/sys/class/hwmon') && findTemperatureSensors('/sys').length > 0;
    const hasThrottle = existsSync('/sys/devices/system/cpu/cpu0/thermal_throttle');
    const expected: Record<string, boolean> = {
      'Disk throughput': hasDisk,
      'Disk operations': hasDisk,
      'Disk busy': hasDisk,
      'Disk latency': hasDisk,
      'Filesystem used': true,
      'Filesystem free space': true,
      'Network throughput': hasInterface,
      'Network packets': hasInterface,
      'Network errors': hasInterface,
      Temperatures: hasSensor,
      'Thermal throttle events': hasThrottle,
      'Time throttled': hasThrottle,
      Uptime: true,
      'Processes created': true,
      'Shared and slab memory': true,
      'Agent CPU': true,
      'Agent memory': true,
      'Agent threads': true,
      'Agent file descriptors': true,
    };
    const seen: Record<string, boolean> = {};
    for (const q of dashboardQueries(overview).filter((q) => q.kind === 'panel' && q.panel!.title in expected)) {
      const promql = q.query
        .replaceAll('$__rate_interval', '5s')
        .replaceAll('$host', host.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&'))
        .replaceAll('$core', '.*');
      const result = await query(promql);
      seen[q.panel!.title] = (seen[q.panel!.title] ?? false) || result.length > 0;
    }
    expect(seen).toEqual(expected);
  });

  it("the Docker image's healthcheck passes against the running agent, at the addresses it really serves", async () => {
    // --api-listen 127.0.0.1:0: only the agent knows its API port; it wrote it to listeners.json.
    const file = join(scratch, 'agent', 'listeners.json');
    const listeners = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; api: string; prometheus: string; exporters: string[] };
    expect(listeners).toMatchObject({ pid: agent!.pid, prometheus: metricsUrl, exporters: ['prometheus'] });
    expect(listeners.api).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    const r = await runAsync(process.execPath, [repoPath('deploy/docker/healthcheck.mjs'), file]);
    expect(r.stdout.trim()).toBe(`healthy: ${listeners.api}/api/system-stats/current, ${metricsUrl}`);
    expect(r.status).toBe(0);
  });
});
