// Plain JS shapes of decoded OTLP metrics (see src/otlp/proto.ts for the conversion and its choices:
// times are bigint nanoseconds, int64 values and counts are numbers, attributes are records).

/** An OTLP AnyValue as JS: int and double both become numbers; kvlist becomes a record; empty is null. */
export type AttributeValue = string | number | boolean | null | Uint8Array | AttributeValue[] | { [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

export type Temporality = 'delta' | 'cumulative' | 'unspecified';

interface PointBase {
  readonly attributes: Attributes;
  readonly startTimeUnixNano: bigint;
  readonly timeUnixNano: bigint;
  readonly flags: number;
}

export interface PlainNumberPoint extends PointBase {
  /** NaN when the point carries no value (valueType 'none'). */
  readonly value: number;
  readonly valueType: 'int' | 'double' | 'none';
}

export interface PlainHistogramPoint extends PointBase {
  readonly count: number;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  readonly bucketCounts: number[];
  readonly explicitBounds: number[];
}

export interface PlainExponentialBuckets {
  readonly offset: number;
  readonly bucketCounts: number[];
}

export interface PlainExponentialHistogramPoint extends PointBase {
  readonly count: number;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  readonly scale: number;
  readonly zeroCount: number;
  readonly zeroThreshold: number;
  readonly positive: PlainExponentialBuckets;
  readonly negative: PlainExponentialBuckets;
}

export interface PlainSummaryPoint extends PointBase {
  readonly count: number;
  readonly sum: number;
  readonly quantileValues: { quantile: number; value: number }[];
}

interface MetricHead {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
}

export type PlainMetric =
  | (MetricHead & { readonly type: 'gauge'; readonly points: PlainNumberPoint[] })
  | (MetricHead & {
      readonly type: 'sum';
      readonly monotonic: boolean;
      readonly temporality: Temporality;
      readonly points: PlainNumberPoint[];
    })
  | (MetricHead & { readonly type: 'histogram'; readonly temporality: Temporality; readonly points: PlainHistogramPoint[] })
  | (MetricHead & {
      readonly type: 'exponential_histogram';
      readonly temporality: Temporality;
      readonly points: PlainExponentialHistogramPoint[];
    })
  | (MetricHead & { readonly type: 'summary'; readonly points: PlainSummaryPoint[] })
  /** A metric without data (no oneof member set). */
  | (MetricHead & { readonly type: 'empty'; readonly points: never[] });

export interface PlainScopeMetrics {
  readonly scope: { readonly name: string; readonly version: string; readonly attributes: Attributes };
  readonly schemaUrl: string;
  readonly metrics: PlainMetric[];
}

export interface PlainResourceMetrics {
  readonly resource: Attributes;
  readonly schemaUrl: string;
  readonly scopeMetrics: PlainScopeMetrics[];
}

export interface PlainRequest {
  readonly resourceMetrics: PlainResourceMetrics[];
}
