// OTLP/gRPC transport: one unary call on MetricsService/Export with pass-through serializers, so the
// bytes on the wire are exactly the spooled request. TLS with a custom CA, mTLS, metadata headers.
import * as grpc from '@grpc/grpc-js';
import { ConfigError } from '../config/load.js';
import { METRICS_EXPORT_PATH } from '../otlp/proto.js';
import type { OtlpConfig, TlsMaterial } from './otlp-config.js';
import { okOutcome, type SendOutcome, type Transport } from './transport.js';

type RetryReason = Extract<SendOutcome, { kind: 'retry' }>['reason'];

// The codes the OTLP spec lists as retryable; every other code is a refusal of this request.
const RETRYABLE = new Map<number, RetryReason>([
  [grpc.status.CANCELLED, 'unavailable'],
  [grpc.status.DEADLINE_EXCEEDED, 'timeout'],
  [grpc.status.RESOURCE_EXHAUSTED, 'throttled'],
  [grpc.status.ABORTED, 'unavailable'],
  [grpc.status.OUT_OF_RANGE, 'unavailable'],
  [grpc.status.UNAVAILABLE, 'unavailable'],
  [grpc.status.DATA_LOSS, 'unavailable'],
]);

const identity = (b: Buffer): Buffer => b;

function metadataFrom(headers: Readonly<Record<string, string>>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) {
    try {
      metadata.set(key, value);
    } catch {
      // The value is a secret: name the key only.
      throw new ConfigError(`invalid --otlp-headers key ${JSON.stringify(key)}: not a valid gRPC metadata key`);
    }
  }
  return metadata;
}

function failure(err: grpc.ServiceError): SendOutcome {
  const message = `${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`;
  const reason = RETRYABLE.get(err.code);
  return reason ? { kind: 'retry', reason, message } : { kind: 'reject', message };
}

export function createGrpcTransport(config: OtlpConfig, tls: TlsMaterial, userAgent: string): Transport {
  // Like the official exporter: the URL's host[:port]; its scheme only says plaintext or TLS.
  const target = new URL(config.otlpEndpoint).host;
  const credentials = tls.plaintext
    ? grpc.credentials.createInsecure()
    : grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
  const metadata = metadataFrom(config.otlpHeaders);
  // A channel is replaced after each failure (reset): keep closed ones out of the channelz registry.
  const options: grpc.ChannelOptions = { 'grpc.primary_user_agent': userAgent, 'grpc.enable_channelz': 0 };
  let client: grpc.Client | undefined;

  const reset = (): void => {
    client?.close();
    client = undefined;
  };

  return {
    send(body, timeoutMs) {
      const c = (client ??= new grpc.Client(target, credentials, options));
      const payload = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      return new Promise<SendOutcome>((resolve) => {
        c.makeUnaryRequest(
          METRICS_EXPORT_PATH,
          identity,
          identity,
          payload,
          metadata.clone(),
          { deadline: Date.now() + timeoutMs },
          (err, response) => resolve(err ? failure(err) : okOutcome(response ?? Buffer.alloc(0))),
        );
      });
    },
    reset,
    close: reset,
  };
}
