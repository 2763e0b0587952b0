// A local stand-in for Timeplus Proton's documented HTTP contracts, for tests (Proton cannot be installed
// here): the ingest REST API (POST /proton/v1/ingest/streams/{stream} with {"columns": [...], "data":
// [[...]]}, answering {"request_id": ...} or an error {"code": N, "error_msg": ...}) and the SQL HTTP
// interface (POST / with a statement; CREATE DATABASE / CREATE STREAM ... IF NOT EXISTS are understood).
// It checks each value against the column type from the DDL and records the rows it accepts.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface FakeStream {
  readonly columns: { name: string; type: string }[];
  readonly rows: Record<string, unknown>[];
}

export interface FakeIngest {
  readonly database: string;
  readonly stream: string;
  readonly rows: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly status: number;
}

export type FakeProtonMode =
  | { readonly kind: 'ok' }
  | { readonly kind: 'hang' }
  /** Answer ingest requests with this status (the next `times` requests, or all when omitted). */
  | { readonly kind: 'status'; readonly status: number; readonly times?: number };

export interface FakeProtonOptions {
  readonly user?: string;
  readonly password?: string;
  /** Record rows (tests); the benchmark only counts them. */
  readonly keepRows?: boolean;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Splits "a, map(string, string), b" at top-level commas. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

/** Parses "CREATE STREAM [IF NOT EXISTS] name (col type, ...) ..." into name and columns. */
export function parseCreateStream(sql: string): { name: string; ifNotExists: boolean; columns: { name: string; type: string }[] } {
  const head = /^\s*CREATE\s+STREAM\s+(IF\s+NOT\s+EXISTS\s+)?([\w.]+)\s*\(/i.exec(sql);
  if (!head) throw new HttpError(400, 62, `Syntax error: cannot parse ${sql.slice(0, 40)}`);
  let depth = 1;
  let i = head[0].length;
  for (; i < sql.length && depth > 0; i++) {
    if (sql[i] === '(') depth++;
    if (sql[i] === ')') depth--;
  }
  const body = sql.slice(head[0].length, i - 1);
  const columns = splitTopLevel(body).map((def) => {
    const m = /^(\w+)\s+(.+)$/s.exec(def);
    if (!m) throw new HttpError(400, 62, `Syntax error: bad column definition ${def}`);
    return { name: m[1], type: m[2].trim().replace(/\s+/g, ' ') };
  });
  return { name: head[2], ifNotExists: Boolean(head[1]), columns };
}

/** Checks a JSON value against a Proton column type (the types the bridge's DDL uses). */
function checkValue(type: string, v: unknown): boolean {
  const inner = (prefix: string) => type.slice(prefix.length, -1).trim();
  if (type.startsWith('nullable(')) return v === null || checkValue(inner('nullable('), v);
  if (type.startsWith('low_cardinality(')) return checkValue(inner('low_cardinality('), v);
  if (type.startsWith('array(')) return Array.isArray(v) && v.every((x) => checkValue(inner('array('), x));
  if (type.startsWith('map(')) {
    const [k, val] = splitTopLevel(inner('map('));
    return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.entries(v).every(([kk, vv]) => checkValue(k, kk) && checkValue(val, vv));
  }
  if (type.startsWith('datetime64')) return typeof v === 'string' && !Number.isNaN(Date.parse(v));
  if (type === 'string') return typeof v === 'string';
  if (type === 'bool') return typeof v === 'boolean';
  if (/^u?int\d+$/.test(type)) return typeof v === 'number' && Number.isInteger(v) && (type.startsWith('u') ? v >= 0 : true);
  if (/^float\d+$/.test(type)) return typeof v === 'number';
  throw new Error(`fake Proton does not know column type ${type}`);
}

export class FakeProton {
  readonly databases = new Map<string, Map<string, FakeStream>>([['default', new Map()]]);
  readonly queries: { sql: string; database: string; status: number }[] = [];
  readonly ingests: FakeIngest[] = [];
  private mode: FakeProtonMode = { kind: 'ok' };
  private server: Server | undefined;
  private port_ = 0;
  private rowCount = 0;

  constructor(private readonly options: FakeProtonOptions = {}) {}

  get port(): number {
    return this.port_;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port_}`;
  }

  /** Rows accepted in total (also when keepRows is off). */
  get acceptedRows(): number {
    return this.rowCount;
  }

  setMode(mode: FakeProtonMode): void {
    this.mode = mode;
  }

  stream(name: string, database = 'default'): FakeStream | undefined {
    return this.databases.get(database)?.get(name);
  }

  rows(name: string, database = 'default'): Record<string, unknown>[] {
    return this.stream(name, database)?.rows ?? [];
  }

  /** Listens on 127.0.0.1 (port 0 the first time; the same port after stop()). */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => {
        if (!res.headersSent) this.send(res, 500, { code: 1001, error_msg: err.message });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port_, '127.0.0.1', () => resolve());
    });
    this.port_ = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Closes the listener and every connection ("Proton down"). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeAllConnections();
    await closed;
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
    res.end(text);
  }

  private async body(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    return (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
  }

  private authenticate(req: IncomingMessage): void {
    if (this.options.user === undefined) return;
    if (req.headers['x-proton-user'] !== this.options.user || (req.headers['x-proton-key'] ?? '') !== (this.options.password ?? '')) {
      throw new HttpError(401, 516, 'default: Authentication failed: password is incorrect or there is no user with such name');
    }
  }

  private database(req: IncomingMessage, name?: string): Map<string, FakeStream> {
    const db = name ?? String(req.headers['x-proton-database'] ?? 'default');
    const found = this.databases.get(db || 'default');
    if (!found) throw new HttpError(404, 81, `Database ${db} doesn't exist`);
    return found;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (req.method !== 'POST') throw new HttpError(405, 0, 'use POST');
      this.authenticate(req);
      const ingest = /^\/proton\/v1\/ingest\/streams\/([\w.%-]+)$/.exec(path);
      if (ingest) return await this.ingest(req, res, decodeURIComponent(ingest[1]));
      if (path === '/') return await this.query(req, res);
      throw new HttpError(404, 0, `no handler for ${path}`);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      this.send(res, err.status, { code: err.code, error_msg: err.message, request_id: randomUUID() });
    }
  }

  private async query(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const sql = (await this.body(req)).trim();
    const database = String(req.headers['x-proton-database'] ?? 'default');
    const record = (status: number) => this.queries.push({ sql, database, status });
    try {
      const createDb = /^CREATE\s+DATABASE\s+(IF\s+NOT\s+EXISTS\s+)?(\w+)$/i.exec(sql);
      if (createDb) {
        if (this.databases.has(createDb[2]) && !createDb[1]) throw new HttpError(400, 82, `Database ${createDb[2]} already exists`);
        if (!this.databases.has(createDb[2])) this.databases.set(createDb[2], new Map());
      } else {
        const def = parseCreateStream(sql);
        const [dbName, streamName] = def.name.includes('.') ? def.name.split('.') : [undefined, def.name];
        const db = this.database(req, dbName);
        if (db.has(streamName) && !def.ifNotExists) throw new HttpError(400, 57, `Stream ${streamName} already exists`);
        if (!db.has(streamName)) db.set(streamName, { columns: def.columns, rows: [] });
      }
    } catch (err) {
      if (err instanceof HttpError) record(err.status);
      throw err;
    }
    record(200);
    this.send(res, 200, '');
  }

  private async ingest(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const mode = this.mode;
    if (mode.kind === 'hang') return;
    const db = this.database(req);
    const database = String(req.headers['x-proton-database'] ?? 'default');
    const text = await this.body(req);
    const log = (rows: number, status: number) =>
      this.ingests.push({ database, stream: name, rows, headers: { ...req.headers }, status });
    if (mode.kind === 'status') {
      if (mode.times !== undefined) this.mode = mode.times > 1 ? { ...mode, times: mode.times - 1 } : { kind: 'ok' };
      log(0, mode.status);
      throw new HttpError(mode.status, 1002, `injected failure ${mode.status}`);
    }
    const stream = db.get(name);
    if (!stream) {
      log(0, 404);
      throw new HttpError(404, 60, `Stream ${database}.${name} doesn't exist`);
    }
    let payload: { columns?: unknown; data?: unknown };
    try {
      payload = JSON.parse(text) as typeof payload;
    } catch (err) {
      log(0, 400);
      throw new HttpError(400, 117, `Invalid JSON: ${(err as Error).message}`);
    }
    const columns = payload.columns;
    if (!Array.isArray(columns) || columns.length === 0 || !columns.every((c) => typeof c === 'string')) {
      throw new HttpError(400, 117, "Invalid Request, 'columns' field is missing");
    }
    if (!Array.isArray(payload.data)) throw new HttpError(400, 117, "Invalid Request, missing 'data' field");
    const types = columns.map((c) => {
      const col = stream.columns.find((s) => s.name === c);
      if (!col) throw new HttpError(400, 16, `No such column ${c} in stream ${database}.${name}`);
      return col.type;
    });
    const accepted: Record<string, unknown>[] = [];
    for (const [i, row] of (payload.data as unknown[]).entries()) {
      if (!Array.isArray(row) || row.length !== columns.length) {
        log(0, 400);
        throw new HttpError(400, 117, `row ${i}: expected ${columns.length} values`);
      }
      const obj: Record<string, unknown> = {};
      row.forEach((v, j) => {
        if (!checkValue(types[j], v)) {
          log(0, 400);
          throw new HttpError(400, 27, `row ${i}: cannot parse ${JSON.stringify(v)} as ${types[j]} for column ${columns[j]}`);
        }
        obj[columns[j] as string] = v;
      });
      accepted.push(obj);
    }
    if (this.options.keepRows !== false) stream.rows.push(...accepted);
    this.rowCount += accepted.length;
    log(accepted.length, 200);
    this.send(res, 200, { request_id: randomUUID() });
  }
}

export async function startFakeProton(options: FakeProtonOptions = {}): Promise<FakeProton> {
  return new FakeProton(options).start();
}
