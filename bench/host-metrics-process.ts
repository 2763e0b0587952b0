// The host-metrics side of the process comparison: exports every 20 ms to an exporter that discards.
import { ExportResultCode } from '@opentelemetry/core';
import { HostMetrics } from '@opentelemetry/host-metrics';
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';

const discard: PushMetricExporter = {
  export: (_metrics, done) => done({ code: ExportResultCode.SUCCESS }),
  forceFlush: async () => {},
  shutdown: async () => {},
  selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
};

const provider = new MeterProvider({
  readers: [new PeriodicExportingMetricReader({ exporter: discard, exportIntervalMillis: 20, exportTimeoutMillis: 15 })],
});
new HostMetrics({ meterProvider: provider, name: 'bench' }).start();
// The SDK's export timer is unref'd: keep the process alive until the benchmark kills it.
setInterval(() => {}, 1 << 30);
