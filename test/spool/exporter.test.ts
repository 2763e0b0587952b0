// The durable exporter inside a real Agent (fake host collectors, real receiver): the export metrics
// it produces, and what temporality looks like across an agent restart with a spooled backlog.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import type { Collector } from '../../src/collectors/types.js';
import { loadConfig } from '../../src/config/load.js';
import { openStore, storePath } from '../../src/store/store.js';
import { DurableExporter } from '../../src/telemetry/delivery-exporter.js';
import { type FlatMetric, flattenMetrics, type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { captureLog, FAST_BACKOFF } from './harness.js';

/** A since-boot counter like /proc/stat: 1000 at the first collection, +1 per collection. */
function sinceBootCounter(): Collector[] {
  let ticks = 0;
  return [
    {
      name: 'fake',
      collect(_ctx, sink) {
        sink.add('system.cpu.time', 1000 + ticks++, { 'cpu.mode': 'user', 'cpu.logical_number': 0 });
      },
    },
  ];
}

let receiver: OtlpReceiver;
const dirs: string[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  await receiver.start();
  receiver.requests.length = 0;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

afterAll(async () => {
  await receiver.stop();
});

function newAgent(dataDir: string, temporality = 'cumulative') {
  const config = loadConfig({
    argv: { interval: '50ms', dataDir, exporter: 'otlp', otlpEndpoint: receiver.grpcEndpoint, temporality, exportTimeout: '1s' },
    env: {},
  });
  const log = captureLog();
  const exporter = new DurableExporter(config, { backoff: FAST_BACKOFF });
  const agent = new Agent({ config, log, collectors: sinceBootCounter(), modules: [exporter], otlpExporter: exporter });
  return { agent, exporter, log };
}

function cpuTime(requests = receiver.requests): FlatMetric[] {
  return flattenMetrics(requests).filter((m) => m.name === 'system.cpu.time');
}

function spooledRows(dataDir: string): number {
  const db = openStore(storePath(dataDir));
  try {
    return (db.prepare('SELECT count(*) AS n FROM export_spool').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('DurableExporter in the agent', () => {
  it('reports sysmon.export.* and sends every collection once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-exporter-'));
    dirs.push(dataDir);
    const { agent, exporter } = newAgent(dataDir);
    await agent.start();
    await waitFor(() => receiver.requests.length >= 6, { timeoutMs: 5000, what: 'six exports' });
    await agent.stop();
    expect(receiver.requests.length).toBe(agent.collectionCount);
    expect(exporter.stats.sentLive + exporter.stats.sentReplayed).toBe(agent.collectionCount);
    const last = new Map(flattenMetrics(receiver.requests.slice(-1)).map((m) => [m.name, m]));
    const sent = last.get('sysmon.export.sent')!;
    expect(sent.type).toBe('sum');
    expect(sent.points.find((p) => p.attributes.replayed === false)!.value).toBeGreaterThanOrEqual(4);
    expect(last.get('sysmon.export.spool.requests')!.points[0].value).toBe(0);
    expect(last.get('sysmon.export.spool.bytes')!.points[0].value).toBe(0);
    expect(last.get('sysmon.export.dropped')!.points.map((p) => p.attributes.reason).sort()).toEqual([
      'non_retryable',
      'spool_age',
      'spool_bytes',
      'spool_error',
    ]);
    expect(last.get('sysmon.export.rejected_points')!.points[0].value).toBe(0);
  });

  it('cumulative: a restart starts the series again with a new start time; spooled points replay as they were', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-exporter-'));
    dirs.push(dataDir);
    await receiver.stop();
    const first = newAgent(dataDir);
    await first.agent.start();
    await sleep(400);
    await first.agent.stop();
    const spooled = spooledRows(dataDir);
    expect(spooled).toBe(first.agent.collectionCount);

    await receiver.start();
    const second = newAgent(dataDir);
    await second.agent.start();
    await waitFor(() => second.exporter.stats.sentReplayed >= spooled && second.exporter.stats.sentLive >= 3, {
      timeoutMs: 5000,
      what: 'the backlog and three live exports',
    });
    await second.agent.stop();

    const starts = [...new Set(cpuTime().map((m) => m.points[0].startTimeUnixNano))].sort();
    expect(starts).toHaveLength(2);
    const [s1, s2] = starts;
    const run1 = cpuTime().filter((m) => m.points[0].startTimeUnixNano === s1);
    const run2 = cpuTime().filter((m) => m.points[0].startTimeUnixNano === s2);
    expect(run1).toHaveLength(spooled);
    // Run 1 as it was collected: in order, values counting up from the first observation.
    expect(run1.map((m) => m.points[0].value)).toEqual(Array.from({ length: spooled }, (_, i) => 1000 + i));
    const t1 = run1.map((m) => m.points[0].timeUnixNano);
    expect([...t1].sort()).toEqual(t1);
    // Run 2 is a new series: its start time is after every run-1 point, its values start over.
    expect(s2 > t1[t1.length - 1]).toBe(true);
    expect(run2[0].points[0].value).toBe(1000);
    for (const m of [...run1, ...run2]) expect(m.temporality).toBe('cumulative');
    expect(spooledRows(dataDir)).toBe(0);
  });

  it('delta: points carry contiguous windows; the first after a start is the whole since-boot value', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-exporter-'));
    dirs.push(dataDir);
    const { agent } = newAgent(dataDir, 'delta');
    await agent.start();
    await waitFor(() => receiver.requests.length >= 5, { timeoutMs: 5000, what: 'five exports' });
    await agent.stop();
    const points = cpuTime().map((m) => ({ temporality: m.temporality, ...m.points[0] }));
    expect(points.every((p) => p.temporality === 'delta')).toBe(true);
    expect(points[0].value).toBe(1000);
    expect(points.slice(1).map((p) => p.value)).toEqual(points.slice(1).map(() => 1));
    for (let i = 1; i < points.length; i++) expect(points[i].startTimeUnixNano).toBe(points[i - 1].timeUnixNano);
  });
});
