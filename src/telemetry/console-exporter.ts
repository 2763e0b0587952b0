// `--exporter console`: a readable table of every point at each export, on stdout.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { formatAttributes, renderTable } from '../util/table.js';

export function formatConsoleTable(metrics: ResourceMetrics, now = new Date()): string {
  const rows: string[][] = [];
  for (const scope of metrics.scopeMetrics) {
    for (const m of scope.metrics) {
      for (const p of m.dataPoints) {
        let value: string;
        if (m.dataPointType === DataPointType.HISTOGRAM) {
          const h = p.value as { count: number; sum?: number };
          value = `count=${h.count} sum=${h.sum ?? 0}`;
        } else {
          value = String(p.value);
        }
        rows.push([m.descriptor.name, formatAttributes(p.attributes), `${value} ${m.descriptor.unit}`.trim()]);
      }
    }
  }
  return `--- ${now.toISOString()} (${rows.length} points)\n` + renderTable(['metric', 'attributes', 'value'], rows);
}

export class ConsoleTableExporter implements PushMetricExporter {
  constructor(private readonly write: (text: string) => void = (t) => process.stdout.write(t)) {}

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    this.write(formatConsoleTable(metrics));
    done({ code: ExportResultCode.SUCCESS });
  }

  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE;
  }

  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
