// Builds the OTLP metric exporter (gRPC or HTTP/protobuf) from the resolved config: endpoint, headers,
// TLS (custom CA, mTLS client certificate) and temporality preference.
import { readFileSync } from 'node:fs';
import { credentials as grpcCredentials, Metadata } from '@grpc/grpc-js';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { ConfigError } from '../config/load.js';
import { flagName, type Config, type Temporality } from '../config/options.js';

export type OtlpConfig = Pick<
  Config,
  | 'otlpEndpoint'
  | 'otlpProtocol'
  | 'otlpHeaders'
  | 'otlpCa'
  | 'otlpClientCert'
  | 'otlpClientKey'
  | 'insecure'
  | 'temporality'
  | 'exportTimeout'
>;

const TEMPORALITY: Record<Temporality, AggregationTemporalityPreference> = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
  lowmemory: AggregationTemporalityPreference.LOWMEMORY,
};

function readPem(key: 'otlpCa' | 'otlpClientCert' | 'otlpClientKey', file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`invalid ${flagName(key)}=${JSON.stringify(file)}: expected a readable PEM file (${code})`);
  }
}

export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Plaintext transport: http:// endpoints, or --insecure. */
  readonly plaintext: boolean;
}

export function tlsMaterial(config: OtlpConfig): TlsMaterial {
  const ca = readPem('otlpCa', config.otlpCa);
  const cert = readPem('otlpClientCert', config.otlpClientCert);
  const key = readPem('otlpClientKey', config.otlpClientKey);
  const plaintext = config.insecure || new URL(config.otlpEndpoint).protocol === 'http:';
  return { ca, cert, key, plaintext };
}

export function createOtlpExporter(config: OtlpConfig): PushMetricExporter {
  const tls = tlsMaterial(config);
  const temporalityPreference = TEMPORALITY[config.temporality];
  if (config.otlpProtocol === 'grpc') {
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(config.otlpHeaders)) metadata.set(k, v);
    return new GrpcMetricExporter({
      url: config.otlpEndpoint,
      metadata,
      credentials: tls.plaintext
        ? grpcCredentials.createInsecure()
        : grpcCredentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null),
      temporalityPreference,
      timeoutMillis: config.exportTimeout,
    });
  }
  return new ProtoMetricExporter({
    url: config.otlpEndpoint,
    headers: { ...config.otlpHeaders },
    httpAgentOptions: { ca: tls.ca, cert: tls.cert, key: tls.key, keepAlive: true },
    temporalityPreference,
    timeoutMillis: config.exportTimeout,
  });
}
