// The page: paints the latest state, then follows the agent's event stream (one message per
// collection, shared by the browser's tabs through stream-worker.ts). It only reads; on a lost stream
// the browser reconnects by itself.
import type { LiveState } from '../live-state.js';
import { followEvents } from './events.js';
import type { StreamNews, TabNews } from './stream-worker.js';
import { BuildsView } from './builds-view.js';
import { byId, fill, getJson } from './dom.js';
import { type CatalogueEntry, MetricsView } from './metrics-view.js';
import { QuietView } from './quiet-view.js';

async function main(): Promise<void> {
  const status = byId('status');
  const { metrics: catalogue } = await getJson<{ metrics: CatalogueEntry[] }>('/api/catalogue');
  const metrics = new MetricsView(catalogue);
  const builds = new BuildsView();
  const quiet = new QuietView();
  let busy = Promise.resolve();
  let updates = 0;

  const show = (state: LiveState): void => {
    // One update at a time: a slow fetch must not interleave two states.
    busy = busy
      .then(async () => {
        const host = state.resource['host.name'];
        fill(byId('host'), host === undefined ? '' : String(host));
        if (state.collected_at === null) {
          fill(status, 'waiting for the first collection…');
          return;
        }
        metrics.update(state);
        await Promise.all([builds.update(state), quiet.update(state)]);
        updates++;
        document.body.dataset.collectedAt = state.collected_at;
        document.body.dataset.updates = String(updates);
        fill(status, `live · collected ${new Date(state.collected_at).toLocaleTimeString('en-GB', { hour12: false })} · every ${state.interval_ms / 1000} s`);
      })
      .catch((err: unknown) => {
        fill(status, `error: ${(err as Error).message}`);
      });
  };

  follow(show, (text) => fill(status, text));

  const redraw = (): void => {
    metrics.redraw();
    builds.redraw();
  };
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', redraw);
  let resizeTimer: number | undefined;
  addEventListener('resize', () => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(redraw, 200);
  });
}

/**
 * Follows the agent's event stream: through the shared worker, so all of this browser's tabs share
 * one stream, or, where shared workers are missing (Chrome on Android), with this tab's own.
 */
function follow(show: (state: LiveState) => void, trouble: (text: string) => void): void {
  if (typeof SharedWorker === 'function') {
    const worker = new SharedWorker('/ui/stream-worker.js', { type: 'module', name: 'otel-sysmon event stream' });
    const say = (news: TabNews): void => worker.port.postMessage(news);
    worker.port.onmessage = (e: MessageEvent<StreamNews>) => ('state' in e.data ? show(e.data.state) : trouble(e.data.status));
    addEventListener('pagehide', () => say('leave'));
    addEventListener('pageshow', (e) => {
      if (e.persisted) say('back');
    });
    return;
  }
  followEvents(show, trouble);
}

main().catch((err: unknown) => {
  fill(byId('status'), `error: ${(err as Error).message}`);
});
