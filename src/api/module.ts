// The local API as an agent module: resolves the token, refuses unsafe listen addresses, and
// serves the shared Router. Other modules add routes through `router` (see router.ts).
import { createServer, type Server } from 'node:http';
import type { AgentModule } from '../agent/types.js';
import type { ListenAddress } from '../config/values.js';
import type { Logger } from '../log.js';
import { listenOn } from '../util/listen.js';
import { checkListenAllowed, resolveServerToken } from './auth.js';
import { type Handler, type RawHandler, type RouteOptions, Router } from './router.js';

export interface ApiServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on `listen` (port 0 = any free port) with generous but bounded timeouts. */
export async function listenApi(listener: Router['listener'], listen: ListenAddress): Promise<ApiServer> {
  const server: Server = createServer({ requestTimeout: 15_000, headersTimeout: 10_000 }, listener);
  server.keepAliveTimeout = 5_000;
  const bound = await listenOn(server, listen, 'the local API', 'api-listen');
  return {
    url: `http://${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Long polls (the scheduler's queue) hold requests open on purpose: a moment, then cut them.
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
      }),
  };
}

export interface ApiModule extends AgentModule {
  /** Adds a route; callable before or after start (routes are looked up per request). */
  route(method: string, pattern: string, handler: Handler, options?: RouteOptions): void;
  /** Adds a route whose handler writes the response itself (static files, event streams). */
  raw(method: string, pattern: string, handler: RawHandler, options?: RouteOptions): void;
  /** Recent error rates and latency p95 (zeros before start). */
  requestStats(windowMs?: number): ReturnType<Router['requestStats']>;
  /** The URL the API listens on, once started. */
  readonly url: string | undefined;
}

interface PendingRoute {
  readonly method: string;
  readonly pattern: string;
  readonly handler: Handler | undefined;
  readonly raw?: RawHandler;
  readonly options?: RouteOptions;
}

/** The API module; start it after the modules that register routes (or before: routes may come later). */
export function createApiModule(): ApiModule {
  const pending: PendingRoute[] = [];
  let router: Router | undefined;
  let server: ApiServer | undefined;
  let log: Logger | undefined;
  return {
    name: 'api',
    get url() {
      return server?.url;
    },
    route(method, pattern, handler, options) {
      if (router) router.route(method, pattern, handler, options);
      else pending.push({ method, pattern, handler, options });
    },
    raw(method, pattern, handler, options) {
      if (router) router.raw(method, pattern, handler, options);
      else pending.push({ method, pattern, handler: undefined, raw: handler, options });
    },
    requestStats(windowMs) {
      return router ? router.requestStats(windowMs) : { requests: 0, serverErrorRate: 0, clientErrorRate: 0, latencyP95Ms: 0 };
    },
    async start(agent) {
      log = agent.log;
      const { token, source } = resolveServerToken({ apiTokenFile: agent.config.apiTokenFile, dataDir: agent.dataDir });
      checkListenAllowed(agent.config.apiListen.host, source);
      agent.log.redact(token);
      router = new Router({ token, log: agent.log });
      for (const r of pending.splice(0)) {
        if (r.raw) router.raw(r.method, r.pattern, r.raw, r.options);
        else router.route(r.method, r.pattern, r.handler!, r.options);
      }
      server = await listenApi(router.listener, agent.config.apiListen);
      agent.log.info('local API listening', { url: server.url, token: source });
    },
    async stop() {
      await server?.close();
      log?.debug('local API closed');
      server = undefined;
    },
  };
}
