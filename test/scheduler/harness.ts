// The store, scheduler and API modules in-process on 127.0.0.1:0 with a temporary data dir and a
// fake clock; `collect()` plays one agent collection with a host built to order.
import type { MetricName } from '../../src/catalogue.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Histogram } from '@opentelemetry/api';
import type { AgentContext, Producer } from '../../src/agent/types.js';
import { createApiModule } from '../../src/api/module.js';
import type { Collection, Point } from '../../src/collectors/types.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { createSchedulerModule } from '../../src/scheduler/module.js';
import { createStoreModule } from '../../src/store/store.js';
import { MEM_FOR, memoryHost } from './fixtures.js';
import { ManualClock } from './manual-clock.js';

export interface Answer {
  readonly status: number;
  readonly body: any;
  readonly headers: Headers;
}

export async function startSchedulerHarness(argv: Record<string, unknown> = {}, clock = new ManualClock()) {
  const dir = mkdtempSync(join(tmpdir(), 'sysmon-sched-api-'));
  const config = loadConfig({ argv: { dataDir: dir, apiListen: '127.0.0.1:0', quietHold: '0s', ...argv }, env: {} });
  const producers: Producer[] = [];
  const listeners: ((c: Collection) => void)[] = [];
  let latest: Collection | undefined;
  const ctx: AgentContext = {
    config,
    log: silentLogger,
    dataDir: dir,
    addProducer: (p) => producers.push(p),
    histogram: () => ({ record: () => undefined }) as unknown as Histogram,
    latest: () => latest,
    onCollection: (l) => listeners.push(l),
  };
  const store = createStoreModule();
  const api = createApiModule();
  const scheduler = createSchedulerModule({ store, api, clock, diskFreePct: () => 50 });
  const modules = [store, scheduler, api];
  for (const m of modules) await m.start(ctx);
  const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
  const url = api.url!;

  const call = async (method: string, path: string, body?: unknown, auth = true): Promise<Answer> => {
    const res = await fetch(url + path, {
      method,
      headers: {
        ...(auth ? { Authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json(), headers: res.headers };
  };

  /**
   * One collection: the host shows memory at the percentage that gives `state`, plus any `extra` points;
   * returns the produced points.
   */
  const collect = async (state: keyof typeof MEM_FOR = 'QUIET', extra: Partial<Record<MetricName, Point[]>> = {}): Promise<Map<string, Point[]>> => {
    const c = memoryHost(MEM_FOR[state], clock.now());
    for (const [metric, list] of Object.entries(extra)) (c.points as Map<MetricName, Point[]>).set(metric as MetricName, list);
    const points = new Map<string, Point[]>();
    const sink = {
      add: (metric: string, value: number, attributes = {}) => {
        points.set(metric, [...(points.get(metric) ?? []), { attributes, value }]);
      },
    };
    for (const p of producers) await p(sink, c);
    latest = c;
    for (const l of listeners) l(c);
    return points;
  };

  return {
    dir,
    url,
    token,
    clock,
    config,
    module: scheduler,
    collect,
    post: (path: string, body?: unknown, auth = true) => call('POST', path, body, auth),
    get: (path: string) => call('GET', path, undefined, false),
    async stop() {
      for (const m of [...modules].reverse()) await m.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type SchedulerHarness = Awaited<ReturnType<typeof startSchedulerHarness>>;
