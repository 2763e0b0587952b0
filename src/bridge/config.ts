// `otel-sysmon bridge` options. The bridge is its own process with its own flags (and environment
// variables), parsed with the shared value parsers; a bad value is a one-line ConfigError (exit 2).
// Logging, the data directory and the spool limits come from the shared option table.
import { readFileSync, statSync } from 'node:fs';
import type { Options } from 'yargs';
import { ConfigError } from '../config/load.js';
import {
  type ListenAddress,
  durationWithin,
  parseBoolean,
  parseDuration,
  parseInteger,
  parseListen,
  parseUrl,
  ValueError,
} from '../config/values.js';

export interface BridgeConfig {
  readonly grpc: ListenAddress;
  readonly http: ListenAddress | undefined;
  readonly protonUrl: URL;
  readonly protonQueryUrl: URL;
  readonly database: string;
  readonly protonUser: string;
  readonly protonPassword: string | undefined;
  readonly protonCa: Buffer | undefined;
  readonly createStreams: boolean;
  readonly batchRows: number;
  readonly batchDelayMs: number;
  readonly token: string | undefined;
  readonly tls: { key: Buffer; cert: Buffer; ca?: Buffer; requireClientCert: boolean } | undefined;
}

interface BridgeOption {
  readonly flag: string;
  readonly describe: string;
  readonly env?: string;
  readonly type: 'string' | 'boolean';
  readonly default?: string;
}

/** The bridge's own flags (besides --log-*, --data-dir and --spool-*). */
export const BRIDGE_OPTIONS: readonly BridgeOption[] = [
  { flag: 'listen', describe: 'OTLP/gRPC listen address', env: 'SYSMON_BRIDGE_LISTEN', type: 'string', default: '127.0.0.1:4317' },
  {
    flag: 'http-listen',
    describe: 'OTLP/HTTP (protobuf, POST /v1/metrics) listen address, or "off"',
    env: 'SYSMON_BRIDGE_HTTP_LISTEN',
    type: 'string',
    default: '127.0.0.1:4318',
  },
  { flag: 'proton-url', describe: 'Proton ingest REST API base URL', env: 'PROTON_URL', type: 'string', default: 'http://127.0.0.1:3218' },
  {
    flag: 'proton-query-url',
    describe: 'Proton HTTP query interface for the DDL (default: --proton-url; 8123 is the batch port)',
    env: 'PROTON_QUERY_URL',
    type: 'string',
  },
  { flag: 'database', describe: 'Proton database of the streams', env: 'PROTON_DATABASE', type: 'string', default: 'default' },
  { flag: 'proton-user', describe: 'Proton user', env: 'PROTON_USER', type: 'string', default: 'default' },
  {
    flag: 'proton-password-file',
    describe: 'File holding the Proton password (PROTON_PASSWORD also works; never a flag value)',
    env: 'PROTON_PASSWORD_FILE',
    type: 'string',
  },
  { flag: 'proton-ca', describe: 'PEM CA for an https Proton URL', env: 'PROTON_CA', type: 'string' },
  { flag: 'create-streams', describe: 'Create the streams (idempotent DDL) on start', env: 'SYSMON_BRIDGE_CREATE_STREAMS', type: 'boolean' },
  { flag: 'batch-rows', describe: 'Rows per Proton insert at most', env: 'SYSMON_BRIDGE_BATCH_ROWS', type: 'string', default: '5000' },
  {
    flag: 'batch-delay',
    describe: 'Longest wait of spooled rows for a batch to fill (live exports are grouped while inserts are in flight)',
    env: 'SYSMON_BRIDGE_BATCH_DELAY',
    type: 'string',
    default: '500ms',
  },
  {
    flag: 'token-file',
    describe: 'File holding the bearer token senders must present (SYSMON_BRIDGE_TOKEN also works)',
    env: 'SYSMON_BRIDGE_TOKEN_FILE',
    type: 'string',
  },
  { flag: 'tls-cert', describe: 'PEM server certificate (TLS for both listeners)', env: 'SYSMON_BRIDGE_TLS_CERT', type: 'string' },
  { flag: 'tls-key', describe: 'PEM server private key', env: 'SYSMON_BRIDGE_TLS_KEY', type: 'string' },
  {
    flag: 'tls-client-ca',
    describe: 'PEM CA of client certificates: requires one from every sender (mTLS)',
    env: 'SYSMON_BRIDGE_TLS_CLIENT_CA',
    type: 'string',
  },
];

/** yargs definitions of the bridge flags (defaults shown in help, applied in resolveBridgeConfig). */
export function bridgeYargsOptions(): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const o of BRIDGE_OPTIONS) {
    const extra = [o.default !== undefined ? `default: ${o.default}` : '', o.env ? `env: ${o.env}` : ''].filter(Boolean).join('; ');
    out[o.flag] = {
      describe: extra ? `${o.describe} [${extra}]` : o.describe,
      type: o.type,
      requiresArg: o.type === 'string',
      group: 'Bridge:',
    };
  }
  return out;
}

const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

export function resolveBridgeConfig(
  argv: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): BridgeConfig {
  const raw = (flag: string): { value: string; origin: string } | undefined => {
    const v = argv[camel(flag)] ?? argv[flag];
    if (v !== undefined && v !== null) {
      return { value: String(v), origin: `from --${flag}` };
    }
    const spec = BRIDGE_OPTIONS.find((o) => o.flag === flag);
    const e = spec?.env ? env[spec.env] : undefined;
    if (e !== undefined && e !== '') return { value: e, origin: `from ${spec!.env}` };
    if (spec?.default !== undefined) return { value: spec.default, origin: 'default' };
    return undefined;
  };
  const parse = <T>(flag: string, parser: (s: string) => T, secret = false): T | undefined => {
    const r = raw(flag);
    if (!r) return undefined;
    try {
      return parser(r.value);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      const shown = secret ? '"[redacted]"' : JSON.stringify(r.value);
      throw new ConfigError(`invalid ${flag}=${shown} (${r.origin}): expected ${err.expected}`);
    }
  };
  const readSecretFile = (flag: string): string | undefined => {
    const r = raw(flag);
    if (!r) return undefined;
    let text: string;
    try {
      const st = statSync(r.value);
      if (st.mode & 0o004) throw new ConfigError(`${flag} ${r.value} is readable by everyone: run chmod o-r ${r.value}`);
      text = readFileSync(r.value, 'utf8').trim();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(`invalid ${flag}=${JSON.stringify(r.value)} (${r.origin}): cannot read it (${(err as NodeJS.ErrnoException).code})`);
    }
    if (text === '') throw new ConfigError(`invalid ${flag}=${JSON.stringify(r.value)} (${r.origin}): the file is empty`);
    return text;
  };
  const readPem = (flag: string): Buffer | undefined => {
    const r = raw(flag);
    if (!r) return undefined;
    try {
      const pem = readFileSync(r.value);
      if (!pem.toString('latin1').includes('-----BEGIN ')) throw new Error('not PEM');
      return pem;
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new ConfigError(`invalid ${flag}=${JSON.stringify(r.value)} (${r.origin}): expected a readable PEM file (${why})`);
    }
  };

  const grpc = parse('listen', parseListen)!;
  const http = parse('http-listen', (s) => (s.trim().toLowerCase() === 'off' ? undefined : parseListen(s)));
  const protonUrl = parse('proton-url', (s) => noCredentials(parseUrl(s)))!;
  const protonQueryUrl = parse('proton-query-url', (s) => noCredentials(parseUrl(s))) ?? protonUrl;
  const database = parse('database', (s) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(s.trim())) throw new ValueError('a database name of letters, digits and _');
    return s.trim();
  })!;
  const protonUser = parse('proton-user', (s) => {
    if (s.trim() === '' || /[\r\n]/.test(s)) throw new ValueError('a user name');
    return s.trim();
  })!;
  const protonPassword = readSecretFile('proton-password-file') ?? (env.PROTON_PASSWORD || undefined);
  const protonCa = readPem('proton-ca');
  const createStreams = parse('create-streams', parseBoolean) ?? false;
  const batchRows = parse('batch-rows', (s) => parseInteger(s, 1, 1_000_000))!;
  const batchDelayMs = parse('batch-delay', (s) => durationWithin(parseDuration(s), 0))!;
  const token = readSecretFile('token-file') ?? (env.SYSMON_BRIDGE_TOKEN || undefined);
  const cert = readPem('tls-cert');
  const key = readPem('tls-key');
  const clientCa = readPem('tls-client-ca');

  if (Boolean(cert) !== Boolean(key)) {
    throw new ConfigError(`invalid ${cert ? 'tls-key' : 'tls-cert'}="": expected both tls-cert and tls-key for TLS`);
  }
  if (clientCa && !cert) throw new ConfigError('invalid tls-client-ca: mTLS needs tls-cert and tls-key too');
  const exposed = [grpc, http].filter((a): a is ListenAddress => a !== undefined && !isLoopback(a.host));
  if (exposed.length > 0 && !token && !clientCa) {
    const a = exposed[0];
    throw new ConfigError(
      `invalid listen="${a.host}:${a.port}": a bridge reachable beyond loopback needs a bearer token (--token-file or SYSMON_BRIDGE_TOKEN) or mTLS (--tls-client-ca)`,
    );
  }
  return {
    grpc,
    http,
    protonUrl,
    protonQueryUrl,
    database,
    protonUser,
    protonPassword,
    protonCa,
    createStreams,
    batchRows,
    batchDelayMs,
    token,
    tls: cert && key ? { cert, key, ca: clientCa, requireClientCert: Boolean(clientCa) } : undefined,
  };
}

// Credentials in a URL end up in logs and `ps`: they belong in PROTON_PASSWORD or a file.
function noCredentials(url: URL): URL {
  if (url.username || url.password) {
    throw new ValueError('a URL without user:password@ (use --proton-user and PROTON_PASSWORD or --proton-password-file)');
  }
  return url;
}
