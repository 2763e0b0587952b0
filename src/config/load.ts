// Resolves configuration: flags > environment > YAML file > defaults. Any invalid value becomes a
// one-line ConfigError naming the key, the value, where it came from and what is allowed.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { type Config, type ConfigKey, flagName, OPTIONS, type OptionSpec } from './options.js';
import { ValueError } from './values.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Origin = 'flag' | 'env' | 'file' | 'default';

export interface LoadOptions {
  /** Parsed yargs argv (camelCase keys); undefined values mean "not given". */
  readonly argv?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Warnings (for example a config file readable by others) go here. */
  readonly warn?: (message: string) => void;
}

export interface LoadedConfig extends Config {
  /** Where each value came from, for `doctor` and tests. */
  readonly origins: Readonly<Record<ConfigKey, Origin>>;
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 80 ? text.slice(0, 77) + '...' : text);
}

function fail(key: ConfigKey, raw: unknown, origin: string, expected: string, secret = false): never {
  const value = secret ? '"[redacted]"' : show(raw);
  throw new ConfigError(`invalid ${flagName(key)}=${value} (${origin}): expected ${expected}`);
}

/** Turns a YAML value into the text the option parser takes. */
function fileValueText(key: ConfigKey, value: unknown, file: string): string {
  const spec = OPTIONS[key] as OptionSpec<unknown>;
  if (spec.flag === 'boolean' && typeof value === 'boolean') return String(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && spec.flag === 'list' && value.every((v) => typeof v !== 'object')) {
    return value.join(',');
  }
  if (spec.merge && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
      .join(',');
  }
  return fail(key, value, `in ${file}`, spec.flag === 'list' ? 'a list of values' : 'a single value');
}

/** Reads and checks the YAML config file; returns its entries keyed by option. */
export function readConfigFile(file: string, warn?: (m: string) => void): Map<ConfigKey, unknown> {
  let text: string;
  try {
    const st = statSync(file);
    // A world-writable config can redirect exports or inject headers: refuse it.
    if (st.mode & 0o002) throw new ConfigError(`config file ${file} is writable by everyone: run chmod o-w ${file}`);
    text = readFileSync(file, 'utf8');
    if (st.mode & 0o044 && /(^|\n)\s*(otlp-headers|api-token|otlp-client-key)\s*:/.test(text)) {
      warn?.(`config file ${file} holds secrets and is readable by group or others: run chmod 600 ${file}`);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    // Loaded here, not at start: every command resolves its config, few read a file (yaml is 30 ms to load).
    const yaml = createRequire(import.meta.url)('yaml') as typeof Yaml;
    doc = yaml.parse(text);
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    throw new ConfigError(`config file ${file} is not valid YAML: ${first}`);
  }
  if (doc === null || doc === undefined) return new Map();
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`config file ${file} must be a mapping of option names to values`);
  }
  const byFlag = new Map((Object.keys(OPTIONS) as ConfigKey[]).map((k) => [flagName(k), k]));
  const entries = new Map<ConfigKey, unknown>();
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    const key = byFlag.get(name);
    if (!key || key === 'config') {
      throw new ConfigError(
        `unknown key ${JSON.stringify(name)} in ${file}: expected one of the long flag names (see otel-sysmon run --help)`,
      );
    }
    entries.set(key, value);
  }
  return entries;
}

function flagText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String).join(',');
  return String(value);
}

/** Resolves every option; `keys` limits which ones a command needs (all by default). */
export function loadConfig(options: LoadOptions = {}, keys?: readonly ConfigKey[]): LoadedConfig {
  const argv = options.argv ?? {};
  const env = options.env ?? process.env;
  const wanted = new Set<ConfigKey>(keys ?? (Object.keys(OPTIONS) as ConfigKey[]));

  const configPath = flagText(argv.config) ?? env.SYSMON_CONFIG;
  const file = configPath ? readConfigFile(configPath, options.warn) : new Map<ConfigKey, unknown>();

  const resolved: Partial<Config> = { config: configPath };
  const origins = { config: configPath ? (argv.config ? 'flag' : 'env') : 'default' } as Record<ConfigKey, Origin>;

  for (const key of Object.keys(OPTIONS) as ConfigKey[]) {
    if (key === 'config') continue;
    const spec = OPTIONS[key] as OptionSpec<unknown>;
    const candidates: { origin: Origin; label: string; raw: string }[] = [];
    const fromFlag = flagText(argv[key]);
    if (fromFlag !== undefined && !(spec.flag === 'list' && fromFlag === '')) {
      candidates.push({ origin: 'flag', label: `from --${flagName(key)}`, raw: fromFlag });
    }
    for (const name of spec.env ?? []) {
      const v = env[name];
      if (v !== undefined && v !== '') {
        candidates.push({ origin: 'env', label: `from ${name}`, raw: v });
        break;
      }
    }
    if (file.has(key)) {
      candidates.push({ origin: 'file', label: `in ${configPath}`, raw: fileValueText(key, file.get(key), configPath!) });
    }
    if (!wanted.has(key) && candidates.length === 0) {
      (resolved as Record<string, unknown>)[key] = spec.default(resolved);
      origins[key] = 'default';
      continue;
    }
    const parseAt = (c: (typeof candidates)[number]): unknown => {
      try {
        return spec.parse(c.raw);
      } catch (err) {
        if (err instanceof ValueError) fail(key, c.raw, c.label, err.expected, spec.secret);
        throw err;
      }
    };
    let value: unknown;
    if (spec.merge) {
      // Lowest precedence first so higher sources overwrite per key.
      value = Object.assign({}, spec.default(resolved), ...candidates.reverse().map(parseAt));
      origins[key] = candidates.length ? candidates[candidates.length - 1].origin : 'default';
    } else if (candidates.length > 0) {
      // Validate every given source, so a bad file value is reported even when a flag overrides it.
      const values = candidates.map(parseAt);
      value = values[0];
      origins[key] = candidates[0].origin;
    } else {
      value = spec.default(resolved);
      origins[key] = 'default';
    }
    if (key === 'otlpEndpoint' && origins[key] === 'env' && !env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) {
      value = baseEndpoint(String(value), resolved.otlpProtocol ?? 'grpc');
    }
    (resolved as Record<string, unknown>)[key] = value;
  }
  const config = { ...(resolved as Config), origins };
  checkCombinations(config);
  return config;
}

/** OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: HTTP exporters append the signal path. */
function baseEndpoint(url: string, protocol: string): string {
  if (protocol === 'grpc') return url;
  return url.replace(/\/?$/, '/v1/metrics');
}

function checkCombinations(config: LoadedConfig): void {
  if (config.exporter.includes('none') && config.exporter.length > 1) {
    throw new ConfigError(`invalid exporter=${show(config.exporter.join(','))}: expected "none" alone or a list without it`);
  }
  if (config.schedulerHeadroom >= config.schedulerCapacity) {
    throw new ConfigError(
      `invalid scheduler-headroom=${show(String(config.schedulerHeadroom))}: expected fewer units than scheduler-capacity (${config.schedulerCapacity})`,
    );
  }
  if (Boolean(config.otlpClientCert) !== Boolean(config.otlpClientKey)) {
    throw new ConfigError(
      `invalid ${config.otlpClientCert ? 'otlp-client-key' : 'otlp-client-cert'}="" : expected both otlp-client-cert and otlp-client-key for mTLS`,
    );
  }
}
