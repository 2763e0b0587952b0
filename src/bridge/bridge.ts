// The Proton bridge: an OTLP metrics receiver (gRPC + HTTP/protobuf) whose exports become Proton rows.
// An export is acknowledged once its rows are in Proton or in the durable spool (the agent's durable
// queue, in the store of the bridge's data directory); the sender moves spooled rows to Proton.
// The Collector is told to retry (UNAVAILABLE) only when the spool cannot take an export.
import { timingSafeEqual } from 'node:crypto';
import type { ListenAddress } from '../config/values.js';
import type { Logger } from '../log.js';
import { createOtlpServer, type OtlpReply, type OtlpServer, type OtlpTlsOptions, otlpError } from '../otlp/server.js';
import { StoreWriteCondition } from '../store/write-condition.js';
import { Breaker } from '../telemetry/delivery-breaker.js';
import { ExportBatcher } from './batcher.js';
import { createStreams } from './ddl.js';
import { createProtonClient, type ProtonClient, type ProtonClientOptions, ProtonError } from './proton-client.js';
import { rejectionMessage, toProtonRows } from './rows.js';
import { ProtonSender, type SenderStats } from './sender.js';
import { type BridgeSpool, SpoolFullError, SqliteBridgeSpool } from './spool.js';

export interface BridgeOptions {
  readonly grpc?: ListenAddress;
  readonly http?: ListenAddress;
  readonly tls?: OtlpTlsOptions;
  /** Most request-body bytes held at once across all exports (default: twice the 32 MiB body limit). */
  readonly maxInFlightBytes?: number;
  /** When set, every export must carry `authorization: Bearer <token>`. */
  readonly token?: string;
  readonly proton: ProtonClientOptions;
  readonly createStreams: boolean;
  /** Holds the store (otel-sysmon.db) with the spool, unless `spool` is given. */
  readonly dataDir: string;
  readonly spoolMaxBytes: number;
  readonly spoolMaxAgeMs: number;
  readonly batchRows: number;
  readonly batchDelayMs: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  readonly log: Logger;
  /** Tests and the benchmark may plug another spool or client in. */
  readonly spool?: BridgeSpool;
  readonly client?: ProtonClient;
}

export interface BridgeCounters extends SenderStats {
  readonly receivedRequests: number;
  readonly acceptedPoints: number;
  readonly rejectedPoints: number;
  readonly refusedRequests: number;
  /** Request-body bytes held now and the most ever held at once (bounded by inFlightLimitBytes). */
  readonly inFlightBytes: number;
  readonly inFlightPeakBytes: number;
  readonly inFlightLimitBytes: number;
  /** Exports refused (RESOURCE_EXHAUSTED / 429) because their bytes did not fit in flight. */
  readonly throttledRequests: number;
}

export interface Bridge {
  readonly grpcPort: number | undefined;
  readonly httpPort: number | undefined;
  readonly spool: BridgeSpool;
  /** Rejects if stream creation fails for good (Proton refused the DDL). */
  readonly fatal: Promise<never>;
  counters(): BridgeCounters;
  start(): Promise<void>;
  /** Stops receiving, gives the sender up to `drainMs` to empty the spool, then closes. */
  stop(drainMs?: number): Promise<void>;
}

function bearerCheck(token: string): (headers: Readonly<Record<string, string>>) => OtlpReply | undefined {
  const expected = Buffer.from(`Bearer ${token}`);
  return (headers) => {
    const given = Buffer.from(headers.authorization ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
    return otlpError('UNAUTHENTICATED', 'missing or wrong bearer token (authorization: Bearer <token>)');
  };
}

export function createBridge(o: BridgeOptions): Bridge {
  const log = o.log;
  const spool = o.spool ?? SqliteBridgeSpool.open(o.dataDir, o.spoolMaxBytes);
  const client = o.client ?? createProtonClient(o.proton);
  const sender = new ProtonSender({
    spool,
    client,
    log,
    batchRows: o.batchRows,
    batchDelayMs: o.batchDelayMs,
    backoffInitialMs: o.backoffInitialMs,
    backoffMaxMs: o.backoffMaxMs,
    maxAgeMs: o.spoolMaxAgeMs,
  });
  const batcher = new ExportBatcher({ client, spool, sender, batchRows: o.batchRows });
  const counts = { receivedRequests: 0, acceptedPoints: 0, rejectedPoints: 0, refusedRequests: 0 };
  let fail: (err: Error) => void = () => {};
  const fatal = new Promise<never>((_resolve, reject) => (fail = reject));
  fatal.catch(() => {});
  let stopping = false;
  const spoolWrites = new StoreWriteCondition(log, 'bridge spool', 'exports Proton cannot take now are refused (UNAVAILABLE) until it can');

  const server: OtlpServer = createOtlpServer({
    grpc: o.grpc,
    http: o.http,
    tls: o.tls,
    maxInFlightBytes: o.maxInFlightBytes,
    authorize: o.token ? bearerCheck(o.token) : undefined,
    handle: async (exp) => {
      counts.receivedRequests++;
      const converted = toProtonRows(exp.request);
      if (converted.batches.length > 0) {
        try {
          await batcher.accept(converted.batches);
        } catch (err) {
          counts.refusedRequests++;
          const full = err instanceof SpoolFullError;
          // A disk that cannot take the rows is logged once (and its recovery once), not per export.
          if (full || !spoolWrites.failed(err)) {
            log.warn(full ? 'spool full: asking the sender to retry' : 'cannot spool rows: asking the sender to retry', {
              reason: (err as Error).message,
            });
          }
          return otlpError('UNAVAILABLE', `otel-sysmon bridge cannot take more data now: ${(err as Error).message}`, 5);
        }
        // Taken (by Proton or the spool): the bridge accepts exports again.
        spoolWrites.succeeded();
      }
      counts.acceptedPoints += converted.acceptedCount;
      counts.rejectedPoints += converted.rejectedCount;
      if (converted.rejectedCount === 0) return { kind: 'ok' };
      return {
        kind: 'ok',
        partialSuccess: { rejectedDataPoints: converted.rejectedCount, errorMessage: rejectionMessage(converted.rejected) },
      };
    },
  });

  /** DDL with retries (backing off as the sender does) while Proton is unreachable; a refusal (4xx) is fatal. */
  async function prepareStreams(): Promise<void> {
    const backoff = new Breaker({ initialDelayMs: o.backoffInitialMs ?? 500, maxDelayMs: o.backoffMaxMs ?? 30_000 });
    for (;;) {
      try {
        const n = await createStreams(client, o.proton.database);
        log.info('Proton streams ready', { statements: n, database: o.proton.database });
        return;
      } catch (err) {
        if (!(err instanceof ProtonError) || !err.retryable) {
          const e = new Error(`cannot create Proton streams: ${(err as Error).message}`);
          fail(e);
          throw e;
        }
        if (stopping) throw err;
        log.warn('Proton not reachable for stream creation; retrying (exports are spooled meanwhile)', { reason: err.message });
        await new Promise((resolve) => setTimeout(resolve, backoff.failed(Date.now())));
      }
    }
  }

  return {
    get grpcPort() {
      return server.grpcPort;
    },
    get httpPort() {
      return server.httpPort;
    },
    spool,
    fatal,
    counters: () => {
      const f = server.inFlight();
      return { ...counts, ...sender.stats, inFlightBytes: f.bytes, inFlightPeakBytes: f.peak, inFlightLimitBytes: f.limit, throttledRequests: f.refused };
    },
    async start() {
      if (o.createStreams) {
        const ready = prepareStreams();
        ready.catch(() => {});
        sender.waitFor(ready);
      }
      sender.start();
      await server.start();
    },
    async stop(drainMs = 0) {
      stopping = true;
      await server.stop();
      await batcher.flushAll();
      if (drainMs > 0) await sender.drain(drainMs);
      await sender.stop();
      client.close();
      const left = spool.stats();
      spool.close();
      log.info('bridge stopped', { sent_rows: sender.stats.sentRows, spooled_rows: left.rows, dead_records: left.deadRecords });
    },
  };
}
