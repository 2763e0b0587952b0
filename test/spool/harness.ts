// Shared pieces for the spool and delivery tests: numbered OTLP requests (a gauge whose value is the
// sequence number), a spool in a temp store, and a Delivery wired to a real transport.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OtlpConfig } from '../../src/telemetry/otlp-config.js';
import { createLogger, type Logger } from '../../src/log.js';
import { encodeMetricsRequest } from '../../src/otlp/proto.js';
import { type Db, openStore, storePath } from '../../src/store/store.js';
import type { BackoffOptions } from '../../src/telemetry/delivery-breaker.js';
import { Delivery } from '../../src/telemetry/delivery.js';
import { Spool, type SpoolBounds } from '../../src/telemetry/spool.js';
import { ExportStats } from '../../src/telemetry/spool-metrics.js';
import type { Transport } from '../../src/telemetry/transport.js';
import { flattenMetrics, type ReceivedRequest } from '../helpers/otlp-receiver.js';

export const SEQ_METRIC = 'test.seq';

/** An ExportMetricsServiceRequest carrying `seq` (padded with `padding` extra points to grow it). */
export function seqRequest(seq: number, padding = 0): Uint8Array {
  const t = BigInt(seq) * 1_000_000n;
  const point = (value: number, attributes = {}) => ({
    attributes,
    startTimeUnixNano: 0n,
    timeUnixNano: t,
    flags: 0,
    value,
    valueType: 'int' as const,
  });
  return encodeMetricsRequest({
    resourceMetrics: [
      {
        resource: { 'service.name': 'spool-test' },
        schemaUrl: '',
        scopeMetrics: [
          {
            scope: { name: 'test', version: '', attributes: {} },
            schemaUrl: '',
            metrics: [
              {
                name: SEQ_METRIC,
                description: '',
                unit: '1',
                type: 'gauge',
                points: [point(seq), ...Array.from({ length: padding }, (_, i) => point(i, { pad: i }))],
              },
            ],
          },
        ],
      },
    ],
  });
}

/** The sequence numbers of the received requests, in arrival order. */
export function seqs(requests: readonly ReceivedRequest[]): number[] {
  return flattenMetrics(requests)
    .filter((m) => m.name === SEQ_METRIC)
    .map((m) => m.points.find((p) => Object.keys(p.attributes).length === 0)!.value);
}

export interface TempStore {
  readonly dir: string;
  readonly db: Db;
  readonly spool: Spool;
  /** Closes the store and opens it again (a restart). */
  reopen(): TempStore;
  close(): void;
  remove(): void;
}

export function tempStore(dir = mkdtempSync(join(tmpdir(), 'sysmon-spool-'))): TempStore {
  const db = openStore(storePath(dir));
  const spool = new Spool(db);
  return {
    dir,
    db,
    spool,
    reopen() {
      db.close();
      return tempStore(dir);
    },
    close: () => db.close(),
    remove() {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function otlpConfig(endpoint: string, protocol: 'grpc' | 'http/protobuf', extra: Partial<OtlpConfig> = {}): OtlpConfig {
  return {
    otlpEndpoint: endpoint,
    otlpProtocol: protocol,
    otlpHeaders: {},
    otlpCa: undefined,
    otlpClientCert: undefined,
    otlpClientKey: undefined,
    insecure: false,
    temporality: 'cumulative',
    exportTimeout: 2000,
    ...extra,
  };
}


export interface LogLines extends Logger {
  readonly lines: string[];
}

export function captureLog(): LogLines {
  const lines: string[] = [];
  return Object.assign(createLogger({ level: 'debug', write: (l) => lines.push(l) }), { lines });
}

export const FAST_BACKOFF: BackoffOptions = { initialDelayMs: 40, maxDelayMs: 200 };

export interface TestDelivery {
  readonly delivery: Delivery;
  readonly stats: ExportStats;
  readonly log: LogLines;
  readonly store: TempStore;
}

export function testDelivery(
  transport: Transport,
  options: { store?: TempStore; bounds?: Partial<SpoolBounds>; timeoutMs?: number; backoff?: BackoffOptions; now?: () => number } = {},
): TestDelivery {
  const store = options.store ?? tempStore();
  const stats = new ExportStats();
  const log = captureLog();
  const delivery = new Delivery({
    transport,
    spool: store.spool,
    bounds: { maxBytes: 64 * 1024 * 1024, maxAgeMs: 86_400_000, ...options.bounds },
    timeoutMs: options.timeoutMs ?? 2000,
    log,
    stats,
    backoff: options.backoff ?? FAST_BACKOFF,
    now: options.now,
  });
  return { delivery, stats, log, store };
}
