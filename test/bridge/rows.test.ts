import { describe, expect, it } from 'vitest';
import type { PlainMetric, PlainNumberPoint, PlainRequest } from '../../src/otlp/plain.js';
import { mapJson, rejectionMessage, timestampJson, toProtonRows } from '../../src/bridge/rows.js';
import { STREAMS, type StreamName } from '../../src/bridge/streams.js';

const T = 1_700_000_000_123_456_789n;
const START = 1_699_999_990_000_000_000n;

function point(value: number, attributes: PlainNumberPoint['attributes'], time = T): PlainNumberPoint {
  return { attributes, startTimeUnixNano: START, timeUnixNano: time, value, valueType: Number.isInteger(value) ? 'int' : 'double', flags: 0 };
}

function request(metrics: PlainMetric[], resource: Record<string, string> = RESOURCE): PlainRequest {
  return {
    resourceMetrics: [{ resource, schemaUrl: '', scopeMetrics: [{ scope: { name: 'otel-sysmon', version: '0.1.0', attributes: {} }, schemaUrl: '', metrics }] }],
  };
}

const RESOURCE = { 'service.name': 'otel-sysmon', 'host.name': 'vm1', 'host.id': 'abc123', 'service.instance.id': 'inst-1' };

/** Rows of a stream as objects keyed by column (what Proton stores). */
function rowsOf(req: PlainRequest, stream: StreamName): Record<string, unknown>[] {
  const batch = toProtonRows(req).batches.find((b) => b.stream === stream);
  if (!batch) return [];
  const data = JSON.parse(`[${batch.text}]`) as unknown[][];
  return data.map((row) => Object.fromEntries(STREAMS[stream].map((c, i) => [c, row[i]])));
}

const utilization = (core: number, busy: Record<string, number>, time = T): PlainMetric => ({
  name: 'system.cpu.utilization',
  description: '',
  unit: '1',
  type: 'gauge',
  points: Object.entries(busy).map(([mode, v]) => point(v, { 'cpu.mode': mode, 'cpu.logical_number': core }, time)),
});

describe('toProtonRows', () => {
  it('writes every gauge and sum point to otel_metrics with maps and identity columns', () => {
    const req = request([
      {
        name: 'system.cpu.time',
        description: '',
        unit: 's',
        type: 'sum',
        monotonic: true,
        temporality: 'cumulative',
        points: [point(12.5, { 'cpu.mode': 'idle', 'cpu.logical_number': 0 })],
      },
      { name: 'system.memory.usage', description: '', unit: 'By', type: 'sum', monotonic: false, temporality: 'cumulative', points: [point(4096, { 'system.memory.state': 'used' })] },
      { name: 'system.cpu.load_average.1m', description: '', unit: '{thread}', type: 'gauge', points: [point(0.25, {})] },
    ]);
    expect(rowsOf(req, 'otel_metrics')).toEqual([
      {
        timestamp: '2023-11-14T22:13:20.123456789Z',
        start_timestamp: '2023-11-14T22:13:10.000000000Z',
        metric_name: 'system.cpu.time',
        metric_unit: 's',
        metric_type: 'sum',
        is_monotonic: true,
        temporality: 'cumulative',
        value: 12.5,
        attributes: { 'cpu.mode': 'idle', 'cpu.logical_number': '0' },
        resource_attributes: RESOURCE,
        host_name: 'vm1',
        service_name: 'otel-sysmon',
        scope_name: 'otel-sysmon',
      },
      expect.objectContaining({ metric_name: 'system.memory.usage', metric_type: 'sum', is_monotonic: false, value: 4096, attributes: { 'system.memory.state': 'used' } }),
      expect.objectContaining({ metric_name: 'system.cpu.load_average.1m', metric_type: 'gauge', is_monotonic: false, temporality: '', value: 0.25, attributes: {} }),
    ]);
    expect(toProtonRows(req)).toMatchObject({ acceptedCount: 3, rejectedCount: 0 });
  });

  it('joins utilization and frequency per core and collection into cpu_metrics', () => {
    const req = request([
      utilization(0, { user: 0.2, system: 0.05, idle: 0.7, iowait: 0.05 }),
      utilization(1, { user: 0.5, system: 0.25, idle: 0.25, iowait: 0 }),
      {
        name: 'system.cpu.frequency',
        description: '',
        unit: 'Hz',
        type: 'gauge',
        points: [point(2_400_000_000, { 'cpu.logical_number': 0 })],
      },
    ]);
    const rows = rowsOf(req, 'cpu_metrics');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      timestamp: '2023-11-14T22:13:20.123456789Z',
      host_id: 'abc123',
      agent_id: 'inst-1',
      core_id: 0,
      usage_percent: expect.closeTo(25, 9),
      frequency_hz: 2_400_000_000,
      label: 'cpu0',
      cluster: '',
    });
    // Core 1 has no frequency point: NULL, never 0.
    expect(rows[1]).toMatchObject({ core_id: 1, usage_percent: expect.closeTo(75, 9), frequency_hz: null, label: 'cpu1' });
    // The same points are also in otel_metrics.
    expect(rowsOf(req, 'otel_metrics')).toHaveLength(9);
  });

  it('keeps collections apart and falls back to host.name without host.id', () => {
    const t2 = T + 1_000_000_000n;
    const req = request(
      [
        {
          ...utilization(0, { user: 0.1, idle: 0.9 }),
          points: [...(utilization(0, { user: 0.1, idle: 0.9 }) as { points: PlainNumberPoint[] }).points, ...(utilization(0, { user: 0.3, idle: 0.7 }, t2) as { points: PlainNumberPoint[] }).points],
        } as PlainMetric,
        { name: 'system.cpu.frequency', description: '', unit: 'Hz', type: 'gauge', points: [point(1e9, { 'cpu.logical_number': 0 }), point(2e9, { 'cpu.logical_number': 0 }, t2)] },
      ],
      { 'host.name': 'mac1', 'cpu.cluster': 'ignored' },
    );
    const rows = rowsOf(req, 'cpu_metrics');
    expect(rows.map((r) => [r.timestamp, r.host_id, r.agent_id, Math.round(r.usage_percent as number), r.frequency_hz])).toEqual([
      ['2023-11-14T22:13:20.123456789Z', 'mac1', '', 10, 1e9],
      ['2023-11-14T22:13:21.123456789Z', 'mac1', '', 30, 2e9],
    ]);
  });

  it('stores histogram points with bounds and counts', () => {
    const req = request([
      {
        name: 'cicd.pipeline.run.duration',
        description: '',
        unit: 's',
        type: 'histogram',
        temporality: 'cumulative',
        points: [
          {
            attributes: { 'cicd.pipeline.result': 'success' },
            startTimeUnixNano: START,
            timeUnixNano: T,
            count: 4,
            sum: 25.5,
            min: 0.5,
            max: 20,
            bucketCounts: [1, 2, 1],
            explicitBounds: [1, 10],
            flags: 0,
          },
        ],
      },
    ]);
    expect(rowsOf(req, 'otel_metrics_histogram')).toEqual([
      {
        timestamp: '2023-11-14T22:13:20.123456789Z',
        start_timestamp: '2023-11-14T22:13:10.000000000Z',
        metric_name: 'cicd.pipeline.run.duration',
        metric_unit: 's',
        temporality: 'cumulative',
        count: 4,
        sum: 25.5,
        min: 0.5,
        max: 20,
        explicit_bounds: [1, 10],
        bucket_counts: [1, 2, 1],
        attributes: { 'cicd.pipeline.result': 'success' },
        resource_attributes: RESOURCE,
        host_name: 'vm1',
        service_name: 'otel-sysmon',
        scope_name: 'otel-sysmon',
      },
    ]);
    expect(rowsOf(req, 'otel_metrics')).toEqual([]);
  });

  it('counts what it cannot store, by reason', () => {
    const req = request([
      { name: 'g', description: '', unit: '1', type: 'gauge', points: [point(NaN, {}), point(1, {}, 0n), { ...point(2, {}), flags: 1 }, point(3, {})] },
      {
        name: 'e',
        description: '',
        unit: '1',
        type: 'exponential_histogram',
        temporality: 'delta',
        points: [
          {
            attributes: {},
            startTimeUnixNano: START,
            timeUnixNano: T,
            count: 1,
            scale: 0,
            zeroCount: 0,
            zeroThreshold: 0,
            positive: { offset: 0, bucketCounts: [1] },
            negative: { offset: 0, bucketCounts: [] },
            flags: 0,
          },
        ],
      },
      { name: 's', description: '', unit: '1', type: 'summary', points: [] },
    ]);
    const converted = toProtonRows(req);
    expect(converted.acceptedCount).toBe(1);
    expect(converted.rejectedCount).toBe(4);
    expect(Object.fromEntries(converted.rejected)).toEqual({
      'NaN or infinite values': 1,
      'points without a timestamp': 1,
      'points without a recorded value': 1,
      'exponential histograms are not stored': 1,
    });
    expect(rejectionMessage(converted.rejected)).toBe(
      '4 points not stored: 1 NaN or infinite values; 1 points without a timestamp; 1 points without a recorded value; 1 exponential histograms are not stored',
    );
  });

  it('renders attribute values of every type as map strings', () => {
    expect(JSON.parse(mapJson({ s: 'x', i: 3, d: 0.5, b: true, n: null, a: ['a', 1], kv: { k: 'v' }, bytes: new Uint8Array([1, 2]) }))).toEqual({
      s: 'x',
      i: '3',
      d: '0.5',
      b: 'true',
      n: '',
      a: '["a",1]',
      kv: '{"k":"v"}',
      bytes: 'AQI=',
    });
  });

  it('formats nanosecond timestamps exactly', () => {
    expect(timestampJson(0n)).toBe('"1970-01-01T00:00:00.000000000Z"');
    expect(timestampJson(1n)).toBe('"1970-01-01T00:00:00.000000001Z"');
    expect(timestampJson(T)).toBe('"2023-11-14T22:13:20.123456789Z"');
  });

  it('produces nothing for an empty request', () => {
    expect(toProtonRows({ resourceMetrics: [] })).toEqual({ batches: [], rejected: new Map(), rejectedCount: 0, acceptedCount: 0 });
  });
});
