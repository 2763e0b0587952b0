// The durable OTLP exporter `otel-sysmon run` uses for --exporter otlp: each export is serialized once
// (ProtobufMetricsSerializer) and handed to the delivery loop, which sends it with the project's own
// transports or keeps it in the spool until the collector accepts. It is also the agent module that
// opens the spool in the data directory and reports sysmon.export.* (so it starts after the data
// directory exists and stops, persisting what is in flight, before the MeterProvider shuts down).
//
// The export callback reports SUCCESS once the request is sent or safely queued, so the
// collection-driven reader never skips a collection because the collector is slow or away.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  CumulativeTemporalitySelector,
  DeltaTemporalitySelector,
  LowMemoryTemporalitySelector,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import type { AggregationTemporalitySelector, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { AgentContext, AgentModule } from '../agent/types.js';
import type { LoadedConfig } from '../config/load.js';
import type { Temporality } from '../config/options.js';
import { type Db, openStore, storePath } from '../store/store.js';
import { VERSION } from '../version.js';
import type { BackoffOptions } from './delivery-breaker.js';
import { Delivery } from './delivery.js';
import { type OtlpConfig, type TlsMaterial, tlsMaterial } from './otlp-config.js';
import { Spool } from './spool.js';
import { ExportStats, exportMetricsProducer } from './spool-metrics.js';
import type { Transport } from './transport.js';
import { createGrpcTransport } from './transport-grpc.js';
import { createHttpTransport } from './transport-http.js';

export type DurableExporterConfig = OtlpConfig & {
  readonly spoolMaxBytes: number;
  readonly spoolMaxAge: number;
};

export interface DurableExporterOptions {
  /** Replaces the transport built from the config (tests). */
  readonly transport?: Transport;
  readonly backoff?: BackoffOptions;
  readonly now?: () => number;
}

const TEMPORALITY: Record<Temporality, AggregationTemporalitySelector> = {
  cumulative: CumulativeTemporalitySelector,
  delta: DeltaTemporalitySelector,
  lowmemory: LowMemoryTemporalitySelector,
};

/** Builds the gRPC or HTTP transport; bad TLS files or header keys throw a ConfigError naming the flag. */
export function createTransport(config: OtlpConfig, tls: TlsMaterial = tlsMaterial(config)): Transport {
  const userAgent = `otel-sysmon/${VERSION}`;
  return config.otlpProtocol === 'grpc' ? createGrpcTransport(config, tls, userAgent) : createHttpTransport(config, tls, userAgent);
}

/** The durable exporter (and module) when the config exports OTLP. */
export function durableExporterFor(config: LoadedConfig): DurableExporter | undefined {
  return config.exporter.includes('otlp') ? new DurableExporter(config) : undefined;
}

export class DurableExporter implements PushMetricExporter, AgentModule {
  readonly name = 'export';
  readonly stats = new ExportStats();
  readonly selectAggregationTemporality: AggregationTemporalitySelector;
  private readonly transport: Transport;
  private readonly plaintext: boolean;
  private db: Db | undefined;
  private spool: Spool | undefined;
  private delivery: Delivery | undefined;

  constructor(
    private readonly config: DurableExporterConfig,
    private readonly options: DurableExporterOptions = {},
  ) {
    const tls = tlsMaterial(config);
    this.plaintext = tls.plaintext;
    this.transport = options.transport ?? createTransport(config, tls);
    this.selectAggregationTemporality = TEMPORALITY[config.temporality];
  }

  async start(agent: AgentContext): Promise<void> {
    const db = openStore(storePath(agent.dataDir));
    this.db = db;
    this.spool = new Spool(db);
    this.delivery = new Delivery({
      transport: this.transport,
      spool: this.spool,
      bounds: { maxBytes: this.config.spoolMaxBytes, maxAgeMs: this.config.spoolMaxAge },
      timeoutMs: this.config.exportTimeout,
      log: agent.log,
      stats: this.stats,
      backoff: this.options.backoff,
      now: this.options.now,
    });
    agent.addProducer(exportMetricsProducer(this.stats, () => this.spool?.size));
    if (this.plaintext && (this.config.otlpCa || this.config.otlpClientCert)) {
      agent.log.warn('TLS files are ignored: the OTLP endpoint is plaintext (http:// or --insecure)', {
        endpoint: this.config.otlpEndpoint,
      });
    }
    this.delivery.start();
  }

  /** Persists what is in flight, waits for its reply (bounded by the export timeout), closes the spool. */
  async stop(): Promise<void> {
    const delivery = this.delivery;
    this.delivery = undefined;
    await delivery?.stop(this.config.exportTimeout);
    this.spool = undefined;
    this.db?.close();
    this.db = undefined;
  }

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    if (!this.delivery) {
      done({ code: ExportResultCode.FAILED, error: new Error('the durable OTLP exporter is not running') });
      return;
    }
    try {
      const body = ProtobufMetricsSerializer.serializeRequest(metrics);
      if (!body) throw new Error('cannot serialize the OTLP request');
      this.delivery.accept(body, (this.options.now ?? Date.now)());
      done({ code: ExportResultCode.SUCCESS });
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }

  async forceFlush(): Promise<void> {
    await this.delivery?.flush();
  }

  shutdown(): Promise<void> {
    return this.stop();
  }
}
