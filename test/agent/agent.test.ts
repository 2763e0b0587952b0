import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportResultCode } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import type { Collector } from '../../src/collectors/types.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';

function fakeCollectors(): Collector[] {
  let ticks = 0;
  return [
    {
      name: 'fake',
      collect(_ctx, sink) {
        ticks++;
        sink.add('system.cpu.time', ticks, { 'cpu.mode': 'user', 'cpu.logical_number': 0 });
        sink.add('system.memory.usage', 1000 + ticks, { 'system.memory.state': 'used' });
        sink.add('system.cpu.frequency', 2.5e9, { 'cpu.logical_number': 0 });
      },
    },
  ];
}

function agentWith(exporter: PushMetricExporter, logs: string[] = []) {
  const config = loadConfig({
    argv: { interval: '50ms', dataDir: mkdtempSync(join(tmpdir(), 'sysmon-agent-')), exportTimeout: '500ms' },
    env: {},
  });
  const log = createLogger({ write: (l) => logs.push(l) });
  return new Agent({ config, log, collectors: fakeCollectors(), otlpExporter: exporter });
}

describe('Agent', () => {
  it('exports each collection once, sums as Sums and gauges as Gauges, and flushes on stop', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const agent = agentWith(exporter);
    const seen: number[] = [];
    agent.onCollection((c) => seen.push(c.timeMs));
    agent.addProducer((sink) => sink.add('sysmon.build.queue', 3));
    await agent.start();
    await new Promise((r) => setTimeout(r, 300));
    await agent.stop();
    const exports = exporter.getMetrics();
    // One export per collection, including the final one at shutdown.
    expect(exports.length).toBe(agent.collectionCount);
    expect(seen.length).toBe(agent.collectionCount);
    expect(agent.collectionCount).toBeGreaterThanOrEqual(4);
    const metrics = exports.at(-1)!.scopeMetrics[0].metrics;
    const byName = new Map(metrics.map((m) => [m.descriptor.name, m]));
    const cpu = byName.get('system.cpu.time')!;
    expect(cpu.dataPointType).toBe(DataPointType.SUM);
    expect(cpu.dataPointType === DataPointType.SUM && cpu.isMonotonic).toBe(true);
    expect(cpu.dataPoints[0].value).toBe(agent.collectionCount);
    const mem = byName.get('system.memory.usage')!;
    expect(mem.dataPointType === DataPointType.SUM && !mem.isMonotonic).toBe(true);
    expect(byName.get('system.cpu.frequency')!.dataPointType).toBe(DataPointType.GAUGE);
    expect(byName.get('system.cpu.frequency')!.descriptor.unit).toBe('Hz');
    expect(byName.get('sysmon.build.queue')!.dataPoints[0].value).toBe(3);
    expect(exports.at(-1)!.resource.attributes['service.name']).toBe('otel-sysmon');
  });

  it('keeps collecting on cadence when exports fail, logging each distinct error once', async () => {
    const failing: PushMetricExporter = {
      export: (_m, done) => done({ code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED 127.0.0.1:4317') }),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const logs: string[] = [];
    const agent = agentWith(failing, logs);
    await agent.start();
    await new Promise((r) => setTimeout(r, 300));
    await agent.stop();
    expect(agent.collectionCount).toBeGreaterThanOrEqual(4);
    expect(logs.filter((l) => l.includes('export failed')).length).toBe(1);
  });

  it('skips an export while the previous one is still in flight instead of queueing collections', async () => {
    let calls = 0;
    const slow: PushMetricExporter = {
      export: (_m, done) => {
        calls++;
        setTimeout(() => done({ code: ExportResultCode.SUCCESS }), 180);
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const agent = agentWith(slow);
    await agent.start();
    await new Promise((r) => setTimeout(r, 400));
    const collections = agent.collectionCount;
    await agent.stop();
    expect(collections).toBeGreaterThanOrEqual(6);
    expect(calls).toBeLessThan(collections);
  });
});

describe('Agent exports only what the latest collection observed', () => {
  it('drops a series whose source vanished instead of repeating its last value', async () => {
    let n = 0;
    const collectors: Collector[] = [
      {
        name: 'cpus',
        collect(_ctx, sink) {
          n++;
          sink.add('system.cpu.frequency', 2e9, { 'cpu.logical_number': 0 });
          // CPU 1 goes offline after the second collection.
          if (n <= 2) sink.add('system.cpu.frequency', 3e9, { 'cpu.logical_number': 1 });
          if (n <= 2) sink.add('system.paging.usage', 1024, { 'system.paging.state': 'used', 'system.device': '/dev/vdb' });
        },
      },
    ];
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const config = loadConfig({
      argv: { interval: '50ms', dataDir: mkdtempSync(join(tmpdir(), 'sysmon-agent-')), exportTimeout: '500ms' },
      env: {},
    });
    const agent = new Agent({ config, log: createLogger({ write: () => {} }), collectors, otlpExporter: exporter });
    await agent.start();
    await new Promise((r) => setTimeout(r, 300));
    await agent.stop();
    const cpusIn = (i: number) => {
      const metrics = exporter.getMetrics()[i].scopeMetrics[0].metrics;
      const freq = metrics.find((m) => m.descriptor.name === 'system.cpu.frequency')!;
      return {
        cpus: freq.dataPoints.map((p) => p.attributes['cpu.logical_number']).sort(),
        paging: metrics.some((m) => m.descriptor.name === 'system.paging.usage'),
      };
    };
    expect(cpusIn(1)).toEqual({ cpus: [0, 1], paging: true });
    expect(cpusIn(exporter.getMetrics().length - 1)).toEqual({ cpus: [0], paging: false });
  });
});
