// OTLP/HTTP transport: POST application/x-protobuf of the serialized request, with the same TLS
// material as gRPC (custom CA, mTLS) and the configured headers; status codes sorted per the OTLP spec.
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { decodeRpcStatus } from '../otlp/proto.js';
import type { OtlpConfig, TlsMaterial } from './otlp-config.js';
import { okOutcome, type SendOutcome, type Transport } from './transport.js';

const RETRYABLE_STATUS = new Map<number, 'throttled' | 'unavailable'>([
  [429, 'throttled'],
  [502, 'unavailable'],
  [503, 'unavailable'],
  [504, 'unavailable'],
]);

/** Largest reply body read; a collector's answer is a few bytes, an error page a few KiB. */
const MAX_REPLY_BYTES = 256 * 1024;
const MAX_MESSAGE_CHARS = 500;

/** The collector's own words: google.rpc.Status for OTLP bodies, else the text (shortened). */
function replyMessage(res: IncomingMessage, body: Buffer): string {
  const type = (res.headers['content-type'] ?? '').split(';')[0].trim();
  if (type === 'application/x-protobuf' && body.length > 0) {
    try {
      const status = decodeRpcStatus(body);
      if (status.message) return status.message;
    } catch {
      // not a Status message: fall back to the raw text
    }
  }
  const text = body.toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function outcomeOf(res: IncomingMessage, body: Buffer): SendOutcome {
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) return okOutcome(body);
  const message = `HTTP ${status}: ${replyMessage(res, body) || res.statusMessage || 'no message'}`;
  const reason = RETRYABLE_STATUS.get(status);
  if (!reason) return { kind: 'reject', message };
  const header = res.headers['retry-after'];
  return { kind: 'retry', reason, message, retryAfterMs: retryAfterMs(Array.isArray(header) ? header[0] : header) };
}

export function createHttpTransport(config: OtlpConfig, tls: TlsMaterial, userAgent: string): Transport {
  const url = new URL(config.otlpEndpoint);
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  // One connection is enough: at most one request is ever in flight.
  const newAgent = () =>
    secure
      ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: tls.ca, cert: tls.cert, key: tls.key })
      : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  let agent = newAgent();
  const headers = {
    ...config.otlpHeaders,
    'content-type': 'application/x-protobuf',
    'user-agent': userAgent,
  };

  return {
    send(body, timeoutMs) {
      return new Promise<SendOutcome>((resolve) => {
        let done = false;
        const finish = (outcome: SendOutcome): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve(outcome);
        };
        const req = send(url, { method: 'POST', agent, headers: { ...headers, 'content-length': body.byteLength } }, (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_REPLY_BYTES) chunks.push(chunk);
          });
          res.on('end', () => finish(outcomeOf(res, Buffer.concat(chunks))));
          res.on('error', (err) => finish({ kind: 'retry', reason: 'unavailable', message: err.message }));
        });
        const timer = setTimeout(() => {
          finish({ kind: 'retry', reason: 'timeout', message: `no reply within ${timeoutMs}ms` });
          req.destroy();
        }, timeoutMs);
        // Refused, reset, TLS handshake failures: the collector may be back (or fixed) later.
        req.on('error', (err: NodeJS.ErrnoException) => {
          const message = err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message;
          finish({ kind: 'retry', reason: 'unavailable', message });
        });
        req.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
      });
    },
    reset() {
      agent.destroy();
      agent = newAgent();
    },
    close() {
      agent.destroy();
    },
  };
}
