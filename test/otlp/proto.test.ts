import { ValueType } from '@opentelemetry/api';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { AggregationTemporality } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttributeValue, PlainRequest } from '../../src/otlp/plain.js';
import {
  countDataPoints,
  decodeMetricsRequest,
  decodeMetricsResponse,
  decodeRpcStatus,
  encodeMetricsRequest,
  encodeMetricsResponse,
  encodeRpcStatus,
  nanosToMillis,
  OtlpDecodeError,
} from '../../src/otlp/proto.js';
import { flattenMetrics } from '../helpers/otlp-receiver.js';
import { referenceDecode } from '../helpers/reference-decode.js';
import { collectOnce } from '../helpers/sdk-metrics.js';

/** Records known values with the real SDK and encodes them with the official OTLP protobuf serializer. */
async function officialEncoding(temporality = AggregationTemporality.CUMULATIVE): Promise<Uint8Array> {
  const resourceMetrics = await collectOnce(
    (meter) => {
      const counter = meter.createCounter('test.counter', { unit: 's', description: 'a counter' });
      counter.add(1.5, { 'cpu.mode': 'user', 'cpu.logical_number': 0 });
      counter.add(2.25, { 'cpu.mode': 'user', 'cpu.logical_number': 0 });
      const intCounter = meter.createUpDownCounter('test.updown', { unit: 'By', valueType: ValueType.INT });
      intCounter.add(-7, { 'system.memory.state': 'used' });
      intCounter.add(9_007_199_254_740_000, { 'system.memory.state': 'free' });
      const gauge = meter.createGauge('test.gauge', { unit: 'Hz' });
      gauge.record(2_400_000_000, { 'cpu.logical_number': 3, flag: true, ratio: 0.5, tags: ['a', 'b'] });
      const histogram = meter.createHistogram('test.histogram', { unit: 's', advice: { explicitBucketBoundaries: [1, 10] } });
      for (const v of [0.5, 2, 3, 20]) histogram.record(v, { 'cicd.pipeline.result': 'success' });
    },
    { 'service.name': 'proto-test', 'host.arch': 'amd64', 'process.pid': 4242 },
    temporality,
  );
  const bytes = ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
  if (!bytes) throw new Error('serializer returned nothing');
  return bytes;
}

describe('decodeMetricsRequest against the official OTLP JS serializer', () => {
  it('decodes names, units, types, temporality, values, attributes and resource', async () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const req = decodeMetricsRequest(await officialEncoding());
    const after = BigInt(Date.now() + 1) * 1_000_000n;

    expect(req.resourceMetrics).toHaveLength(1);
    const rm = req.resourceMetrics[0];
    expect(rm.resource).toMatchObject({ 'service.name': 'proto-test', 'host.arch': 'amd64', 'process.pid': 4242 });
    expect(rm.scopeMetrics[0].scope).toMatchObject({ name: 'test-scope', version: '1.2.3' });
    const byName = new Map(rm.scopeMetrics[0].metrics.map((m) => [m.name, m]));

    const counter = byName.get('test.counter')!;
    expect(counter).toMatchObject({ type: 'sum', monotonic: true, temporality: 'cumulative', unit: 's', description: 'a counter' });
    expect(counter.points).toHaveLength(1);
    const cp = counter.type === 'sum' ? counter.points[0] : undefined;
    expect(cp).toMatchObject({ value: 3.75, valueType: 'double', attributes: { 'cpu.mode': 'user', 'cpu.logical_number': 0 } });
    expect(typeof cp!.attributes['cpu.logical_number']).toBe('number');
    expect(cp!.timeUnixNano >= before && cp!.timeUnixNano <= after).toBe(true);
    expect(cp!.startTimeUnixNano > 0n && cp!.startTimeUnixNano <= cp!.timeUnixNano).toBe(true);

    const updown = byName.get('test.updown')!;
    expect(updown).toMatchObject({ type: 'sum', monotonic: false, unit: 'By' });
    const values = Object.fromEntries(
      (updown.type === 'sum' ? updown.points : []).map((p) => [p.attributes['system.memory.state'] as string, [p.value, p.valueType]]),
    );
    expect(values).toEqual({ used: [-7, 'int'], free: [9_007_199_254_740_000, 'int'] });

    const gauge = byName.get('test.gauge')!;
    expect(gauge.type).toBe('gauge');
    expect(gauge.points[0]).toMatchObject({
      value: 2_400_000_000,
      attributes: { 'cpu.logical_number': 3, flag: true, ratio: 0.5, tags: ['a', 'b'] },
    });

    const histogram = byName.get('test.histogram')!;
    expect(histogram).toMatchObject({ type: 'histogram', temporality: 'cumulative' });
    expect(histogram.points[0]).toMatchObject({
      count: 4,
      sum: 25.5,
      min: 0.5,
      max: 20,
      explicitBounds: [1, 10],
      bucketCounts: [1, 2, 1],
      attributes: { 'cicd.pipeline.result': 'success' },
    });
    expect(countDataPoints(req)).toBe(5);
  });

  it('agrees with protobufjs reflection on the same bytes', async () => {
    for (const t of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
      const bytes = await officialEncoding(t);
      expect(decodeMetricsRequest(bytes)).toEqual(referenceDecode(bytes));
    }
  });

  it('decodes delta temporality', async () => {
    const req = decodeMetricsRequest(await officialEncoding(AggregationTemporality.DELTA));
    const counter = flattenMetrics([req]).find((m) => m.name === 'test.counter');
    expect(counter).toMatchObject({ type: 'sum', monotonic: true, temporality: 'delta' });
  });

  it('re-encodes what it decoded to the same plain objects', async () => {
    const once = decodeMetricsRequest(await officialEncoding());
    expect(decodeMetricsRequest(encodeMetricsRequest(once))).toEqual(once);
  });

  it('rejects bytes that are not an OTLP request', () => {
    expect(() => decodeMetricsRequest(Buffer.from('this is not protobuf at all'))).toThrow(OtlpDecodeError);
    expect(() => decodeMetricsRequest(Buffer.from([0x0a, 0x50, 0x01]))).toThrow(/not an OTLP ExportMetricsServiceRequest/);
  });

  it('decodes an empty body as an empty request (valid protobuf)', () => {
    expect(decodeMetricsRequest(new Uint8Array())).toEqual({ resourceMetrics: [] });
  });
});

describe('round trip of plain requests', () => {
  it('keeps histograms, exponential histograms and summaries, and agrees with the reference decoder', () => {
    const t = 1_700_000_000_000_000_001n;
    const base = { attributes: { k: -5, big: 2 ** 40, neg: -(2 ** 40) }, startTimeUnixNano: 1n, timeUnixNano: t, flags: 0 };
    const req: PlainRequest = {
      resourceMetrics: [
        {
          resource: { 'host.name': 'h', nested: { a: [1, 'x', true, null] }, raw: new Uint8Array([0, 255]) },
          schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
          scopeMetrics: [
            {
              scope: { name: 'sc', version: '1', attributes: { s: 'v' } },
              schemaUrl: '',
              metrics: [
                { name: 'h', description: 'd', unit: 's', type: 'histogram', temporality: 'delta', points: [{ ...base, count: 3, sum: 4.5, min: 0.5, max: 3, bucketCounts: [1, 0, 2], explicitBounds: [1, 2] }] },
                { name: 'h2', description: '', unit: 's', type: 'histogram', temporality: 'cumulative', points: [{ ...base, count: 0, bucketCounts: [], explicitBounds: [] }] },
                {
                  name: 'e',
                  description: '',
                  unit: '1',
                  type: 'exponential_histogram',
                  temporality: 'cumulative',
                  points: [{ ...base, count: 5, sum: 9, min: -1, max: 4, scale: -2, zeroCount: 1, zeroThreshold: 0.001, positive: { offset: -3, bucketCounts: [1, 2] }, negative: { offset: 2, bucketCounts: [1] } }],
                },
                { name: 's', description: '', unit: 'ms', type: 'summary', points: [{ ...base, count: 2, sum: 3, quantileValues: [{ quantile: 0, value: 1 }, { quantile: 1, value: 2 }] }] },
                { name: 'none', description: '', unit: '', type: 'gauge', points: [{ ...base, value: NaN, valueType: 'none' }] },
                { name: 'empty', description: '', unit: '', type: 'empty', points: [] },
              ],
            },
          ],
        },
      ],
    };
    const bytes = encodeMetricsRequest(req);
    expect(decodeMetricsRequest(bytes)).toEqual(req);
    expect(decodeMetricsRequest(bytes)).toEqual(referenceDecode(bytes));
  });

  it('never throws anything but OtlpDecodeError, and agrees with the reference whenever that decodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        let ref: PlainRequest | undefined;
        try {
          ref = referenceDecode(bytes);
        } catch {
          ref = undefined;
        }
        try {
          const fast = decodeMetricsRequest(bytes);
          if (ref) expect(fast).toEqual(ref);
        } catch (err) {
          expect(err).toBeInstanceOf(OtlpDecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  const scalar: fc.Arbitrary<AttributeValue> = fc.oneof(
    fc.string(),
    fc.boolean(),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  );
  const attrs = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })), {
    maxKeys: 4,
  });
  const time = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

  it('keeps every value, attribute and nanosecond', () => {
    fc.assert(
      fc.property(attrs, attrs, time, time, fc.double({ noNaN: true }), fc.integer(), (resource, pointAttrs, start, end, d, i) => {
        const req: PlainRequest = {
          resourceMetrics: [
            {
              resource,
              schemaUrl: '',
              scopeMetrics: [
                {
                  scope: { name: 's', version: '', attributes: {} },
                  schemaUrl: '',
                  metrics: [
                    {
                      name: 'g',
                      description: '',
                      unit: '1',
                      type: 'gauge',
                      points: [{ attributes: pointAttrs, startTimeUnixNano: start, timeUnixNano: end, value: d, valueType: 'double', flags: 0 }],
                    },
                    {
                      name: 'c',
                      description: 'd',
                      unit: 's',
                      type: 'sum',
                      monotonic: true,
                      temporality: 'delta',
                      points: [{ attributes: {}, startTimeUnixNano: start, timeUnixNano: end, value: i, valueType: 'int', flags: 1 }],
                    },
                  ],
                },
              ],
            },
          ],
        };
        expect(decodeMetricsRequest(encodeMetricsRequest(req))).toEqual(req);
      }),
      { numRuns: 200 },
    );
  });
});

describe('attribute names are data', () => {
  it('keeps an attribute named __proto__ as a property, leaving the prototype alone', () => {
    const req: PlainRequest = {
      resourceMetrics: [
        {
          resource: JSON.parse('{"__proto__": "r", "host.name": "h"}'),
          schemaUrl: '',
          scopeMetrics: [
            {
              scope: { name: 's', version: '', attributes: {} },
              schemaUrl: '',
              metrics: [
                {
                  name: 'g',
                  description: '',
                  unit: '1',
                  type: 'gauge',
                  points: [{ attributes: JSON.parse('{"__proto__": ["x"]}'), startTimeUnixNano: 0n, timeUnixNano: 1n, value: 1, valueType: 'double', flags: 0 }],
                },
              ],
            },
          ],
        },
      ],
    };
    const decoded = decodeMetricsRequest(encodeMetricsRequest(req));
    const resource = decoded.resourceMetrics[0].resource;
    expect(Object.getPrototypeOf(resource)).toBe(Object.prototype);
    expect(Object.keys(resource)).toEqual(['__proto__', 'host.name']);
    const attrs = (decoded.resourceMetrics[0].scopeMetrics[0].metrics[0] as { points: { attributes: object }[] }).points[0].attributes;
    expect(Object.getOwnPropertyDescriptor(attrs, '__proto__')?.value).toEqual(['x']);
    expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
  });
});

describe('responses', () => {
  it('encodes partial success the official deserializer reads back', () => {
    const bytes = encodeMetricsResponse({ partialSuccess: { rejectedDataPoints: 12, errorMessage: 'bad points' } });
    expect(ProtobufMetricsSerializer.deserializeResponse(bytes)).toEqual({
      partialSuccess: { rejectedDataPoints: 12, errorMessage: 'bad points' },
    });
    expect(decodeMetricsResponse(bytes)).toEqual({ partialSuccess: { rejectedDataPoints: 12, errorMessage: 'bad points' } });
  });

  it('encodes full success as an empty message', () => {
    expect(encodeMetricsResponse()).toHaveLength(0);
    expect(decodeMetricsResponse(encodeMetricsResponse())).toEqual({});
  });

  it('round-trips a google.rpc.Status', () => {
    expect(decodeRpcStatus(encodeRpcStatus(14, 'collector down'))).toEqual({ code: 14, message: 'collector down' });
  });
});

describe('nanosToMillis', () => {
  it('keeps sub-millisecond precision as a fraction', () => {
    expect(nanosToMillis(1_700_000_000_123_456_789n)).toBeCloseTo(1_700_000_000_123.4568, 3);
    expect(nanosToMillis(0n)).toBe(0);
  });
});
