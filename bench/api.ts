// Local API benchmarks: validated telemetry POSTs per second on loopback (with p50/p99), and
// /api/stats latency with one million snapshot rows in the store. The agent side runs in a worker
// thread so the load generator does not share its event loop.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { percentile } from './stats.js';
import type { Benchmark } from './types.js';

const TELEMETRY_REQUESTS = 30_000;
/** The ingest target: latency is measured at this offered rate, open loop, not at saturation. */
const TARGET_RATE = 5_000;
const PACED_SECONDS = 5;
const CONCURRENCY = 32;
const STATS_REQUESTS = 5_000;
const SNAPSHOT_ROWS = 1_000_000;

// Runs in the worker: the store, builds and API modules with a minimal agent context.
const SERVER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const [{ createStoreModule }, { createApiModule }, { createBuildsModule }, { loadConfig }, { silentLogger }] =
    await Promise.all(workerData.modules.map((m) => import(m)));
  const config = loadConfig({ argv: { dataDir: workerData.dir, apiListen: '127.0.0.1:0' }, env: {} });
  const ctx = {
    config, log: silentLogger, dataDir: workerData.dir,
    addProducer() {}, histogram: () => ({ record() {} }), latest: () => undefined, onCollection() {},
  };
  const store = createStoreModule();
  const api = createApiModule();
  const builds = createBuildsModule({ store, api });
  for (const m of [store, builds, api]) await m.start(ctx);
  parentPort.on('message', async (msg) => {
    if (msg === 'fill') {
      const db = store.db;
      const insert = db.prepare('INSERT INTO cpu_snapshots (build_id, timestamp, cpu_percent, memory_mb) VALUES (?, ?, ?, ?)');
      const now = Date.now();
      db.transaction(() => {
        for (let i = 0; i < workerData.rows; i++) insert.run('bench-0', now - i * 1000, 50, 100);
      })();
      parentPort.postMessage({ filled: db.prepare('SELECT COUNT(*) AS n FROM cpu_snapshots').get().n });
    } else if (msg === 'stop') {
      for (const m of [api, builds, store]) await m.stop();
      parentPort.postMessage({ stopped: true, requestStats: api.requestStats(3_600_000) });
    }
  });
  parentPort.postMessage({ url: api.url, token: require('node:fs').readFileSync(workerData.dir + '/api-token', 'utf8').trim() });
})().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
`;

export interface Answer {
  readonly status: number;
  readonly ms: number;
}

function send(agent: Agent, url: URL, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, agent, headers: body ? { ...headers, 'Content-Length': Buffer.byteLength(body) } : headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A minimal HTTP/1.1 keep-alive client on a raw socket: one request in flight per connection.
 * node:http's client costs more CPU than the server it measures; this one leaves the cores to the agent.
 */
export class RawConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: ((a: Answer) => void) | undefined;
  private sentAt = 0;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.parse();
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(head: string, body: string): Promise<Answer> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.sentAt = performance.now();
      this.socket.write(`${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private parse(): void {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffer.length < end + 4 + length) return;
    this.buffer = this.buffer.subarray(end + 4 + length);
    const done = this.waiting;
    this.waiting = undefined;
    done?.({ status: Number(head.slice(9, 12)), ms: performance.now() - this.sentAt });
  }
}

export function next(worker: Worker): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    worker.once('message', (m: Record<string, unknown>) => (m.error ? reject(new Error(String(m.error))) : resolve(m)));
    worker.once('error', reject);
  });
}

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sysmon-bench-api-'));
  const modules = ['../src/store/store.js', '../src/api/module.js', '../src/builds/module.js', '../src/config/load.js', '../src/log.js'].map(
    (m) => new URL(m, import.meta.url).href,
  );
  const worker = new Worker(SERVER, { eval: true, workerData: { dir, modules, rows: SNAPSHOT_ROWS } });
  try {
    const { url: base, token } = (await next(worker)) as { url: string; token: string };
    const url = new URL(base);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };

    const BUILDS = 100;
    for (let b = 0; b < BUILDS; b++) {
      await send(agent, url, 'POST', '/api/builds', auth, JSON.stringify({ id: `bench-${b}`, name: `bench ${b}` }));
      await send(agent, url, 'POST', `/api/builds/bench-${b}/start`, auth);
    }

    // 1. Telemetry ingest: distinct worker ids (each request its own) so the one-per-second limit never applies.
    let sequence = 0;
    const telemetry = (): [string, string] => {
      const i = sequence++;
      const body = JSON.stringify({
        type: 'cpu_snapshot',
        timestamp: new Date().toISOString(),
        data: { cpu_percent: (i % 800) / 2, memory_mb: 100 + (i % 50) },
      });
      const head =
        `POST /api/builds/bench-${i % BUILDS}/telemetry HTTP/1.1\r\nHost: ${url.host}\r\n` +
        `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\nX-Worker-Id: w${i}\r\n`;
      return [head, body];
    };
    const statuses = new Map<number, number>();
    const count = (a: Answer) => statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    let connections = await Promise.all(Array.from({ length: CONCURRENCY }, () => RawConnection.open(Number(url.port))));

    // 1a. Throughput: every connection sends its next request as soon as the previous one is answered.
    const latencies: number[] = [];
    let sent = 0;
    const t0 = performance.now();
    const client = async (conn: RawConnection): Promise<void> => {
      while (sent < TELEMETRY_REQUESTS) {
        sent++;
        const a = await conn.send(...telemetry());
        latencies.push(a.ms);
        count(a);
      }
    };
    await Promise.all(connections.map(client));
    const perSecond = TELEMETRY_REQUESTS / ((performance.now() - t0) / 1000);
    console.log(
      `api telemetry, saturated: ${TELEMETRY_REQUESTS} POSTs on ${CONCURRENCY} connections: ${perSecond.toFixed(0)} req/s ` +
        `(target >= ${TARGET_RATE}), p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms (queueing included)`,
    );

    // 1b. Latency at the target rate, open loop: each request is due at a fixed time and its latency runs
    // from that time (a late send counts against the agent, no coordinated omission).
    for (const c of connections) c.close();
    connections = await Promise.all(Array.from({ length: CONCURRENCY }, () => RawConnection.open(Number(url.port))));
    const free = [...connections];
    const paced: number[] = [];
    const total = TARGET_RATE * PACED_SECONDS;
    const start = performance.now();
    let due = 0;
    let maxBacklog = 0;
    const backlog: number[] = [];
    const pump = (): void => {
      while (backlog.length > 0 && free.length > 0) {
        const dueAt = backlog.shift()!;
        const conn = free.pop()!;
        void conn.send(...telemetry()).then((a) => {
          paced.push(performance.now() - dueAt);
          count(a);
          free.push(conn);
          pump();
        });
      }
    };
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = performance.now();
        while (due < total && start + (due * 1000) / TARGET_RATE <= now) backlog.push(start + (due++ * 1000) / TARGET_RATE);
        maxBacklog = Math.max(maxBacklog, backlog.length);
        pump();
        if (due < total) setTimeout(tick, 1);
        else {
          const wait = (): void => (paced.length >= total ? resolve() : void setTimeout(wait, 5));
          wait();
        }
      };
      tick();
    });
    for (const c of connections) c.close();
    paced.sort((a, b) => a - b);
    console.log(
      `api telemetry at ${TARGET_RATE} req/s for ${PACED_SECONDS} s (open loop): p50 ${percentile(paced, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(paced, 99).toFixed(2)} ms (target < 10), max ${paced[paced.length - 1].toFixed(2)} ms, ` +
        `largest send backlog ${maxBacklog}; statuses over both runs ${JSON.stringify(Object.fromEntries(statuses))}`,
    );

    // 2. /api/stats: the same cost with few snapshot rows and with a million (totals are kept on write).
    const statsP = async (agentForStats: Agent): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < STATS_REQUESTS; i++) out.push((await send(agentForStats, url, 'GET', '/api/stats', {})).ms);
      return out;
    };
    const fewAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    await statsP(fewAgent); // warm-up: JIT and connection, not measured
    const few = await statsP(fewAgent);
    fewAgent.destroy();
    worker.postMessage('fill');
    const { filled } = (await next(worker)) as { filled: number };
    // The fill held the worker's event loop: start from fresh connections.
    agent.destroy();
    const statsAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const statsLatencies = await statsP(statsAgent);
    statsAgent.destroy();
    console.log(
      `api stats: ${STATS_REQUESTS} GET /api/stats, measured at the client with HTTP included: ` +
        `${TELEMETRY_REQUESTS + total} snapshot rows p50 ${percentile(few, 50).toFixed(3)} ms p99 ${percentile(few, 99).toFixed(3)} ms; ` +
        `${filled} rows p50 ${percentile(statsLatencies, 50).toFixed(3)} ms p99 ${percentile(statsLatencies, 99).toFixed(3)} ms (target < 1)`,
    );
    worker.postMessage('stop');
    await next(worker);
  } finally {
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  }
}

const benchmark: Benchmark = {
  name: 'api',
  description: 'local API: telemetry ingest rate and latency; /api/stats latency with 1M snapshots',
  run,
};
export default benchmark;
