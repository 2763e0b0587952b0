// Soak test: `npm run soak -- --duration 10m`. Runs the built agent at a 100 ms interval against an
// OTLP receiver on 127.0.0.1 that goes away for 30 s every 2 minutes, then prints collections and
// points collected vs received, duplicates, RSS and open descriptors at start and end. Exits 1 when
// a target is missed: no collection lost, RSS growth under 10 MiB, no descriptor growth.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDuration } from '../src/config/values.js';
import type { PlainRequest } from '../src/otlp/plain.js';
import { countDataPoints } from '../src/otlp/proto.js';
import { createOtlpServer } from '../src/otlp/server.js';

const BIN = fileURLToPath(new URL('../../bin/otel-sysmon.js', import.meta.url));
const RSS_GROWTH_TARGET_KIB = 10 * 1024;
/** RSS and descriptors are taken this long after the start, once the agent has warmed up. */
const WARM_UP_MS = 15_000;

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10m' },
    interval: { type: 'string', default: '100ms' },
    'down-every': { type: 'string', default: '2m' },
    'down-for': { type: 'string', default: '30s' },
    protocol: { type: 'string', default: 'grpc' },
  },
});
const durationMs = parseDuration(opts.duration!);
const intervalMs = parseDuration(opts.interval!);
const downEveryMs = parseDuration(opts['down-every']!);
const downForMs = parseDuration(opts['down-for']!);
const grpc = opts.protocol === 'grpc';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

interface Received {
  count: number;
  points: number;
}
/** By collection time (ns): how often it arrived and how many points it carried. */
const received = new Map<bigint, Received>();
let lastSpoolRequests = -1;
let lastCollection = 0n;

function collectionTime(req: PlainRequest): bigint {
  let max = 0n;
  for (const rm of req.resourceMetrics)
    for (const sm of rm.scopeMetrics)
      for (const m of sm.metrics) {
        for (const p of m.points) if (p.timeUnixNano > max) max = p.timeUnixNano;
      }
  return max;
}

function spoolRequests(req: PlainRequest): number | undefined {
  for (const rm of req.resourceMetrics)
    for (const sm of rm.scopeMetrics)
      for (const m of sm.metrics) if (m.name === 'sysmon.export.spool.requests' && m.type === 'sum') return m.points[0]?.value;
  return undefined;
}

const server = createOtlpServer({
  grpc: grpc ? { host: '127.0.0.1', port: 0 } : undefined,
  http: grpc ? undefined : { host: '127.0.0.1', port: 0 },
  handle: ({ request }) => {
    const t = collectionTime(request);
    const entry = received.get(t) ?? { count: 0, points: countDataPoints(request) };
    entry.count++;
    received.set(t, entry);
    if (t > lastCollection) {
      lastCollection = t;
      lastSpoolRequests = spoolRequests(request) ?? -1;
    }
    return { kind: 'ok' };
  },
});

function procStat(pid: number): { rssKiB: number; fds: number } {
  return {
    rssKiB: Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]),
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}

function startAgent(endpoint: string, dataDir: string): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(OTEL_|SYSMON_|HOST_)/.test(k)) env[k] = v;
  const args = ['run', '--interval', `${intervalMs}ms`, '--otlp-protocol', grpc ? 'grpc' : 'http/protobuf'];
  const child = spawn(process.execPath, [BIN, ...args, '--otlp-endpoint', endpoint, '--data-dir', dataDir, '--api-listen', '127.0.0.1:0'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, stderr: () => stderr, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function main(): Promise<number> {
  await server.start();
  const endpoint = grpc ? `http://127.0.0.1:${server.grpcPort}` : `http://127.0.0.1:${server.httpPort}/v1/metrics`;
  const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-soak-'));
  const agent = startAgent(endpoint, dataDir);
  const began = Date.now();
  console.log(`soak: ${opts.duration} at ${intervalMs} ms, collector away ${downForMs / 1000} s every ${downEveryMs / 1000} s (${opts.protocol})`);

  let start: { rssKiB: number; fds: number } | undefined;
  let peakKiB = 0;
  let outages = 0;
  let up = true;
  while (Date.now() - began < durationMs) {
    if (agent.child.exitCode !== null) throw new Error(`agent exited (${agent.child.exitCode}):\n${agent.stderr()}`);
    const elapsed = Date.now() - began;
    // Up for (every - for), then down for `for`, repeatedly.
    const shouldBeUp = elapsed % downEveryMs < downEveryMs - downForMs;
    if (shouldBeUp !== up) {
      up = shouldBeUp;
      if (up) await server.start();
      else {
        await server.stop();
        outages++;
      }
      console.log(`  ${(elapsed / 1000).toFixed(0)}s collector ${up ? 'back' : 'away'}`);
    }
    const now = procStat(agent.child.pid!);
    peakKiB = Math.max(peakKiB, now.rssKiB);
    if (!start && elapsed >= WARM_UP_MS) start = now;
    await sleep(250);
  }
  if (!up) await server.start();
  const end = procStat(agent.child.pid!);

  // Drain: until a collection taken from now on arrives reporting an empty spool.
  const drainFrom = BigInt(Date.now()) * 1_000_000n;
  const drainDeadline = Date.now() + 120_000;
  while (!(lastCollection > drainFrom && lastSpoolRequests === 0) && Date.now() < drainDeadline) await sleep(100);
  agent.child.kill('SIGTERM');
  const code = await agent.exited;
  await server.stop();

  const log = agent.stderr();
  const collections = Number(/agent stopped collections=(\d+)/.exec(log)?.[1] ?? NaN);
  const distinct = [...received.keys()].sort((a, b) => (a < b ? -1 : 1));
  const requests = [...received.values()].reduce((n, r) => n + r.count, 0);
  const duplicates = requests - distinct.length;
  const pointsReceived = [...received.values()].reduce((n, r) => n + r.points, 0);
  const duplicatePoints = [...received.values()].reduce((n, r) => n + (r.count - 1) * r.points, 0);
  const pointsPerCollection = pointsReceived / distinct.length;
  let gaps = 0;
  for (let i = 1; i < distinct.length; i++) if (Number(distinct[i] - distinct[i - 1]) / 1e6 > 1.5 * intervalMs) gaps++;
  const lost = collections - distinct.length;
  const growth = end.rssKiB - start!.rssKiB;

  console.log(`
agent exit code         ${code}
outages                 ${outages} x ${downForMs / 1000} s
collections             ${collections} taken (agent log), ${distinct.length} received, ${lost} lost, ${gaps} gap(s) in the cadence
points                  ${Math.round(collections * pointsPerCollection)} collected (${collections} x ${pointsPerCollection.toFixed(1)} per collection), ${pointsReceived} received
duplicates              ${duplicates} request(s), ${duplicatePoints} point(s) (${((duplicates / distinct.length) * 100).toFixed(3)}%)
RSS                     ${mib(start!.rssKiB)} at ${WARM_UP_MS / 1000} s -> ${mib(end.rssKiB)} at the end (growth ${mib(growth)}, peak ${mib(peakKiB)})
open descriptors        ${start!.fds} at ${WARM_UP_MS / 1000} s -> ${end.fds} at the end
export log lines        ${(log.match(/export failed/g) ?? []).length} "export failed", ${(log.match(/collector accepts exports again/g) ?? []).length} "accepts again"`);

  rmSync(dataDir, { recursive: true, force: true });
  const missed = [
    code !== 0 && `agent exit code ${code}`,
    lost !== 0 && `${lost} collection(s) lost`,
    growth >= RSS_GROWTH_TARGET_KIB && `RSS grew ${mib(growth)}`,
    end.fds > start!.fds && `descriptors grew by ${end.fds - start!.fds}`,
  ].filter(Boolean);
  console.log(missed.length ? `\ntargets missed: ${missed.join('; ')}` : '\nall targets met');
  return missed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`soak failed: ${err.message}`);
    process.exit(1);
  },
);
