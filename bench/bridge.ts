// Throughput of `otel-sysmon bridge` on loopback: OTLP exports in (HTTP/protobuf, then gRPC, as a
// Collector's batch processor sends them), rows out to a Proton-like ingest endpoint that parses every
// body (run in a child process, as Proton would be another process). Points/s counts OTLP points from
// the first export until the last of their rows was accepted downstream. Target: >= 100,000 points/s.
// A third run keeps "Proton" down while exports arrive (everything goes through the durable spool),
// then starts it and measures how fast the backlog drains.
import { Client, credentials } from '@grpc/grpc-js';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBridge } from '../src/bridge/bridge.js';
import { silentLogger } from '../src/log.js';
import type { PlainMetric, PlainNumberPoint, PlainResourceMetrics } from '../src/otlp/plain.js';
import { countDataPoints, encodeMetricsRequest, METRICS_EXPORT_PATH } from '../src/otlp/proto.js';
import type { Benchmark } from './types.js';

const RESOURCES_PER_REQUEST = 8;
const CORES = 16;
const MODES = ['user', 'system', 'nice', 'idle', 'iowait', 'interrupt', 'steal'];
const SEND_MS = 4000;
// Exports in flight at once, as the gateway's otlp/proton exporter sends them (sending_queue.num_consumers).
const CONCURRENCY = 8;
const TARGET = 100_000;

// Accepts ingest requests, parses each body and counts rows; reports the count over IPC when asked.
const SINK = `
const http = require('node:http');
let rows = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (!Array.isArray(body.columns) || !Array.isArray(body.data)) { res.writeHead(400); res.end('{}'); return; }
    rows += body.data.length;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"request_id":"bench"}');
  });
});
server.listen(Number(process.argv[1] || 0), '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', () => process.send({ rows }));
`;

function startSink(port = 0): Promise<{ child: ChildProcess; port: number; rows: () => Promise<number> }> {
  const child = spawn(process.execPath, ['-e', SINK, String(port)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m: { port: number }) =>
      resolve({
        child,
        port: m.port,
        rows: () =>
          new Promise((res) => {
            child.once('message', (r: { rows: number }) => res(r.rows));
            child.send('rows?');
          }),
      }),
    );
  });
}

function gauge(name: string, unit: string, points: PlainNumberPoint[]): PlainMetric {
  return { name, description: '', unit, type: 'gauge', points };
}

/** One Collector-batched export: several agents' full CPU collections. */
function exportBody(seq: number): { body: Uint8Array; points: number } {
  const t = BigInt(Date.now()) * 1_000_000n + BigInt(seq);
  const start = t - 3_600_000_000_000n;
  const p = (value: number, attributes: PlainNumberPoint['attributes']): PlainNumberPoint => ({
    attributes,
    startTimeUnixNano: start,
    timeUnixNano: t,
    value,
    valueType: 'double',
    flags: 0,
  });
  const resources: PlainResourceMetrics[] = [];
  for (let r = 0; r < RESOURCES_PER_REQUEST; r++) {
    const cpuTime: PlainNumberPoint[] = [];
    const util: PlainNumberPoint[] = [];
    const freq: PlainNumberPoint[] = [];
    for (let c = 0; c < CORES; c++) {
      for (const mode of MODES) {
        cpuTime.push(p(1000 + c + seq / 100, { 'cpu.mode': mode, 'cpu.logical_number': c }));
        util.push(p(1 / MODES.length, { 'cpu.mode': mode, 'cpu.logical_number': c }));
      }
      freq.push(p(2.4e9 + c, { 'cpu.logical_number': c }));
    }
    resources.push({
      resource: {
        'service.name': 'otel-sysmon',
        'service.version': '0.1.0',
        'service.instance.id': `4b1c2d9e-0000-4000-8000-00000000000${r}`,
        'host.name': `build-${r}.example.net`,
        'host.id': `3d1219c7c4c5404aaa1f6d2a48adfd${r}0`,
        'host.arch': 'amd64',
        'os.type': 'linux',
        'os.description': 'AlmaLinux 9.4 (Seafoam Ocelot) Linux 5.14.0',
      },
      schemaUrl: '',
      scopeMetrics: [
        {
          scope: { name: 'otel-sysmon', version: '0.1.0', attributes: {} },
          schemaUrl: '',
          metrics: [
            { name: 'system.cpu.time', description: '', unit: 's', type: 'sum', monotonic: true, temporality: 'cumulative', points: cpuTime },
            gauge('system.cpu.utilization', '1', util),
            gauge('system.cpu.frequency', 'Hz', freq),
          ],
        },
      ],
    });
  }
  const req = { resourceMetrics: resources };
  return { body: encodeMetricsRequest(req), points: countDataPoints(req) };
}

type Send = (body: Uint8Array) => Promise<void>;

function httpSender(port: number): { send: Send; close: () => void } {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const send: Send = (body) =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/v1/metrics', method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`bridge answered ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}

function grpcSender(port: number): { send: Send; close: () => void } {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const send: Send = (body) =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest(
        METRICS_EXPORT_PATH,
        (x: Buffer) => x,
        (x: Buffer) => x,
        Buffer.from(body),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  return { send, close: () => client.close() };
}

async function measure(transport: 'http' | 'grpc', protonDown = false): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sysmon-bench-bridge-'));
  // Down: a port that was free a moment ago, with nothing listening until the exports are in.
  const downPort = protonDown ? await startSink().then((s) => (s.child.kill(), s.port)) : 0;
  let sink = protonDown ? undefined : await startSink();
  const bridge = createBridge({
    grpc: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    proton: { url: new URL(`http://127.0.0.1:${sink?.port ?? downPort}`), database: 'default' },
    createStreams: false,
    dataDir: dir,
    spoolMaxBytes: 4 * 1024 ** 3,
    spoolMaxAgeMs: 3_600_000,
    batchRows: 20_000,
    batchDelayMs: 50,
    backoffMaxMs: 200,
    log: silentLogger,
  });
  await bridge.start();
  const client = transport === 'http' ? httpSender(bridge.httpPort!) : grpcSender(bridge.grpcPort!);
  // Bodies are made before the clock starts: encoding is the sender's cost, not the bridge's.
  const bodies = Array.from({ length: 16 }, (_, i) => exportBody(i));
  const perRequest = bodies[0].points;
  let sent = 0;
  let requests = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() - t0 < SEND_MS) {
        await client.send(bodies[requests++ % bodies.length].body);
        sent += perRequest;
      }
    }),
  );
  const acked = performance.now();
  if (!sink) sink = await startSink(downPort);
  const sinkUp = performance.now();
  const expectedRows = bridge.counters().acceptedPoints + requests * RESOURCES_PER_REQUEST * CORES;
  const deadline = Date.now() + 120_000;
  let delivered = 0;
  while ((delivered = await sink.rows()) < expectedRows && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const drained = performance.now();
  const done = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const seconds = (done - t0) / 1000;
  const rate = sent / seconds;
  const mb = (n: number) => Math.round(n).toLocaleString('en-US');
  if (protonDown) {
    const drainSeconds = (drained - sinkUp) / 1000;
    process.stdout.write(
      `${transport}, Proton down: ${sent} points spooled at ${mb(sent / ((acked - t0) / 1000))} points/s; ` +
        `backlog of ${delivered} rows drained in ${drainSeconds.toFixed(2)} s (${mb(delivered / drainSeconds)} rows/s)\n`,
    );
  } else {
    process.stdout.write(
      `${transport.padEnd(5)} ${requests} exports x ${perRequest} points = ${sent} points; ` +
        `all ${delivered} rows in Proton after ${seconds.toFixed(2)} s\n` +
        `      ${mb(rate)} points/s through the bridge (${mb(delivered / seconds)} rows/s); ` +
        `bridge process CPU ${((cpu.user + cpu.system) / 1000 / (done - t0)).toFixed(2)} cores, ` +
        `${((cpu.user + cpu.system) / sent).toFixed(1)} µs per point (${mb(sent / ((cpu.user + cpu.system) / 1e6))} points/s per core busy)\n`,
    );
  }
  client.close();
  await bridge.stop();
  sink.child.kill();
  rmSync(dir, { recursive: true, force: true });
  if (delivered < expectedRows) throw new Error(`only ${delivered} of ${expectedRows} rows reached the sink`);
  return rate;
}

const bridgeBenchmark: Benchmark = {
  name: 'bridge',
  description: 'OTLP -> Proton bridge throughput on loopback (points/s, target >= 100,000)',
  async run() {
    const rates = [await measure('http'), await measure('grpc')];
    await measure('grpc', true);
    const worst = Math.min(...rates);
    process.stdout.write(
      `bridge: ${Math.round(worst).toLocaleString('en-US')} points/s at worst (target ${TARGET.toLocaleString('en-US')}): ${worst >= TARGET ? 'met' : 'NOT met'}\n`,
    );
  },
};

export default bridgeBenchmark;
