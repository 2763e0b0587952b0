// Pure value parsers for configuration (text in, typed value out). Each throws ValueError with
// what was expected, so the loader can name the key and the source in one line.
import { setOwn } from '../util/own-property.js';

export class ValueError extends Error {
  constructor(readonly expected: string) {
    super(expected);
    this.name = 'ValueError';
  }
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION_EXPECTED = 'a duration such as 500ms, 10s, 5m, 1h30m or 90d';

/** Parses "10s", "1h30m", "250ms" (Go-style) into milliseconds. */
export function parseDuration(raw: string): number {
  const text = raw.trim();
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    matched = re.lastIndex;
  }
  if (text === '' || matched !== text.length) throw new ValueError(DURATION_EXPECTED);
  return total;
}

/** The longest wait a Node timer honours: setTimeout/setInterval fire after 1 ms for anything longer. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** Ages and retentions are compared with timestamps, never waited for: a century is plenty. */
export const MAX_AGE_MS = 36_500 * 86_400_000;

const MAX_TEXT = new Map([
  [MAX_TIMER_MS, '24d20h31m23.647s (2^31-1 ms, the longest a timer can wait)'],
  [MAX_AGE_MS, '36500d'],
]);

/** Checks a duration in ms against its bounds; the ceiling defaults to what a timer can wait. */
export function durationWithin(ms: number, min: number, max: number = MAX_TIMER_MS, minText = `${min}ms`): number {
  if (!(ms >= min)) throw new ValueError(`a duration of at least ${minText}`);
  if (!(ms <= max)) throw new ValueError(`a duration of at most ${MAX_TEXT.get(max) ?? `${max}ms`}`);
  return ms;
}

/** OTEL_METRIC_EXPORT_INTERVAL style: a plain integer is milliseconds, else a duration. */
export function parseMillisOrDuration(raw: string): number {
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim());
  return parseDuration(raw);
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

/** Parses "256MiB", "1GB", "4096" into bytes. */
export function parseBytes(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(raw);
  const mult = m ? BYTE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || mult === undefined) throw new ValueError('a size such as 4096, 64KiB, 256MiB or 1GiB');
  return Math.round(Number(m[1]) * mult);
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses "host:port", "[::1]:port" or ":port" (port 0 = any free port). */
export function parseListen(raw: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(raw.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ValueError('host:port with a port from 0 to 65535, e.g. 127.0.0.1:9464');
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function parsePort(raw: string): number {
  if (!/^\d{1,5}$/.test(raw.trim()) || Number(raw) > 65535) throw new ValueError('a port from 0 to 65535');
  return Number(raw);
}

export function parseUrl(raw: string, schemes: readonly string[] = ['http', 'https']): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ValueError(`a URL such as ${schemes[0]}://host:port`);
  }
  if (!schemes.includes(url.protocol.replace(/:$/, ''))) {
    throw new ValueError(`a URL with scheme ${schemes.join(' or ')}`);
  }
  if (url.port !== '' && Number(url.port) > 65535) throw new ValueError('a URL with a port from 1 to 65535');
  return url;
}

export function parseInteger(raw: string, min: number, max: number): number {
  const n = Number(raw.trim());
  if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) throw new ValueError(`an integer from ${min} to ${max}`);
  return n;
}

export function parseBoolean(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ValueError('true or false');
}

export function parseEnum<T extends string>(raw: string, allowed: readonly T[]): T {
  const v = raw.trim();
  if (!(allowed as readonly string[]).includes(v)) throw new ValueError(`one of ${allowed.join(', ')}`);
  return v as T;
}

/** Splits "a,b , c" into ["a","b","c"]. */
export function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Parses W3C-baggage-like "k=v,k2=v2" (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS); values are percent-decoded. */
export function parseKeyValues(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of splitList(raw)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ValueError('key=value pairs separated by commas');
    const key = item.slice(0, eq).trim();
    let value = item.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      throw new ValueError('key=value pairs with percent-encoded values');
    }
    setOwn(out, key, value);
  }
  return out;
}

/**
 * The three bounds of a quiet-assessment input, in the input's own unit. For "higher is worse"
 * inputs (CPU, memory...) a value at or below `quiet` is quiet, above `busy` busy, above `panic`
 * panic; for "lower is worse" inputs (free disk) the comparisons are reversed.
 */
export interface Thresholds {
  readonly quiet: number;
  readonly busy: number;
  readonly panic: number;
}

/** Parses "quiet,busy,panic" such as "70,80,90" (increasing), or "20,10,5" (decreasing) when lower is worse. */
export function parseThresholds(raw: string, lowerIsWorse = false): Thresholds {
  const expected = lowerIsWorse
    ? 'three decreasing numbers quiet,busy,panic such as 20,10,5'
    : 'three increasing numbers quiet,busy,panic such as 70,80,90';
  const parts = splitList(raw);
  if (parts.length !== 3 || !parts.every((p) => /^\d+(?:\.\d+)?$/.test(p))) throw new ValueError(expected);
  const [quiet, busy, panic] = parts.map(Number);
  const ordered = lowerIsWorse ? quiet >= busy && busy >= panic : quiet <= busy && busy <= panic;
  if (!ordered) throw new ValueError(expected);
  return { quiet, busy, panic };
}
