// End to end: the BUILT CLI (`npm test` builds dist/ first) runs `otel-sysmon run` against a real OTLP
// receiver on 127.0.0.1, over gRPC and over HTTP/protobuf; the test asserts on what arrives.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findMetric, isMonotonic, otlpType, SCHEMA_URL } from '../../src/catalogue.js';
import { VERSION } from '../../src/version.js';
import { type FlatMetric, flattenMetrics, latestMetrics, type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { waitFor } from '../helpers/wait.js';
import { type RunningCli, startCli } from '../support/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILT = existsSync(join(ROOT, 'dist/src/cli/main.js'));
const LINUX = platform() === 'linux';

const running: RunningCli[] = [];

function startAgent(args: string[], dataDir: string): RunningCli {
  // The agent must see only what the test gives it: no OTEL_*, SYSMON_* or HOST_* from the outer environment.
  const clean: NodeJS.ProcessEnv = {};
  for (const k of Object.keys(process.env)) if (/^(OTEL_|SYSMON_|HOST_)/.test(k)) clean[k] = undefined;
  const agent = startCli(
    ['run', '--interval', '1s', '--exporter', 'otlp', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0', ...args],
    clean,
  );
  running.push(agent);
  return agent;
}

function pointsOf(metrics: Map<string, FlatMetric>, name: string): FlatMetric['points'] {
  const m = metrics.get(name);
  if (!m) throw new Error(`metric ${name} not received; got ${[...metrics.keys()].join(', ')}`);
  return m.points;
}

function expectedHostId(): string | undefined {
  for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = readFileSync(file, 'utf8').trim();
      if (id) return id;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

let receiver: OtlpReceiver;
let dataDir: string;

beforeAll(async () => {
  if (!BUILT) throw new Error('dist/ is missing: `npm test` builds it first (or run npx tsc -p tsconfig.json)');
  receiver = await startOtlpReceiver();
  dataDir = mkdtempSync(join(tmpdir(), 'sysmon-e2e-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((agent) => agent.stop('SIGKILL')));
  receiver.requests.length = 0;
});

afterAll(async () => {
  await receiver?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Asserts everything a user sees in the received data; returns the resource for cross-run checks. */
function assertReceived(): Record<string, unknown> {
  const all = flattenMetrics(receiver.requests);
  expect(all.length).toBeGreaterThan(0);

  // Every metric is a catalogue metric with the catalogue's unit and OTLP type.
  for (const m of all) {
    const def = findMetric(m.name);
    expect(def, `received metric ${m.name} is not in src/catalogue.ts`).toBeDefined();
    expect({ name: m.name, unit: m.unit, type: m.type }).toEqual({ name: m.name, unit: def!.unit, type: otlpType(def!) });
    if (m.type === 'sum') {
      expect({ name: m.name, monotonic: m.monotonic, temporality: m.temporality }).toEqual({
        name: m.name,
        monotonic: isMonotonic(def!),
        temporality: 'cumulative',
      });
    }
  }

  // The semantic conventions release followed, on the resource and the scope; whole-number metrics as OTLP ints.
  for (const r of receiver.requests) {
    for (const rm of r.request.resourceMetrics) {
      expect(rm.schemaUrl).toBe(SCHEMA_URL);
      for (const sm of rm.scopeMetrics) {
        expect(sm.schemaUrl).toBe(SCHEMA_URL);
        for (const m of sm.metrics) {
          if (m.type !== 'gauge' && m.type !== 'sum') continue;
          const expected = findMetric(m.name)?.valueType === 'int' ? 'int' : 'double';
          for (const p of m.points) expect({ name: m.name, valueType: p.valueType }).toEqual({ name: m.name, valueType: expected });
        }
      }
    }
  }

  const latest = latestMetrics(receiver.requests);
  for (const name of [
    'system.cpu.time',
    'system.cpu.utilization',
    'system.cpu.logical.count',
    'system.memory.usage',
    'system.memory.utilization',
    'system.memory.limit',
    'system.cpu.load_average.1m',
  ]) {
    expect(latest.has(name), `${name} received`).toBe(true);
  }
  if (LINUX) {
    expect(latest.has('system.processes.count')).toBe(true);
    expect(latest.has('system.memory.linux.available')).toBe(true);
  }

  // CPU: integer logical numbers, every mode, one series per CPU and mode.
  const cpuTime = pointsOf(latest, 'system.cpu.time');
  const cpus = new Set(cpuTime.map((p) => p.attributes['cpu.logical_number']));
  for (const n of cpus) expect(Number.isInteger(n), `cpu.logical_number ${String(n)} is an int`).toBe(true);
  const cpuCount = pointsOf(latest, 'system.cpu.logical.count')[0].value;
  expect(cpus.size).toBe(cpuCount);
  const modes = new Set(cpuTime.map((p) => p.attributes['cpu.mode']));
  if (LINUX) expect([...modes].sort()).toEqual(['idle', 'interrupt', 'iowait', 'nice', 'steal', 'system', 'user']);
  expect(cpuTime).toHaveLength(cpus.size * modes.size);
  for (const p of cpuTime) expect(p.value).toBeGreaterThanOrEqual(0);
  for (const p of pointsOf(latest, 'system.cpu.utilization')) {
    expect(Number.isInteger(p.attributes['cpu.logical_number'])).toBe(true);
    expect(p.value).toBeGreaterThanOrEqual(0);
    expect(p.value).toBeLessThanOrEqual(1);
  }

  // Cumulative: the same series keeps its start time and never decreases between exports.
  const series = (m: FlatMetric) =>
    new Map(m.points.map((p) => [`${String(p.attributes['cpu.logical_number'])}/${String(p.attributes['cpu.mode'])}`, p]));
  const cpuTimes = all.filter((m) => m.name === 'system.cpu.time');
  expect(cpuTimes.length).toBeGreaterThanOrEqual(2);
  const [first, last] = [series(cpuTimes[0]), series(cpuTimes[cpuTimes.length - 1])];
  for (const [key, p] of last) {
    const earlier = first.get(key)!;
    expect(earlier, `series ${key} in the first export`).toBeDefined();
    expect(p.startTimeUnixNano).toBe(earlier.startTimeUnixNano);
    expect(p.timeUnixNano > earlier.timeUnixNano).toBe(true);
    expect(p.value).toBeGreaterThanOrEqual(earlier.value);
  }

  // Memory: the four states, and the limit is MemTotal.
  const states = pointsOf(latest, 'system.memory.usage').map((p) => p.attributes['system.memory.state']);
  expect([...states].sort()).toEqual(['buffers', 'cached', 'free', 'used']);
  if (LINUX) {
    const memTotalKiB = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
    expect(pointsOf(latest, 'system.memory.limit')[0].value).toBe(memTotalKiB * 1024);
  }

  // Resource.
  const resource = latest.get('system.cpu.time')!.resource;
  expect(resource).toMatchObject({
    'service.name': 'otel-sysmon',
    'service.version': VERSION,
    'host.name': hostname(),
    'host.arch': process.arch === 'x64' ? 'amd64' : process.arch,
    'os.type': LINUX ? 'linux' : platform(),
  });
  expect(resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
  expect(resource['host.id']).toBe(expectedHostId());
  return resource;
}

describe('otel-sysmon run exports OTLP (built CLI)', () => {
  let firstInstanceId: unknown;

  it('over gRPC: catalogue names, units, types, attributes, resource; SIGTERM flushes and exits 0', async () => {
    const agent = startAgent(['--otlp-endpoint', receiver.grpcEndpoint], dataDir);
    await waitFor(() => receiver.requests.length >= 2 || agent.child.exitCode !== null, {
      timeoutMs: 10_000,
      what: 'two OTLP exports from the agent',
    });
    expect(agent.child.exitCode, agent.stderr()).toBeNull();
    expect(receiver.requests.every((r) => r.transport === 'grpc')).toBe(true);

    const sentAt = BigInt(Date.now()) * 1_000_000n;
    const before = receiver.requests.length;
    expect(await agent.stop('SIGTERM', 8000), agent.stderr()).toBe(0);
    // The final flush: a collection taken after SIGTERM reached the receiver before the exit.
    const after = flattenMetrics(receiver.requests.slice(before)).filter((m) => m.name === 'system.cpu.time');
    expect(after.length, `export after SIGTERM\n${agent.stderr()}`).toBeGreaterThan(0);
    expect(after[after.length - 1].points[0].timeUnixNano >= sentAt).toBe(true);

    firstInstanceId = assertReceived()['service.instance.id'];
    expect(readFileSync(join(dataDir, 'instance-id'), 'utf8').trim()).toBe(firstInstanceId);
  });

  it('over HTTP/protobuf, keeping service.instance.id across restarts', async () => {
    const agent = startAgent(['--otlp-protocol', 'http/protobuf', '--otlp-endpoint', receiver.httpEndpoint], dataDir);
    await waitFor(() => receiver.requests.length >= 2 || agent.child.exitCode !== null, {
      timeoutMs: 10_000,
      what: 'two OTLP/HTTP exports from the agent',
    });
    expect(agent.child.exitCode, agent.stderr()).toBeNull();
    expect(await agent.stop('SIGTERM', 8000), agent.stderr()).toBe(0);
    expect(receiver.requests.every((r) => r.transport === 'http')).toBe(true);
    expect(receiver.requests[0].headers['content-type']).toBe('application/x-protobuf');
    const resource = assertReceived();
    if (firstInstanceId !== undefined) expect(resource['service.instance.id']).toBe(firstInstanceId);
  });
});
