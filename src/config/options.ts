// Every configuration option once: its flag (kebab-case, also the YAML key), environment variables,
// parser, default and help. yargs flags, env lookup, the file schema and validation derive from it.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  type ListenAddress,
  parseBoolean,
  parseBytes,
  durationWithin,
  MAX_AGE_MS,
  MAX_TIMER_MS,
  parseEnum,
  parseInteger,
  parseKeyValues,
  parseListen,
  parseMillisOrDuration,
  parseThresholds,
  parseUrl,
  splitList,
  type Thresholds,
  ValueError,
} from './values.js';
import {
  DEFAULT_DISK_EXCLUDE,
  DEFAULT_FS_TYPES_EXCLUDE,
  DEFAULT_MOUNT_POINTS_EXCLUDE,
  DEFAULT_NETWORK_EXCLUDE,
} from '../collectors/linux/device-filter.js';

export const FREQUENCY_SOURCES = ['sysfs', 'perf', 'cpuinfo', 'ioreport', 'sysctl'] as const;
export type FrequencySourceName = (typeof FREQUENCY_SOURCES)[number];
export const EXPORTERS = ['otlp', 'prometheus', 'console', 'none'] as const;
export type ExporterName = (typeof EXPORTERS)[number];
export const OTLP_PROTOCOLS = ['grpc', 'http/protobuf'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];
export const TEMPORALITIES = ['cumulative', 'delta', 'lowmemory'] as const;
export type Temporality = (typeof TEMPORALITIES)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export const LOG_LEVEL_NAMES = ['debug', 'info', 'warn', 'error'] as const;

export interface Config {
  config: string | undefined;
  procfs: string;
  sysfs: string;
  rootfs: string;
  frequencySources: FrequencySourceName[];
  logLevel: (typeof LOG_LEVEL_NAMES)[number];
  logFormat: (typeof LOG_FORMATS)[number];
  dataDir: string;
  interval: number;
  exportTimeout: number;
  sampleWindow: number;
  diskInclude: RegExp | undefined;
  diskExclude: RegExp;
  filesystemMountPointsExclude: RegExp;
  filesystemTypesExclude: RegExp;
  filesystemTimeout: number;
  networkInclude: RegExp | undefined;
  networkExclude: RegExp;
  exporter: ExporterName[];
  otlpEndpoint: string;
  otlpProtocol: OtlpProtocol;
  otlpHeaders: Record<string, string>;
  otlpCa: string | undefined;
  otlpClientCert: string | undefined;
  otlpClientKey: string | undefined;
  insecure: boolean;
  temporality: Temporality;
  prometheusListen: ListenAddress;
  serviceName: string;
  resource: Record<string, string>;
  apiListen: ListenAddress;
  apiTokenFile: string | undefined;
  apiUrl: string;
  ui: boolean;
  maxWorkers: number;
  runIdleTimeout: number;
  pipelineNameLimit: number;
  snapshotRetention: number;
  spoolMaxBytes: number;
  spoolMaxAge: number;
  quietHold: number;
  quietCpu: Thresholds;
  quietLoad: Thresholds;
  quietMemory: Thresholds;
  quietSwap: Thresholds;
  quietPsiCpu: Thresholds;
  quietPsiMemory: Thresholds;
  quietPsiIo: Thresholds;
  quietDiskFree: Thresholds;
  quietDiskIo: Thresholds;
  quietApiErrors: Thresholds;
  quietApiP95: Thresholds;
  schedulerCapacity: number;
  schedulerHeadroom: number;
  leaseTtl: number;
  schedulerMaxLeases: number;
  schedulerMaxPerAddon: number;
  schedulerPanicCooldown: number;
  schedulerQueueMax: number;
  historyInterval: number;
  historyRetention: number;
  historyRollupStep: number;
  historyRollupRetention: number;
}

export type ConfigKey = keyof Config;

/** Options are grouped so each command offers only the flags it uses. */
export type OptionGroup =
  | 'file'
  | 'host'
  | 'log'
  | 'data'
  | 'collect'
  | 'export'
  | 'api'
  | 'builds'
  | 'spool'
  | 'quiet'
  | 'scheduler'
  | 'history'
  | 'ui';

export interface OptionSpec<T> {
  readonly group: OptionGroup;
  readonly describe: string;
  /** yargs flag type; 'list' flags are repeatable and comma-separated. */
  readonly flag: 'string' | 'boolean' | 'list';
  readonly env?: readonly string[];
  readonly parse: (raw: string) => T;
  /** Default, possibly computed from options resolved before it (table order). */
  readonly default: (resolved: Partial<Config>) => T;
  /** Key/value options merge across sources (flags win per key) instead of replacing. */
  readonly merge?: boolean;
  /** Values never logged (headers may carry API keys). */
  readonly secret?: boolean;
  /** Help text for the default, when it is computed. */
  readonly defaultText?: string;
}

const list =
  <T extends string>(allowed: readonly T[]) =>
  (raw: string): T[] => {
    const items = splitList(raw);
    if (items.length === 0) throw new ValueError(`a comma-separated list of ${allowed.join(', ')}`);
    return items.map((item) => {
      if (!(allowed as readonly string[]).includes(item)) {
        throw new ValueError(`a comma-separated list of ${allowed.join(', ')}`);
      }
      return item as T;
    });
  };

const path = (raw: string): string => {
  if (raw.trim() === '') throw new ValueError('a non-empty path');
  return raw;
};

const optionalPath = (raw: string): string | undefined => path(raw);

/** A regular expression tested against names, unanchored (^...$ matches whole names only). */
const pattern = (raw: string): RegExp => {
  try {
    return new RegExp(raw);
  } catch {
    throw new ValueError('a regular expression');
  }
};

/** A name-filter option: a regular expression whose default is one of the collectors' defaults. */
const namePattern = (describe: string, fallback: RegExp): OptionSpec<RegExp> => ({
  group: 'host',
  describe,
  flag: 'string',
  parse: pattern,
  default: () => fallback,
  defaultText: fallback.source,
});

function defaultDataDir(): string {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return '/var/lib/otel-sysmon';
  const state = process.env.XDG_STATE_HOME || join(process.env.HOME || '.', '.local', 'state');
  return join(state, 'otel-sysmon');
}

function defaultOtlpEndpoint(resolved: Partial<Config>): string {
  return resolved.otlpProtocol === 'http/protobuf' ? 'http://localhost:4318/v1/metrics' : 'http://localhost:4317';
}

/** A duration option from `min` ms up to what its timer can wait (or `max`, for ages compared with timestamps). */
const positiveDuration =
  (min: number, max = MAX_TIMER_MS) =>
  (raw: string): number =>
    durationWithin(parseMillisOrDuration(raw), min, max);

/** A quiet-assessment threshold option: "quiet,busy,panic" (a YAML list works too). */
const thresholds = (describe: string, fallback: string, lowerIsWorse = false): OptionSpec<Thresholds> => ({
  group: 'quiet',
  describe: `${describe}: quiet,busy,panic bounds`,
  flag: 'list',
  parse: (raw) => parseThresholds(raw, lowerIsWorse),
  default: () => parseThresholds(fallback, lowerIsWorse),
  defaultText: fallback,
});

export const OPTIONS: { readonly [K in ConfigKey]: OptionSpec<Config[K]> } = {
  config: {
    group: 'file',
    describe: 'YAML config file (keys are the long flag names)',
    flag: 'string',
    env: ['SYSMON_CONFIG'],
    parse: optionalPath,
    default: () => undefined,
  },
  rootfs: {
    group: 'host',
    describe: 'Root of the host filesystem (prefix for procfs, sysfs and /etc/machine-id)',
    flag: 'string',
    env: ['HOST_ROOT'],
    parse: path,
    default: () => '/',
  },
  procfs: {
    group: 'host',
    describe: 'procfs mount point',
    flag: 'string',
    env: ['HOST_PROC'],
    parse: path,
    default: (r) => join(r.rootfs ?? '/', 'proc'),
    defaultText: '<rootfs>/proc',
  },
  sysfs: {
    group: 'host',
    describe: 'sysfs mount point',
    flag: 'string',
    env: ['HOST_SYS'],
    parse: path,
    default: (r) => join(r.rootfs ?? '/', 'sys'),
    defaultText: '<rootfs>/sys',
  },
  frequencySources: {
    group: 'host',
    describe: `CPU frequency sources in order of preference (${FREQUENCY_SOURCES.join(', ')})`,
    flag: 'list',
    env: ['SYSMON_FREQUENCY_SOURCES'],
    parse: list(FREQUENCY_SOURCES),
    default: () =>
      process.platform === 'darwin' ? ['ioreport', 'sysctl'] : ['sysfs', 'perf', 'cpuinfo'],
    defaultText: 'sysfs,perf,cpuinfo (macOS: ioreport,sysctl)',
  },
  logLevel: {
    group: 'log',
    describe: 'Log level',
    flag: 'string',
    env: ['SYSMON_LOG_LEVEL'],
    parse: (raw) => parseEnum(raw, LOG_LEVEL_NAMES),
    default: () => 'info',
  },
  logFormat: {
    group: 'log',
    describe: 'Log format',
    flag: 'string',
    env: ['SYSMON_LOG_FORMAT'],
    parse: (raw) => parseEnum(raw, LOG_FORMATS),
    default: () => 'text',
  },
  dataDir: {
    group: 'data',
    describe: 'Directory for the agent state (instance id, store, spool, API token)',
    flag: 'string',
    env: ['SYSMON_DATA_DIR'],
    parse: path,
    default: defaultDataDir,
    defaultText: '/var/lib/otel-sysmon as root, else $XDG_STATE_HOME/otel-sysmon',
  },
  interval: {
    group: 'collect',
    describe: 'Collection and export interval (10ms or more)',
    flag: 'string',
    env: ['OTEL_METRIC_EXPORT_INTERVAL'],
    parse: positiveDuration(10),
    default: () => 10_000,
    defaultText: '10s',
  },
  sampleWindow: {
    group: 'collect',
    describe: 'Time between the two readings a one-off snapshot needs for utilization',
    flag: 'string',
    parse: positiveDuration(1),
    default: () => 250,
    defaultText: '250ms',
  },
  diskInclude: {
    group: 'host',
    describe: 'Only disks whose /proc/diskstats name matches this regular expression (disk-exclude still applies)',
    flag: 'string',
    parse: pattern,
    default: () => undefined,
  },
  diskExclude: namePattern('Disks left out; the default drops partitions, loop, ram, zram and floppy devices', DEFAULT_DISK_EXCLUDE),
  filesystemMountPointsExclude: namePattern('Mount points left out of system.filesystem.*', DEFAULT_MOUNT_POINTS_EXCLUDE),
  filesystemTypesExclude: namePattern('Filesystem types left out of system.filesystem.* (pseudo and container filesystems)', DEFAULT_FS_TYPES_EXCLUDE),
  filesystemTimeout: {
    group: 'host',
    describe: 'A network filesystem whose statfs takes longer is skipped until the call returns',
    flag: 'string',
    parse: positiveDuration(1),
    default: () => 1000,
    defaultText: '1s',
  },
  networkInclude: {
    group: 'host',
    describe: 'Only network interfaces whose name matches this regular expression (network-exclude still applies)',
    flag: 'string',
    parse: pattern,
    default: () => undefined,
  },
  networkExclude: namePattern('Network interfaces left out; the default drops loopback and veth container ends', DEFAULT_NETWORK_EXCLUDE),
  exportTimeout: {
    group: 'export',
    describe: 'Timeout of one export (and of the final flush on shutdown)',
    flag: 'string',
    env: ['OTEL_METRIC_EXPORT_TIMEOUT'],
    parse: positiveDuration(1),
    default: () => 10_000,
    defaultText: '10s',
  },
  exporter: {
    group: 'export',
    describe: `Exporters (${EXPORTERS.join(', ')}); repeatable`,
    flag: 'list',
    env: ['SYSMON_EXPORTER'],
    parse: list(EXPORTERS),
    default: () => ['otlp'],
  },
  otlpProtocol: {
    group: 'export',
    describe: 'OTLP transport',
    flag: 'string',
    env: ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    parse: (raw) => parseEnum(raw, OTLP_PROTOCOLS),
    default: () => 'grpc',
  },
  otlpEndpoint: {
    group: 'export',
    describe: 'OTLP endpoint URL',
    flag: 'string',
    // OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: the loader appends /v1/metrics for HTTP.
    env: ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    parse: (raw) => parseUrl(raw).toString(),
    default: defaultOtlpEndpoint,
    defaultText: 'http://localhost:4317 (grpc) or http://localhost:4318/v1/metrics',
  },
  otlpHeaders: {
    group: 'export',
    describe: 'Headers sent with every export, key=value,… (values are never logged)',
    flag: 'list',
    env: ['OTEL_EXPORTER_OTLP_METRICS_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS'],
    parse: parseKeyValues,
    default: () => ({}),
    merge: true,
    secret: true,
  },
  otlpCa: {
    group: 'export',
    describe: 'PEM file with the CA certificate(s) that sign the collector certificate',
    flag: 'string',
    env: ['OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CERTIFICATE'],
    parse: optionalPath,
    default: () => undefined,
  },
  otlpClientCert: {
    group: 'export',
    describe: 'PEM client certificate for mTLS',
    flag: 'string',
    env: ['OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE'],
    parse: optionalPath,
    default: () => undefined,
  },
  otlpClientKey: {
    group: 'export',
    describe: 'PEM client private key for mTLS',
    flag: 'string',
    env: ['OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY', 'OTEL_EXPORTER_OTLP_CLIENT_KEY'],
    parse: optionalPath,
    default: () => undefined,
  },
  insecure: {
    group: 'export',
    describe: 'Plaintext OTLP gRPC even for https endpoints (only when asked)',
    flag: 'boolean',
    env: ['OTEL_EXPORTER_OTLP_METRICS_INSECURE', 'OTEL_EXPORTER_OTLP_INSECURE'],
    parse: parseBoolean,
    default: () => false,
  },
  temporality: {
    group: 'export',
    describe: 'Aggregation temporality of sums',
    flag: 'string',
    env: ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE'],
    parse: (raw) => parseEnum(raw.trim().toLowerCase(), TEMPORALITIES),
    default: () => 'cumulative',
  },
  prometheusListen: {
    group: 'export',
    describe: 'Address of the Prometheus /metrics endpoint (with --exporter prometheus)',
    flag: 'string',
    env: ['SYSMON_PROMETHEUS_LISTEN'],
    parse: parseListen,
    default: () => ({ host: '127.0.0.1', port: 9464 }),
    defaultText: '127.0.0.1:9464',
  },
  serviceName: {
    group: 'export',
    describe: 'service.name resource attribute',
    flag: 'string',
    env: ['OTEL_SERVICE_NAME'],
    parse: (raw) => {
      if (raw.trim() === '') throw new ValueError('a non-empty name');
      return raw.trim();
    },
    default: () => 'otel-sysmon',
  },
  resource: {
    group: 'export',
    describe: 'Extra resource attributes key=value; repeatable',
    flag: 'list',
    env: ['OTEL_RESOURCE_ATTRIBUTES'],
    parse: parseKeyValues,
    default: () => ({}),
    merge: true,
  },
  apiListen: {
    group: 'api',
    describe: 'Address of the local HTTP API',
    flag: 'string',
    env: ['SYSMON_API_LISTEN'],
    parse: parseListen,
    default: () => ({ host: '127.0.0.1', port: 9465 }),
    defaultText: '127.0.0.1:9465',
  },
  apiTokenFile: {
    group: 'api',
    describe: 'File holding the API bearer token (SYSMON_API_TOKEN overrides; default <data-dir>/api-token)',
    flag: 'string',
    env: ['SYSMON_API_TOKEN_FILE'],
    parse: optionalPath,
    default: () => undefined,
  },
  apiUrl: {
    group: 'api',
    describe: 'URL of the running agent API (for wrap, status, lease)',
    flag: 'string',
    env: ['SYSMON_API_URL'],
    parse: (raw) => parseUrl(raw).toString().replace(/\/$/, ''),
    default: () => 'http://127.0.0.1:9465',
  },
  ui: {
    group: 'ui',
    describe: 'Serve the read-only web page at / of the local API (--ui false turns it off)',
    flag: 'boolean',
    env: ['SYSMON_UI'],
    parse: parseBoolean,
    default: () => true,
  },
  maxWorkers: {
    group: 'builds',
    describe: 'Maximum build workers (M in the dynamic max-workers formula)',
    flag: 'string',
    env: ['SYSMON_MAX_WORKERS'],
    parse: (raw) => parseInteger(raw, 1, 4096),
    default: () => availableParallelism(),
    defaultText: 'number of logical CPUs',
  },
  runIdleTimeout: {
    group: 'builds',
    describe: 'A build run ends after this long with nothing queued or running',
    flag: 'string',
    parse: positiveDuration(1),
    default: () => 600_000,
    defaultText: '10m',
  },
  pipelineNameLimit: {
    group: 'builds',
    describe: 'Distinct build names (cicd.pipeline.name) kept as series; later names are reported as _other',
    flag: 'string',
    parse: (raw) => parseInteger(raw, 1, 100_000),
    default: () => 100,
  },
  snapshotRetention: {
    group: 'builds',
    describe: 'Build CPU snapshots older than this are purged',
    flag: 'string',
    parse: positiveDuration(0, MAX_AGE_MS),
    default: () => 90 * 86_400_000,
    defaultText: '90d',
  },
  spoolMaxBytes: {
    group: 'spool',
    describe: 'Largest size of the durable export spool',
    flag: 'string',
    parse: parseBytes,
    default: () => 256 * 1024 * 1024,
    defaultText: '256MiB',
  },
  spoolMaxAge: {
    group: 'spool',
    describe: 'Spooled exports older than this are dropped',
    flag: 'string',
    parse: positiveDuration(0, MAX_AGE_MS),
    default: () => 86_400_000,
    defaultText: '24h',
  },
  quietHold: {
    group: 'quiet',
    describe: 'A new quiet state must persist this long before it takes effect (PANIC takes effect at once)',
    flag: 'string',
    parse: positiveDuration(0),
    default: () => 30_000,
    defaultText: '30s',
  },
  quietCpu: thresholds('CPU busy % averaged over 2 minutes', '30,75,95'),
  quietLoad: thresholds('1-minute load per logical CPU', '0.7,1.5,3'),
  quietMemory: thresholds('Memory used %', '70,80,90'),
  quietSwap: thresholds('Swap used %', '10,40,80'),
  quietPsiCpu: thresholds('CPU pressure % (some, the larger of avg10 and avg60)', '5,25,60'),
  quietPsiMemory: thresholds('Memory pressure % (some, the larger of avg10 and avg60)', '1,10,30'),
  quietPsiIo: thresholds('I/O pressure % (some, the larger of avg10 and avg60)', '5,30,60'),
  quietDiskFree: thresholds("Free % of the data directory's filesystem (lower is worse)", '20,10,5', true),
  quietDiskIo: thresholds('Busiest disk: % of time with I/O in flight (system.disk.io_time rate)', '20,60,90'),
  quietApiErrors: thresholds('Local API 5xx answers % over the last minute (from 20 requests)', '1,5,25'),
  quietApiP95: thresholds('Local API p95 latency in ms over the last minute (from 20 requests)', '100,500,2000'),
  schedulerCapacity: {
    group: 'scheduler',
    describe: 'Lease capacity of this host in cost units (a lease costs 1 to 100)',
    flag: 'string',
    env: ['SYSMON_SCHEDULER_CAPACITY'],
    parse: (raw) => parseInteger(raw, 1, 100_000),
    default: () => 100,
  },
  schedulerHeadroom: {
    group: 'scheduler',
    describe: 'Capacity units kept back for the rest of the system (fewer than scheduler-capacity)',
    flag: 'string',
    parse: (raw) => parseInteger(raw, 0, 100_000),
    default: () => 20,
  },
  leaseTtl: {
    group: 'scheduler',
    describe: 'A lease expires this long after its last heartbeat (holders heartbeat every third of it)',
    flag: 'string',
    parse: positiveDuration(1000),
    default: () => 30_000,
    defaultText: '30s',
  },
  schedulerMaxLeases: {
    group: 'scheduler',
    describe: 'Most leases active at once, whatever their cost',
    flag: 'string',
    parse: (raw) => parseInteger(raw, 1, 10_000),
    default: () => 4,
  },
  schedulerMaxPerAddon: {
    group: 'scheduler',
    describe: 'Most leases one addon_id holds at once',
    flag: 'string',
    parse: (raw) => parseInteger(raw, 1, 10_000),
    default: () => 2,
  },
  schedulerPanicCooldown: {
    group: 'scheduler',
    describe: 'Every lease request is refused for this long after the quiet state leaves PANIC',
    flag: 'string',
    parse: positiveDuration(0),
    default: () => 120_000,
    defaultText: '2m',
  },
  schedulerQueueMax: {
    group: 'scheduler',
    describe: 'Most lease requests waiting in the queue ("wait": true); more are refused with 429',
    flag: 'string',
    parse: (raw) => parseInteger(raw, 1, 100_000),
    default: () => 256,
  },
  historyInterval: {
    group: 'history',
    describe: 'Time between history samples (at most one per collection)',
    flag: 'string',
    parse: positiveDuration(1),
    default: () => 10_000,
    defaultText: '10s',
  },
  historyRetention: {
    group: 'history',
    describe: 'Raw history samples and lease events older than this are purged',
    flag: 'string',
    parse: positiveDuration(60_000, MAX_AGE_MS),
    default: () => 7 * 86_400_000,
    defaultText: '7d',
  },
  historyRollupStep: {
    group: 'history',
    describe: 'Width of the downsampled history buckets (average, minimum, maximum)',
    flag: 'string',
    parse: positiveDuration(1000),
    default: () => 300_000,
    defaultText: '5m',
  },
  historyRollupRetention: {
    group: 'history',
    describe: 'Downsampled history and quiet streaks older than this are purged',
    flag: 'string',
    parse: positiveDuration(60_000, MAX_AGE_MS),
    default: () => 90 * 86_400_000,
    defaultText: '90d',
  },
};

export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function keysOfGroups(groups: readonly OptionGroup[]): ConfigKey[] {
  return (Object.keys(OPTIONS) as ConfigKey[]).filter((k) => groups.includes(OPTIONS[k].group));
}
