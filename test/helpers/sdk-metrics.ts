// Known metric data made with the real OpenTelemetry SDK, and a one-shot export through an official
// exporter, for tests that check what a receiver decodes against what was recorded.
import type { Attributes, Meter } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

class CollectingReader extends MetricReader {
  constructor(temporality: AggregationTemporality) {
    super({ aggregationTemporalitySelector: () => temporality });
  }
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** Runs `record` against a fresh MeterProvider and returns one collection of what it recorded. */
export async function collectOnce(
  record: (meter: Meter) => void,
  resource: Attributes = { 'service.name': 'test' },
  temporality = AggregationTemporality.CUMULATIVE,
): Promise<ResourceMetrics> {
  const reader = new CollectingReader(temporality);
  const provider = new MeterProvider({ resource: resourceFromAttributes(resource), readers: [reader] });
  record(provider.getMeter('test-scope', '1.2.3'));
  const { resourceMetrics, errors } = await reader.collect();
  await provider.shutdown();
  if (errors.length) throw new Error(`collection failed: ${errors.map(String).join('; ')}`);
  return resourceMetrics;
}

export function exportOnce(exporter: PushMetricExporter, metrics: ResourceMetrics): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(metrics, resolve));
}
