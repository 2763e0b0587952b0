// Starts the store, builds and API modules in-process on 127.0.0.1:0 with a temporary data dir.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Histogram } from '@opentelemetry/api';
import type { AgentContext, Producer } from '../../src/agent/types.js';
import { createApiModule } from '../../src/api/module.js';
import { createBuildsModule } from '../../src/builds/module.js';
import type { Collection } from '../../src/collectors/types.js';
import { loadConfig } from '../../src/config/load.js';
import { type Logger, silentLogger } from '../../src/log.js';
import { createStoreModule } from '../../src/store/store.js';

export interface Harness {
  readonly dir: string;
  readonly url: string;
  readonly token: string;
  readonly builds: ReturnType<typeof createBuildsModule>;
  readonly api: ReturnType<typeof createApiModule>;
  readonly store: ReturnType<typeof createStoreModule>;
  readonly producers: Producer[];
  readonly listeners: ((c: Collection) => void)[];
  readonly durations: { value: number; attributes: unknown }[];
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  get(path: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function startHarness(argv: Record<string, unknown> = {}, log: Logger = silentLogger): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'sysmon-api-'));
  const config = loadConfig({ argv: { dataDir: dir, apiListen: '127.0.0.1:0', ...argv }, env: {} });
  const producers: Producer[] = [];
  const listeners: ((c: Collection) => void)[] = [];
  const durations: { value: number; attributes: unknown }[] = [];
  const ctx: AgentContext = {
    config,
    log,
    dataDir: dir,
    addProducer: (p) => producers.push(p),
    histogram: () => ({ record: (value: number, attributes: unknown) => durations.push({ value, attributes }) }) as unknown as Histogram,
    latest: () => undefined,
    onCollection: (l) => listeners.push(l),
  };
  const store = createStoreModule();
  const api = createApiModule();
  const builds = createBuildsModule({ store, api });
  const modules = [store, builds, api];
  const started: typeof modules = [];
  try {
    for (const m of modules) {
      await m.start(ctx);
      started.push(m);
    }
  } catch (err) {
    for (const m of started.reverse()) await m.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
  const url = api.url!;
  const post = async (path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url + path, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json(), headers: res.headers };
  };
  const get = async (path: string) => {
    const res = await fetch(url + path);
    return { status: res.status, body: await res.json() };
  };
  return {
    dir,
    url,
    token,
    builds,
    api,
    store,
    producers,
    listeners,
    durations,
    post,
    get,
    stop: async () => {
      for (const m of [...modules].reverse()) await m.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function snapshotBody(cpu: number, mem: number, at = new Date()): unknown {
  return { type: 'cpu_snapshot', timestamp: at.toISOString(), data: { cpu_percent: cpu, memory_mb: mem } };
}

export { freePort } from '../support/ports.js';
