// An OTLP metrics receiver: gRPC (MetricsService/Export) and HTTP/protobuf (POST /v1/metrics) on the
// same handler. Used by the Proton bridge and, wrapped with recording and fault modes, by the tests.
// Requests are decoded before the handler runs: a malformed body is answered INVALID_ARGUMENT / 400
// and never reaches the handler. Senders are authorized before their body is read; bodies in memory
// across all requests stay within one in-flight budget (beyond it: RESOURCE_EXHAUSTED / 429).
import * as grpc from '@grpc/grpc-js';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../config/values.js';
import { listenOn } from '../util/listen.js';
import { GarbageNudge } from '../util/garbage-nudge.js';
import { setOwn } from '../util/own-property.js';
import { readBody } from './http-body.js';
import { InFlightBudget } from './in-flight.js';
import type { PlainRequest } from './plain.js';
import {
  decodeMetricsRequest,
  encodeMetricsResponse,
  encodeRpcStatus,
  METRICS_EXPORT_PATH,
  OtlpDecodeError,
  type PartialSuccess,
} from './proto.js';

/** gRPC status codes used by OTLP, with the HTTP status the OTLP/HTTP spec pairs with each. */
export const OTLP_ERRORS = {
  INVALID_ARGUMENT: { grpc: grpc.status.INVALID_ARGUMENT, http: 400 },
  UNAUTHENTICATED: { grpc: grpc.status.UNAUTHENTICATED, http: 401 },
  PERMISSION_DENIED: { grpc: grpc.status.PERMISSION_DENIED, http: 403 },
  RESOURCE_EXHAUSTED: { grpc: grpc.status.RESOURCE_EXHAUSTED, http: 429 },
  INTERNAL: { grpc: grpc.status.INTERNAL, http: 500 },
  UNAVAILABLE: { grpc: grpc.status.UNAVAILABLE, http: 503 },
} as const;
export type OtlpErrorName = keyof typeof OTLP_ERRORS;

export type OtlpReply =
  | { readonly kind: 'ok'; readonly partialSuccess?: PartialSuccess }
  | {
      readonly kind: 'error';
      readonly grpcCode: number;
      readonly httpStatus: number;
      readonly message: string;
      /** Sent as Retry-After on HTTP (throttling hint for 429/503). */
      readonly retryAfterSeconds?: number;
    }
  /** Accept the request and never answer (tests: a collector that hangs). */
  | { readonly kind: 'hang' };

export function otlpError(name: OtlpErrorName, message: string, retryAfterSeconds?: number): OtlpReply {
  const e = OTLP_ERRORS[name];
  return { kind: 'error', grpcCode: e.grpc, httpStatus: e.http, message, retryAfterSeconds };
}

export interface OtlpExport {
  readonly transport: 'grpc' | 'http';
  readonly request: PlainRequest;
  /** Size of the (decompressed) protobuf body. */
  readonly bytes: number;
  /** Request headers / gRPC metadata, lower-case keys. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface OtlpTlsOptions {
  readonly key: Buffer;
  readonly cert: Buffer;
  /** CA that signs client certificates (needed when requireClientCert). */
  readonly ca?: Buffer;
  readonly requireClientCert?: boolean;
}

export interface OtlpServerOptions {
  /** gRPC listen address; omit to serve HTTP only. */
  readonly grpc?: ListenAddress;
  /** HTTP listen address; omit to serve gRPC only. */
  readonly http?: ListenAddress;
  readonly tls?: OtlpTlsOptions;
  /** Largest accepted request body (after decompression); default 32 MiB. */
  readonly maxBodyBytes?: number;
  /** Most request-body bytes held at once across all requests; default twice maxBodyBytes. */
  readonly maxInFlightBytes?: number;
  /** Checks request headers before decoding; return an error reply to refuse. */
  readonly authorize?: (headers: Readonly<Record<string, string>>) => OtlpReply | undefined;
  readonly handle: (exp: OtlpExport) => OtlpReply | Promise<OtlpReply>;
}

export interface OtlpServer {
  /** Actual ports (useful with port 0); undefined for a transport not served. */
  readonly grpcPort: number | undefined;
  readonly httpPort: number | undefined;
  /** Request-body bytes held now, the most ever held at once, the bound, and requests refused for it. */
  inFlight(): { bytes: number; peak: number; limit: number; refused: number };
  /** Binds the listeners (again, on the same ports after stop()). */
  start(): Promise<void>;
  /** Closes the listeners and drops open connections and pending calls. */
  stop(): Promise<void>;
}

const DEFAULT_MAX_BODY = 32 * 1024 * 1024;
/** How long a connection whose body was left unread stays open after the answer. */
const LINGER_MS = 5000;
/** Seconds a sender refused for want of in-flight budget is asked to wait. */
const BUSY_RETRY_AFTER_S = 1;

function metadataHeaders(md: grpc.Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(md.getMap())) setOwn(out, key, typeof value === 'string' ? value : value.toString('base64'));
  return out;
}

function httpHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) setOwn(out, key, Array.isArray(value) ? value.join(', ') : value);
  }
  return out;
}

export function createOtlpServer(options: OtlpServerOptions): OtlpServer {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const budget = new InFlightBudget(options.maxInFlightBytes ?? 2 * maxBody);
  // Bodies answered are garbage: have them collected soon after a few megabytes went by.
  const nudge = new GarbageNudge(8 * 1024 * 1024);
  const busy = () => otlpError('RESOURCE_EXHAUSTED', `too many request bytes in flight (over ${budget.limit}); retry later`, BUSY_RETRY_AFTER_S);
  let grpcPort = options.grpc?.port;
  let httpPort = options.http?.port;
  let grpcServer: grpc.Server | undefined;
  let httpServer: HttpServer | undefined;

  /** Decodes and handles an authorized request. */
  async function dispatch(exp: Omit<OtlpExport, 'request'>, body: Uint8Array): Promise<OtlpReply> {
    let request: PlainRequest;
    try {
      request = decodeMetricsRequest(body);
    } catch (err) {
      if (err instanceof OtlpDecodeError) return otlpError('INVALID_ARGUMENT', err.message);
      throw err;
    }
    try {
      return await options.handle({ ...exp, request });
    } catch (err) {
      return otlpError('INTERNAL', `export failed: ${(err as Error).message}`);
    }
  }

  async function startGrpc(address: ListenAddress): Promise<void> {
    const server = new grpc.Server({
      'grpc.max_receive_message_length': maxBody,
    });
    const identity = (b: Buffer): Buffer => b;
    server.addService(
      {
        Export: {
          path: METRICS_EXPORT_PATH,
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          const headers = metadataHeaders(call.metadata);
          // grpc-js has read the message already (bounded by max_receive_message_length); the budget
          // bounds how many are decoded and handled at once.
          const hold = budget.hold();
          const admit = (): OtlpReply | undefined => {
            const refused = options.authorize?.(headers);
            if (refused || hold.take(call.request.length)) return refused;
            hold.refuse();
            return busy();
          };
          const refused = admit();
          const answer = refused ? Promise.resolve(refused) : dispatch({ transport: 'grpc', bytes: call.request.length, headers }, call.request);
          answer.finally(() => nudge.let(hold.release())).then(
            (reply) => {
              if (reply.kind === 'hang') return;
              if (reply.kind === 'ok') callback(null, Buffer.from(encodeMetricsResponse({ partialSuccess: reply.partialSuccess })));
              else callback({ code: reply.grpcCode, details: reply.message });
            },
            (err: Error) => callback({ code: grpc.status.INTERNAL, details: err.message }),
          );
        },
      },
    );
    const tls = options.tls;
    const creds = tls
      ? grpc.ServerCredentials.createSsl(tls.ca ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], tls.requireClientCert ?? false)
      : grpc.ServerCredentials.createInsecure();
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    grpcPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${grpcPort ?? address.port}`, creds, (err, port) => (err ? reject(err) : resolve(port))),
    );
    grpcServer = server;
  }

  function sendHttp(res: ServerResponse, reply: OtlpReply): void {
    if (reply.kind === 'hang') return;
    if (reply.kind === 'ok') {
      const body = encodeMetricsResponse({ partialSuccess: reply.partialSuccess });
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': body.length });
      res.end(body);
      return;
    }
    const body = encodeRpcStatus(reply.grpcCode, reply.message);
    const headers: Record<string, string | number> = { 'content-type': 'application/x-protobuf', 'content-length': body.length };
    if (reply.retryAfterSeconds !== undefined) headers['retry-after'] = Math.max(0, Math.ceil(reply.retryAfterSeconds));
    res.writeHead(reply.httpStatus, headers);
    res.end(body);
  }

  function plainError(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...extra });
    res.end(`${message}\n`);
  }

  /**
   * Answers a request whose body was not (fully) read, then stops reading and closes: the answer goes out
   * with `Connection: close` and a FIN after it, and what the sender still writes stays unread. The socket
   * is destroyed only LINGER_MS later: destroying it at once (Node's destroySoon) would make the kernel
   * reset the connection over the unread bytes, and a sender still writing would lose the answer.
   */
  function answerUnread(req: IncomingMessage, res: ServerResponse, answer: () => void): void {
    const socket = req.socket;
    // Node ends instead of destroying a closing connection whose socket has no destroySoon.
    Object.defineProperty(socket, 'destroySoon', { value: undefined, configurable: true });
    res.once('finish', () => {
      socket.pause();
      const cutOff = setTimeout(() => socket.destroy(), LINGER_MS);
      cutOff.unref();
      socket.once('close', () => clearTimeout(cutOff));
    });
    res.setHeader('connection', 'close');
    answer();
  }

  async function onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1/metrics') return plainError(res, 404, `not found: ${path} (OTLP metrics are posted to /v1/metrics)`);
    if (req.method !== 'POST') return plainError(res, 405, 'method not allowed: use POST', { allow: 'POST' });
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/x-protobuf') {
      return plainError(res, 415, `unsupported content-type ${JSON.stringify(type)}: expected application/x-protobuf`);
    }
    const headers = httpHeaders(req);
    const refused = options.authorize?.(headers);
    if (refused) return answerUnread(req, res, () => sendHttp(res, refused));
    const hold = budget.hold();
    try {
      const read = await readBody(req, maxBody, hold);
      switch (read.kind) {
        case 'too-large':
          return answerUnread(req, res, () => plainError(res, 413, `request body larger than ${maxBody} bytes`));
        case 'busy':
          hold.refuse();
          return answerUnread(req, res, () => sendHttp(res, busy()));
        case 'bad-encoding':
          return answerUnread(req, res, () => sendHttp(res, otlpError('INVALID_ARGUMENT', read.message)));
      }
      sendHttp(res, await dispatch({ transport: 'http', bytes: read.body.length, headers }, read.body));
    } finally {
      nudge.let(hold.release());
    }
  }

  async function startHttp(address: ListenAddress): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      onHttp(req, res).catch((err: Error) => {
        if (!res.headersSent) plainError(res, 500, err.message);
        else res.destroy();
      });
    };
    const tls = options.tls;
    const server = tls
      ? createHttpsServer(
          { key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: tls.requireClientCert ?? false, rejectUnauthorized: tls.requireClientCert ?? false },
          handler,
        )
      : createHttpServer(handler);
    // A restart (tests: collector down, then up) binds the port it had before.
    await listenOn(server, { host: address.host, port: httpPort ?? address.port }, 'OTLP/HTTP', 'http-listen');
    httpPort = (server.address() as AddressInfo).port;
    httpServer = server;
  }

  return {
    get grpcPort() {
      return options.grpc ? grpcPort : undefined;
    },
    get httpPort() {
      return options.http ? httpPort : undefined;
    },
    inFlight: () => ({ bytes: budget.bytes, peak: budget.peak, limit: budget.limit, refused: budget.refused }),
    async start() {
      if (options.grpc && !grpcServer) await startGrpc(options.grpc);
      if (options.http && !httpServer) await startHttp(options.http);
    },
    async stop() {
      const g = grpcServer;
      grpcServer = undefined;
      g?.forceShutdown();
      const h = httpServer;
      httpServer = undefined;
      if (h) {
        const closed = new Promise<void>((resolve) => h.close(() => resolve()));
        h.closeAllConnections();
        await closed;
      }
    },
  };
}
