// Lease scheduler benchmark: lease requests at 1,000 per second, open loop, on loopback, against the
// store + scheduler + API modules in a worker thread (the load generator does not share its event
// loop). Leases live one TTL (1 s) without heartbeats, so about half the requests are approved and
// expiry runs all the time. Reports the decision time (the scheduler call; target p99 < 1 ms), the
// store writes that follow it (one transaction per event-loop turn) and the round trip seen by the client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { next, RawConnection } from './api.js';
import { fmt, percentile } from './stats.js';
import type { Benchmark } from './types.js';

const RATE = 1000;
const SECONDS = 5;
const MAX_CONNECTIONS = 64;

const SERVER = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
(async () => {
  const [{ createStoreModule }, { createApiModule }, { createSchedulerModule }, { loadConfig }, { silentLogger }] =
    await Promise.all(workerData.modules.map((m) => import(m)));
  const config = loadConfig({
    argv: {
      dataDir: workerData.dir, apiListen: '127.0.0.1:0', quietHold: '0s', leaseTtl: '1s',
      schedulerCapacity: '5000', schedulerHeadroom: '0', schedulerMaxLeases: '10000', schedulerMaxPerAddon: '10000',
    },
    env: {},
  });
  const producers = [];
  const ctx = {
    config, log: silentLogger, dataDir: workerData.dir,
    addProducer: (p) => producers.push(p), histogram: () => ({ record() {} }), latest: () => undefined, onCollection() {},
  };
  const store = createStoreModule();
  const api = createApiModule();
  const module = createSchedulerModule({ store, api, diskFreePct: () => 50 });
  for (const m of [store, module, api]) await m.start(ctx);
  // A QUIET host (memory 40%), assessed every second as the agent would.
  const collect = () => {
    const points = new Map([['system.memory.utilization', [{ attributes: { 'system.memory.state': 'used' }, value: 0.4 }]]]);
    for (const p of producers) p({ add() {} }, { timeMs: Date.now(), points, errors: [] });
  };
  collect();
  const timer = setInterval(collect, 1000);
  // Time each decision exactly where the request route makes it.
  const s = module.scheduler;
  const decide = s.request.bind(s);
  const times = [];
  s.request = (r, wait) => {
    const t0 = performance.now();
    try { return decide(r, wait); } finally { times.push(performance.now() - t0); }
  };
  const repo = module.leases;
  const write = repo.flush.bind(repo);
  const flushes = [];
  repo.flush = () => {
    if (repo.pendingWrites === 0) return;
    const t0 = performance.now();
    try { return write(); } finally { flushes.push(performance.now() - t0); }
  };
  parentPort.on('message', async (msg) => {
    if (msg !== 'stop') return;
    clearInterval(timer);
    const decisions = s.decisionCounts();
    const events = store.db.prepare('SELECT COUNT(*) AS n FROM lease_events').get().n;
    for (const m of [api, module, store]) await m.stop();
    parentPort.postMessage({ times, flushes, decisions, events });
  });
  parentPort.postMessage({ url: api.url, token: require('node:fs').readFileSync(workerData.dir + '/api-token', 'utf8').trim() });
})().catch((err) => parentPort.postMessage({ error: String((err && err.stack) || err) }));
`;

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sysmon-bench-scheduler-'));
  const modules = ['../src/store/store.js', '../src/api/module.js', '../src/scheduler/module.js', '../src/config/load.js', '../src/log.js'].map(
    (m) => new URL(m, import.meta.url).href,
  );
  const worker = new Worker(SERVER, { eval: true, workerData: { dir, modules } });
  try {
    const { url: base, token } = (await next(worker)) as { url: string; token: string };
    const url = new URL(base);
    const head =
      `POST /api/scheduler/lease/request HTTP/1.1\r\nHost: ${url.host}\r\n` +
      `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\n`;
    const idle: RawConnection[] = await Promise.all(Array.from({ length: 8 }, () => RawConnection.open(Number(url.port))));
    let open = idle.length;
    const roundTrips: number[] = [];
    const statuses = new Map<number, number>();
    let sent = 0;
    let late = 0;
    const inFlight = new Set<Promise<void>>();
    const fire = async (i: number): Promise<void> => {
      let conn = idle.pop();
      if (!conn) {
        if (open >= MAX_CONNECTIONS) {
          late++;
          return;
        }
        open++;
        conn = await RawConnection.open(Number(url.port));
      }
      const body = JSON.stringify({ addon_id: `addon-${i % 20}`, job_type: 'bench', cost_units: 1 + (i % 20), priority: 'NORMAL' });
      const a = await conn.send(head, body);
      roundTrips.push(a.ms);
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      idle.push(conn);
    };
    // Open loop: request i is due at i/RATE seconds, whatever the answers before it did.
    const t0 = performance.now();
    while (sent < RATE * SECONDS) {
      const due = Math.min(RATE * SECONDS, Math.floor(((performance.now() - t0) / 1000) * RATE));
      while (sent < due) {
        const p = fire(sent++).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await sleep(1);
    }
    await Promise.all(inFlight);
    const seconds = (performance.now() - t0) / 1000;
    for (const c of idle) c.close();
    worker.postMessage('stop');
    const { times, flushes, decisions, events } = (await next(worker)) as {
      times: number[];
      flushes: number[];
      decisions: { result: string; reason: string; count: number }[];
      events: number;
    };
    const p99 = percentile(times, 99);
    const counts = decisions.map((d) => `${d.result}/${d.reason} ${d.count}`).join(', ');
    console.log(`scheduler: ${sent} lease requests in ${fmt(seconds, 1)} s (${fmt(sent / seconds, 0)}/s open loop, target ${RATE}/s), ${open} connections, ${late} not sent (all connections busy)`);
    console.log(`  decisions: ${counts}; ${events} lease events stored; HTTP statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    console.log(
      `  decision time (scheduler.request): p50 ${fmt(percentile(times, 50))} ms, p99 ${fmt(p99)} ms, ` +
        `max ${fmt(Math.max(...times))} ms (target p99 < 1 ms): ${p99 < 1 ? 'PASS' : 'FAIL'}`,
    );
    console.log(
      `  store writes after the answers: ${flushes.length} transactions, p50 ${fmt(percentile(flushes, 50))} ms, ` +
        `p99 ${fmt(percentile(flushes, 99))} ms, max ${fmt(Math.max(...flushes))} ms`,
    );
    console.log(
      `  round trip at the client (HTTP, validation, JSON): p50 ${fmt(percentile(roundTrips, 50))} ms, ` +
        `p99 ${fmt(percentile(roundTrips, 99))} ms, max ${fmt(Math.max(...roundTrips))} ms`,
    );
  } finally {
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  }
}

const benchmark: Benchmark = {
  name: 'scheduler',
  description: 'lease decisions at 1,000 requests/s on loopback: decision p99 and client round trip',
  run,
};
export default benchmark;
