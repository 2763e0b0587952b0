// A small client for the running agent's API (wrap, status, stats): JSON in and out, bounded
// waits, and errors that say whether the agent is absent or refused the request.
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
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
      });
    } catch (err) {
      const c = (err as { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message ?? (err as Error).message;
      throw new AgentUnreachableError(this.options.baseUrl, cause);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new AgentRequestError(res.status, `${method} ${path}: answer is not JSON (HTTP ${res.status})`);
    }
    if (!res.ok) {
      const e = (parsed ?? {}) as { error?: string; field?: string };
      throw new AgentRequestError(res.status, `${method} ${path}: HTTP ${res.status} ${e.error ?? ''}`.trim(), e.field);
    }
    return parsed as T;
  }
}
