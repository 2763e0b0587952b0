// The durable exporter's own OTLP transports: they send an already serialized
// ExportMetricsServiceRequest as is (so a spooled request is replayed byte for byte) and sort every
// outcome into delivered, worth retrying, or refused for good (OTLP spec: "Failures").
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';

/** Why an attempt failed (sysmon.export.failed{reason}). */
export type FailureReason = 'unavailable' | 'timeout' | 'throttled' | 'rejected';
export const FAILURE_REASONS: readonly FailureReason[] = ['unavailable', 'timeout', 'throttled', 'rejected'];

export interface PartialSuccess {
  readonly rejectedDataPoints: number;
  readonly errorMessage: string;
}

export type SendOutcome =
  | { readonly kind: 'ok'; readonly partialSuccess?: PartialSuccess }
  /** The collector may accept it later: keep the request and try again. */
  | {
      readonly kind: 'retry';
      readonly reason: Exclude<FailureReason, 'rejected'>;
      readonly message: string;
      /** The collector's throttling hint (HTTP Retry-After). */
      readonly retryAfterMs?: number;
    }
  /** The collector refused this request for good (bad data, auth...): retrying cannot help. */
  | { readonly kind: 'reject'; readonly message: string };

export interface Transport {
  /** Sends one request; never rejects (every failure is an outcome). */
  send(body: Uint8Array, timeoutMs: number): Promise<SendOutcome>;
  /** Drops connections; the next send reconnects (also after a failure, so a probe reaches a fresh collector). */
  reset(): void;
  close(): void;
}

/** A successful reply: OTLP partial success, when the collector dropped some points. */
export function okOutcome(responseBody: Uint8Array): SendOutcome {
  if (responseBody.byteLength === 0) return { kind: 'ok' };
  let partial;
  try {
    partial = ProtobufMetricsSerializer.deserializeResponse(responseBody).partialSuccess;
  } catch {
    // The collector accepted the request; an unreadable reply body does not undo that.
    return { kind: 'ok' };
  }
  const rejected = Number(partial?.rejectedDataPoints ?? 0);
  const message = partial?.errorMessage ?? '';
  if (rejected === 0 && message === '') return { kind: 'ok' };
  return { kind: 'ok', partialSuccess: { rejectedDataPoints: rejected, errorMessage: message } };
}
