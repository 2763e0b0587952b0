// The local HTTP API's router, shared by every module that serves endpoints.
//
// Adding routes (builds, scheduler, ...):
//   api.route('POST', '/api/scheduler/lease/request', async (req) => {
//     const body = validate(LeaseRequestSchema, req.body);   // zod; a failure is 400 {"error","field"}
//     if (full) throw new ApiError(429, 'no capacity', 'cost', 5);  // Retry-After: 5
//     return { status: 201, body: { ... } };
//   });
// - Patterns are literal segments and `:name` parameters (req.params.name, percent-decoded).
// - Write methods (anything but GET/HEAD) require `Authorization: Bearer <token>` unless
//   registered with { auth: false }; GET routes can ask for it with { auth: true }. 401 otherwise.
// - A request body must be JSON (Content-Type application/json, else 415), at most 64 KiB (413),
//   and parse (400, field "body"); req.body is undefined when the request has no body.
// - Handlers throw ApiError for 4xx answers; a thrown zod error becomes 400 naming the field. Any
//   store that cannot write (full disk: 507, I/O error: 503, with Retry-After) is logged once, and its
//   recovery once. Any other exception is a bug: it is logged and answered 500 with no detail.
// - Every answer, including errors, is JSON; errors are {"error": "<message>", "field": "<name>"}.
//   Only raw routes (router.raw: the web page's files and event stream) write other answers themselves.
// - requestStats() reports the recent error rates and latency p95 (scheduler quiet assessment).
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { bearerAuthorizer } from './auth.js';
import { STORE_RETRY_AFTER_S, StoreWriteCondition } from '../store/write-condition.js';
import { RequestStats } from './request-stats.js';

export const MAX_BODY_BYTES = 64 * 1024;

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined when the request had none. */
  readonly body: unknown;
  /** Wall-clock time the request arrived, ms since the epoch. */
  readonly receivedMs: number;
}

export interface ApiResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (req: ApiRequest) => ApiResponse | Promise<ApiResponse>;

/**
 * Writes the answer itself (static files, an event stream): for GET routes whose answer is not JSON.
 * The request body is not read; ApiRequest.body is undefined.
 */
export type RawHandler = (req: ApiRequest, res: ServerResponse) => void;

export interface RouteOptions {
  /** Require the bearer token (default: true for every method but GET and HEAD). */
  readonly auth?: boolean;
  /**
   * The handler may hold the request open on purpose (a long poll): its answers are left out of
   * requestStats(), whose latency p95 must measure how fast the agent answers, not how long callers wait.
   */
  readonly longPoll?: boolean;
}

/** An answer in the 4xx range (or 503): a message, the field at fault, optionally Retry-After. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function fieldOf(path: readonly PropertyKey[], prefix: string): string {
  const parts = path.map(String);
  if (prefix) parts.unshift(prefix);
  return parts.length ? parts.join('.') : 'body';
}

/** Parses `value` with a zod schema; failures become ApiError 400 naming the first bad field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, fieldPrefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = fieldOf(issue.path, fieldPrefix);
  throw new ApiError(400, `invalid ${field}: ${issue.message}`, field);
}

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: Handler | undefined;
  readonly raw: RawHandler | undefined;
  readonly auth: boolean;
  readonly longPoll: boolean;
}

export interface RouterOptions {
  /** The bearer token write routes require. */
  readonly token: string;
  readonly log: Logger;
  readonly now?: () => number;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

export class Router {
  private readonly routes: Route[] = [];
  private readonly stats = new RequestStats();
  private readonly unmeasured = new WeakSet<ServerResponse>();
  private readonly now: () => number;
  private readonly authorized: (header: string | undefined) => boolean;
  private readonly storeWrites: StoreWriteCondition;

  constructor(private readonly options: RouterOptions) {
    this.now = options.now ?? Date.now;
    this.authorized = bearerAuthorizer(options.token);
    this.storeWrites = new StoreWriteCondition(options.log, 'store', 'API writes are refused (507) until it can; collection and export go on', this.now);
  }

  route(method: string, pattern: string, handler: Handler, options: RouteOptions = {}): void {
    this.add(method, pattern, { handler, raw: undefined }, options);
  }

  /** A route whose handler writes the response itself (see RawHandler). */
  raw(method: string, pattern: string, handler: RawHandler, options: RouteOptions = {}): void {
    this.add(method, pattern, { handler: undefined, raw: handler }, options);
  }

  private add(method: string, pattern: string, handlers: Pick<Route, 'handler' | 'raw'>, options: RouteOptions): void {
    const m = method.toUpperCase();
    const segments = pattern.split('/').filter((s) => s !== '');
    if (this.routes.some((r) => r.method === m && r.segments.join('/') === segments.join('/'))) {
      throw new Error(`route ${m} ${pattern} is already registered`);
    }
    this.routes.push({
      method: m,
      segments,
      ...handlers,
      auth: options.auth ?? !(m === 'GET' || m === 'HEAD'),
      longPoll: options.longPoll ?? false,
    });
  }

  requestStats(windowMs = 60_000) {
    return this.stats.snapshot(this.now(), windowMs);
  }

  /** The node:http request listener. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    res.on('finish', () => {
      if (!this.unmeasured.has(res)) this.stats.record(this.now(), performance.now() - started, res.statusCode);
    });
    this.dispatch(req, res).catch((err) => this.fail(res, err));
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedMs = this.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://api.invalid');
    } catch {
      throw new ApiError(400, 'malformed request target', 'path');
    }
    const parts = url.pathname.split('/').filter((s) => s !== '');
    const method = (req.method ?? 'GET').toUpperCase();
    let pathMatched = false;
    let found: { route: Route; params: Record<string, string> } | undefined;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      pathMatched = true;
      if (route.method === method) {
        found = { route, params };
        break;
      }
    }
    if (!found) {
      req.resume();
      if (pathMatched) {
        const allow = this.routes.filter((r) => matchSegments(r.segments, parts)).map((r) => r.method);
        throw new ApiError(405, `method ${method} not allowed here (allowed: ${allow.join(', ')})`, 'method');
      }
      throw new ApiError(404, `no endpoint ${url.pathname}`, 'path');
    }
    if (found.route.auth && !this.authorized(req.headers.authorization)) {
      req.resume();
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new ApiError(401, 'missing or wrong bearer token', 'Authorization');
    }
    if (found.route.longPoll) this.unmeasured.add(res);
    const request = { method, path: url.pathname, params: found.params, query: url.searchParams, headers: req.headers, receivedMs };
    if (found.route.raw) {
      req.resume();
      found.route.raw({ ...request, body: undefined }, res);
      return;
    }
    const body = await readJsonBody(req, res);
    const answer = await found.route.handler!({ ...request, body });
    if (method !== 'GET' && method !== 'HEAD' && answer.status < 300) this.storeWrites.succeeded();
    send(res, answer.status, answer.body, answer.headers);
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof ApiError) {
      const headers: Record<string, string> = {};
      if (err.retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(err.retryAfterSeconds)));
      send(res, err.status, { error: err.message, ...(err.field ? { field: err.field } : {}) }, headers);
      return;
    }
    if (err instanceof z.ZodError) {
      const issue = err.issues[0];
      const field = fieldOf(issue?.path ?? [], '');
      send(res, 400, { error: `invalid ${field}: ${issue?.message ?? 'bad value'}`, field });
      return;
    }
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      send(res, 503, { error: 'store busy, retry' }, { 'Retry-After': '1' });
      return;
    }
    const failure = this.storeWrites.failed(err);
    if (failure) {
      const retry = { 'Retry-After': String(STORE_RETRY_AFTER_S) };
      if (failure === 'full') send(res, 507, { error: 'store full: no space left for the data directory; nothing was written, retry later', field: 'store' }, retry);
      else send(res, 503, { error: 'store cannot write (I/O error); nothing was written, retry later', field: 'store' }, retry);
      return;
    }
    this.options.log.error('API handler failed', { error: (err as Error).message });
    send(res, 500, { error: 'internal error' });
  }
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(parts[i]);
      } catch {
        throw new ApiError(400, `malformed percent-encoding in ${p.slice(1)}`, p.slice(1));
      }
    } else if (p !== parts[i]) {
      return undefined;
    }
  }
  return params;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Reads the body (bounded), checks its type and parses it; undefined when there is none. */
function readJsonBody(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const declared = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (declared === undefined || declared === '0')) {
    req.resume();
    return Promise.resolve(undefined);
  }
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) {
    refuseRest(req, res);
    return Promise.reject(new ApiError(413, `body larger than ${MAX_BODY_BYTES} bytes`, 'body'));
  }
  const type = req.headers['content-type'];
  if (!type || !JSON_TYPE.test(type)) {
    refuseRest(req, res);
    return Promise.reject(new ApiError(415, 'body must be JSON (Content-Type: application/json)', 'Content-Type'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        refuseRest(req, res);
        reject(new ApiError(413, `body larger than ${MAX_BODY_BYTES} bytes`, 'body'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(new ApiError(400, `cannot read body: ${err.message}`, 'body'));
      }
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new ApiError(400, 'body is not valid JSON', 'body'));
      }
    });
  });
}

/** Stops reading a request we will not serve: answer, then close the connection instead of draining it. */
function refuseRest(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  req.resume();
}
