// The page's routes on the local API. All are GET and follow the API's rule for reads (no token):
//   GET /                 the page (also /ui/index.html); GET /favicon.ico its icon
//   GET /ui/:file         the page's scripts, styles and the bundled uPlot (a fixed list, see static-files.ts)
//   GET /api/ui/state     the live state (live-state.ts) of the latest collection
//   GET /api/ui/events    the same, pushed as server-sent events: every collection, a steady one with
//                         the next (StreamEncoder, Pusher)
//   GET /api/catalogue    the metric catalogue: names, kinds, units, descriptions (labels for any metric)
import type { AgentContext } from '../agent/types.js';
import { ApiError, type RawHandler } from '../api/router.js';
import { CATALOGUE } from '../catalogue.js';
import { EventStream } from './event-stream.js';
import { liveState, type LiveSources, StreamEncoder } from './live-state.js';
import type { WebModuleDeps } from './module.js';
import { Pusher } from './pusher.js';
import { StaticFiles } from './static-files.js';

/** Registers the routes; returns what closes the open event streams. */
export function serveWebPage(agent: AgentContext, deps: WebModuleDeps): () => void {
  const files = new StaticFiles();
  // Opened and closed streams are logged: one per browser (its tabs share one, see stream-worker.ts).
  const events = new EventStream(undefined, (change, open) => agent.log.info(`page event stream ${change}`, { open }));
  const sources: LiveSources = {
    intervalMs: agent.config.interval,
    resource: agent.resource ?? {},
    latest: () => agent.latest(),
    frequencyReports: () => agent.frequencyReports?.(),
    builds: () => deps.builds.service,
    scheduler: () => deps.scheduler.scheduler,
    assessment: () => deps.scheduler.monitor?.current(),
    health: () => deps.scheduler.health(),
    now: Date.now,
  };
  const encoder = new StreamEncoder(sources);
  const pusher = new Pusher(events, encoder);
  agent.onCollection(() => pusher.collected());

  const file =
    (name: string): RawHandler =>
    (req, res) => {
      if (!files.serve(name, req.headers, res)) throw new ApiError(404, `no page file ${name}`, 'path');
    };
  deps.api.raw('GET', '/', file('index.html'));
  deps.api.raw('GET', '/favicon.ico', file('favicon.svg'));
  deps.api.raw('GET', '/ui/:file', (req, res) => file(req.params.file)(req, res));
  deps.api.route('GET', '/api/ui/state', () => ({ status: 200, body: liveState(sources) }));
  deps.api.route('GET', '/api/catalogue', () => ({
    status: 200,
    body: {
      metrics: CATALOGUE.map((m) => ({
        name: m.name,
        instrument: m.instrument,
        unit: m.unit,
        description: m.description,
        attributes: m.attributes,
      })),
    },
  }));
  deps.api.raw(
    'GET',
    '/api/ui/events',
    (_req, res) => {
      pusher.flush();
      if (!events.attach(res, () => encoder.full(), agent.config.interval)) throw new ApiError(429, 'too many open event streams', 'path', 5);
    },
    { longPoll: true },
  );
  return () => events.close();
}
