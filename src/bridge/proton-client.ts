// HTTP client for Timeplus Proton's documented interfaces:
// - ingest: POST {url}/proton/v1/ingest/streams/{stream} with {"columns": [...], "data": [[...], ...]}
//   (https://docs.timeplus.com/proton-ingest-api, port 3218);
// - SQL (DDL): POST {queryUrl}/ with the statement as the body, the ClickHouse-style HTTP interface that
//   Proton serves on 3218 (streaming) and 8123 (batch) (https://docs.timeplus.com/proton-ports).
// Credentials and the database travel in the x-proton-user / x-proton-key / x-proton-database headers,
// as Proton's REST handlers and its JDBC driver use them.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { StreamName } from './streams.js';

export interface ProtonClientOptions {
  /** Base URL of the ingest REST API, e.g. http://proton:3218. */
  readonly url: URL;
  /** Base URL of the SQL HTTP interface (default: url). */
  readonly queryUrl?: URL;
  readonly database: string;
  readonly user?: string;
  readonly password?: string;
  /** PEM CA for https Proton endpoints. */
  readonly ca?: Buffer;
  readonly timeoutMs?: number;
}

/** A refused or failed Proton call. `status` is 0 when no HTTP answer came (connection refused, timeout). */
export class ProtonError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** What went wrong, without the URL: the same failure on every stream has the same reason. */
    readonly reason = message,
  ) {
    super(message);
    this.name = 'ProtonError';
  }

  /** Worth retrying: Proton unreachable, overloaded, or the stream not there yet. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 404 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export interface ProtonClient {
  /** Inserts rows (JSON arrays joined by commas) into a stream. */
  ingest(stream: StreamName, columns: readonly string[], rowsText: readonly string[]): Promise<void>;
  /** Runs one SQL statement through the HTTP query interface (in `database`, default the configured one). */
  query(sql: string, database?: string): Promise<string>;
  close(): void;
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error_msg?: unknown; error?: unknown; message?: unknown };
    const msg = parsed.error_msg ?? parsed.error ?? parsed.message;
    if (typeof msg === 'string') return msg;
  } catch {
    // not JSON: use the text
  }
  return body.trim().split('\n')[0].slice(0, 300);
}

export function createProtonClient(options: ProtonClientOptions): ProtonClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 4 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 4, ca: options.ca }),
  };
  const headers: Record<string, string> = {};
  if (options.user) headers['x-proton-user'] = options.user;
  if (options.password) headers['x-proton-key'] = options.password;

  function post(url: URL, body: string | string[], contentType: string, database = options.database): Promise<string> {
    const chunks = typeof body === 'string' ? [body] : body;
    let length = 0;
    for (const c of chunks) length += Buffer.byteLength(c);
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          agent: secure ? agents.https : agents.http,
          headers: { ...headers, 'x-proton-database': database, 'content-type': contentType, 'content-length': length },
          timeout: timeoutMs,
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('error', (err) => reject(new ProtonError(`Proton response from ${url.host} failed: ${err.message}`, 0)));
          res.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(text);
            else {
              const reason = `${status}: ${errorText(text)}`;
              reject(new ProtonError(`Proton answered ${status} for ${url.pathname}: ${errorText(text)}`, status, reason));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => {
        const reason = `cannot reach Proton at ${url.host}: ${err.message}`;
        reject(new ProtonError(reason, 0));
      });
      for (const c of chunks) req.write(c);
      req.end();
    });
  }

  return {
    async ingest(stream, columns, rowsText) {
      const url = new URL(`proton/v1/ingest/streams/${encodeURIComponent(stream)}`, withSlash(options.url));
      const body = [`{"columns":${JSON.stringify(columns)},"data":[`];
      rowsText.forEach((t, i) => body.push(i === 0 ? t : `,${t}`));
      body.push(']}');
      await post(url, body, 'application/json');
    },
    query(sql, database) {
      return post(withSlash(options.queryUrl ?? options.url), sql, 'text/plain; charset=utf-8', database);
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function withSlash(url: URL): URL {
  return url.pathname.endsWith('/') ? url : new URL(`${url.href}/`);
}
