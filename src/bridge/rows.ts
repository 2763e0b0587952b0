// OTLP metrics (plain form) -> Proton rows, as JSON text ready for the ingest API's "data" array.
// Pure: no I/O. Rows are built as text once here; the spool stores that text and the sender joins it,
// so a point is serialized exactly once on its way to Proton.
import type { AttributeValue, Attributes, PlainNumberPoint, PlainRequest } from '../otlp/plain.js';
import type { StreamName } from './streams.js';

export interface StreamRows {
  readonly stream: StreamName;
  /** Rows as JSON arrays joined by commas (the inside of "data": [ ... ]). */
  readonly text: string;
  readonly count: number;
}

export interface ConvertedRequest {
  readonly batches: StreamRows[];
  /** OTLP points that were not turned into rows, by reason. */
  readonly rejected: ReadonlyMap<string, number>;
  readonly rejectedCount: number;
  /** OTLP points accepted (each gauge/sum/histogram point that became a row). */
  readonly acceptedCount: number;
}

const UTILIZATION = 'system.cpu.utilization';
const FREQUENCY = 'system.cpu.frequency';
// Busy time excludes idle and iowait (a CPU waiting for I/O is idle), as psutil and top count it.
const IDLE_MODES = new Set(['idle', 'iowait']);

function attributeText(v: AttributeValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return '';
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString('base64') : x));
}

/** A map(string, string) column value: every attribute value as text. */
export function mapJson(attrs: Attributes): string {
  let text = '';
  for (const key in attrs) text += `${text ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(attributeText(attrs[key]))}`;
  return `{${text}}`;
}

// Points of one collection share their time and start time: a small cache saves formatting each time.
const isoCache = new Map<bigint, string>();

/** Nanoseconds since the epoch as a quoted ISO-8601 string with 9 fractional digits (Proton best_effort input). */
export function timestampJson(ns: bigint): string {
  const cached = isoCache.get(ns);
  if (cached !== undefined) return cached;
  const seconds = ns / 1_000_000_000n;
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  const text = `"${base}.${fraction}Z"`;
  if (isoCache.size >= 256) isoCache.clear();
  isoCache.set(ns, text);
  return text;
}

function numberJson(v: number | undefined): string {
  return v === undefined ? 'null' : String(v);
}

class RowSink {
  private readonly parts: string[] = [];
  constructor(readonly stream: StreamName) {}
  add(row: string): void {
    this.parts.push(row);
  }
  result(): StreamRows | undefined {
    return this.parts.length ? { stream: this.stream, text: this.parts.join(','), count: this.parts.length } : undefined;
  }
}

interface CoreSample {
  busy: number;
  time: bigint;
  core: number;
  cluster: string;
}

function coreOf(attrs: Attributes): number | undefined {
  const n = attrs['cpu.logical_number'];
  const core = typeof n === 'number' ? n : typeof n === 'string' && n.trim() !== '' ? Number(n) : NaN;
  return Number.isInteger(core) && core >= 0 ? core : undefined;
}

function clusterOf(attrs: Attributes): string {
  const c = attrs['cpu.cluster'];
  return typeof c === 'string' ? c : '';
}

/** Converts one OTLP export into rows per stream, counting the points that cannot be stored. */
export function toProtonRows(req: PlainRequest): ConvertedRequest {
  const metrics = new RowSink('otel_metrics');
  const histograms = new RowSink('otel_metrics_histogram');
  const cpu = new RowSink('cpu_metrics');
  const rejected = new Map<string, number>();
  const reject = (reason: string, n = 1): void => {
    if (n > 0) rejected.set(reason, (rejected.get(reason) ?? 0) + n);
  };
  let accepted = 0;

  for (const rm of req.resourceMetrics) {
    const resource = rm.resource;
    const resourceJson = mapJson(resource);
    const hostName = JSON.stringify(attributeText(resource['host.name'] ?? ''));
    const serviceName = JSON.stringify(attributeText(resource['service.name'] ?? ''));
    const hostId = JSON.stringify(attributeText(resource['host.id'] ?? resource['host.name'] ?? ''));
    const agentId = JSON.stringify(attributeText(resource['service.instance.id'] ?? ''));
    const usage = new Map<string, CoreSample>();
    const frequency = new Map<number, { time: bigint; value: number; cluster: string }[]>();

    const validTime = (p: { timeUnixNano: bigint }): boolean => {
      if (p.timeUnixNano > 0n) return true;
      reject('points without a timestamp');
      return false;
    };
    const validNumber = (p: PlainNumberPoint): boolean => {
      if (p.valueType === 'none' || p.flags & 1) {
        reject('points without a recorded value');
        return false;
      }
      if (!Number.isFinite(p.value)) {
        reject('NaN or infinite values');
        return false;
      }
      return validTime(p);
    };

    for (const sm of rm.scopeMetrics) {
      const scopeName = JSON.stringify(sm.scope.name);
      for (const m of sm.metrics) {
        const name = JSON.stringify(m.name);
        const unit = JSON.stringify(m.unit);
        switch (m.type) {
          case 'gauge':
          case 'sum': {
            const head = `${name},${unit},"${m.type}",${m.type === 'sum' && m.monotonic},"${m.type === 'sum' ? m.temporality : ''}"`;
            for (const p of m.points) {
              if (!validNumber(p)) continue;
              accepted++;
              metrics.add(
                `[${timestampJson(p.timeUnixNano)},${timestampJson(p.startTimeUnixNano)},${head},${p.value},${mapJson(p.attributes)},${resourceJson},${hostName},${serviceName},${scopeName}]`,
              );
              if (m.name === UTILIZATION) {
                const core = coreOf(p.attributes);
                if (core === undefined) continue;
                const key = `${core}|${p.timeUnixNano}`;
                let s = usage.get(key);
                if (!s) usage.set(key, (s = { busy: 0, time: p.timeUnixNano, core, cluster: clusterOf(p.attributes) }));
                if (!IDLE_MODES.has(String(p.attributes['cpu.mode']))) s.busy += p.value;
              } else if (m.name === FREQUENCY) {
                const core = coreOf(p.attributes);
                if (core === undefined) continue;
                const list = frequency.get(core) ?? [];
                list.push({ time: p.timeUnixNano, value: p.value, cluster: clusterOf(p.attributes) });
                frequency.set(core, list);
              }
            }
            break;
          }
          case 'histogram':
            for (const p of m.points) {
              if (!validTime(p)) continue;
              accepted++;
              histograms.add(
                `[${timestampJson(p.timeUnixNano)},${timestampJson(p.startTimeUnixNano)},${name},${unit},"${m.temporality}",${p.count},${numberJson(p.sum)},${numberJson(p.min)},${numberJson(p.max)},${JSON.stringify(p.explicitBounds)},${JSON.stringify(p.bucketCounts)},${mapJson(p.attributes)},${resourceJson},${hostName},${serviceName},${scopeName}]`,
              );
            }
            break;
          case 'exponential_histogram':
            reject('exponential histograms are not stored', m.points.length);
            break;
          case 'summary':
            reject('summaries are not stored', m.points.length);
            break;
          case 'empty':
            break;
        }
      }
    }

    for (const s of usage.values()) {
      const candidates = frequency.get(s.core) ?? [];
      // Same collection: same timestamp; a lone frequency point for the core in this export also matches.
      const f = candidates.find((c) => c.time === s.time) ?? (candidates.length === 1 ? candidates[0] : undefined);
      const cluster = s.cluster || f?.cluster || '';
      cpu.add(
        `[${timestampJson(s.time)},${hostId},${agentId},${s.core},${s.busy * 100},${f ? f.value : 'null'},"cpu${s.core}",${JSON.stringify(cluster)}]`,
      );
    }
  }

  const batches = [metrics.result(), histograms.result(), cpu.result()].filter((b): b is StreamRows => b !== undefined);
  let rejectedCount = 0;
  for (const n of rejected.values()) rejectedCount += n;
  return { batches, rejected, rejectedCount, acceptedCount: accepted };
}

/** One line for OTLP partial_success.error_message, e.g. "3 points not stored: 3 summaries are not stored". */
export function rejectionMessage(rejected: ReadonlyMap<string, number>): string {
  let total = 0;
  const parts: string[] = [];
  for (const [reason, n] of rejected) {
    total += n;
    parts.push(`${n} ${reason}`);
  }
  return `${total} point${total === 1 ? '' : 's'} not stored: ${parts.join('; ')}`;
}
