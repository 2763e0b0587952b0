// A small client for the running agent's API (wrap, status, stats): JSON in and out, bounded
// waits, and errors that say whether the agent is absent or refused the request. It uses node:http, not
// fetch: fetch loads undici on first use, 0.1 s and 30 MB of a one-shot command's start.
import type { IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';

export class AgentUnreachableError extends Error {
  constructor(url: string, cause: string) {
    super(`no agent answers at ${url} (${cause})`);
    this.name = 'AgentUnreachableError';
  }
}

export class AgentRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AgentRequestError';
  }
}

export interface ApiClientOptions {
  readonly baseUrl: string;
  readonly token?: string;
  readonly timeoutMs?: number;
}

export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const url = this.options.baseUrl.replace(/\/$/, '') + path;
    const h: Record<string, string> = { Accept: 'application/json', ...headers };
    if (this.options.token) h.Authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) h['Content-Type'] = 'application/json';
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? 5_000);
    let res: IncomingMessage;
    try {
      res = await send(new URL(url), { method, headers: h, signal }, body === undefined ? undefined : JSON.stringify(body));
    } catch (err) {
      // As fetch said it: the system error's code (ECONNREFUSED), or the timeout's message.
      const cause = signal.aborted ? (signal.reason as Error).message : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      throw new AgentUnreachableError(this.options.baseUrl, cause);
    }
    const status = res.statusCode ?? 0;
    const text = await readText(res);
    const ok = status >= 200 && status < 300;
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new AgentRequestError(status, `${method} ${path}: answer is not JSON (HTTP ${status})`);
    }
    if (!ok) {
      const e = (parsed ?? {}) as { error?: string; field?: string };
      throw new AgentRequestError(status, `${method} ${path}: HTTP ${status} ${e.error ?? ''}`.trim(), e.field);
    }
    return parsed as T;
  }
}

/** One request; resolves with the response once its headers arrived. */
async function send(url: URL, options: RequestOptions & { headers: OutgoingHttpHeaders }, body: string | undefined): Promise<IncomingMessage> {
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  if (body !== undefined) options.headers['Content-Length'] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = request(url, options, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
