// A metric reader driven by the agent's collection loop instead of its own timer: each collection is
// exported once, so exported timestamps match collection times. At most one export is in flight; a
// collection that finds one still running is not exported (cumulative state keeps its data, and delta
// state accumulates until the next export), so a slow collector never delays collections.
import { ExportResultCode } from '@opentelemetry/core';
import {
  AggregationTemporality,
  type AggregationTemporalitySelector,
  type MetricProducer,
  MetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

export interface ExportOutcome {
  readonly ok: boolean;
  readonly skipped?: boolean;
  readonly error?: Error;
}

/** The exporter's temporality choice (the SDK's default, cumulative, when it has none). */
export function temporalityOf(exporter: PushMetricExporter): AggregationTemporalitySelector {
  return exporter.selectAggregationTemporality?.bind(exporter) ?? (() => AggregationTemporality.CUMULATIVE);
}

export class CollectionDrivenReader extends MetricReader {
  private inFlight: Promise<ExportOutcome> | undefined;

  constructor(
    private readonly exporter: PushMetricExporter,
    private readonly timeoutMillis: number,
    /** Adds metrics from outside the SDK's instruments (the agent's catalogue producer). */
    metricProducers: MetricProducer[] = [],
    /** Adjusts collected metrics before export (the agent merges its producers' scopes). */
    private readonly prepare: (metrics: ResourceMetrics) => void = () => {},
  ) {
    super({
      aggregationTemporalitySelector: temporalityOf(exporter),
      aggregationSelector: exporter.selectAggregation?.bind(exporter),
      metricProducers,
    });
  }

  /** Collects the instruments and exports the result, unless an export is already running. */
  exportNow(): Promise<ExportOutcome> {
    if (this.inFlight) return Promise.resolve({ ok: false, skipped: true });
    const run = this.collectAndExport().finally(() => {
      this.inFlight = undefined;
    });
    this.inFlight = run;
    return run;
  }

  /** Waits for the export in flight, if any (bounded by the export timeout). */
  async idle(): Promise<void> {
    await this.inFlight;
  }

  private async collectAndExport(): Promise<ExportOutcome> {
    const { resourceMetrics, errors } = await this.collect({ timeoutMillis: this.timeoutMillis });
    if (errors.length > 0) return { ok: false, error: errors[0] as Error };
    this.prepare(resourceMetrics);
    return this.export(resourceMetrics);
  }

  private export(metrics: ResourceMetrics): Promise<ExportOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        resolve({ ok: false, error: new Error(`export timed out after ${this.timeoutMillis}ms`) });
      }, this.timeoutMillis);
      this.exporter.export(metrics, (result) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(
          result.code === ExportResultCode.SUCCESS
            ? { ok: true }
            : { ok: false, error: result.error ?? new Error('export failed') },
        );
      });
    });
  }

  protected override async onForceFlush(): Promise<void> {
    await this.idle();
    await this.exporter.forceFlush();
  }

  protected override async onShutdown(): Promise<void> {
    await this.idle();
    await this.exporter.shutdown();
  }
}
