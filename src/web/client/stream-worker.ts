// One event stream for every tab of a browser that shows the page: a shared worker holds it, decodes
// each message once and hands the state to each tab. Two tabs then cost the agent what one does (one
// socket write per collection, not one per tab). When the last tab goes, the stream closes.
import type { LiveState } from '../live-state.js';
import { followEvents } from './events.js';

/** What a tab hears from the worker: the latest state, or the stream's trouble. */
export type StreamNews = { readonly state: LiveState } | { readonly status: string };
/** What a tab tells the worker: it is leaving (pagehide), or back (from the back-forward cache). */
export type TabNews = 'leave' | 'back';

// The page compiles against the DOM library, not the worker one: the little of SharedWorkerGlobalScope used here.
declare const self: { onconnect: ((e: MessageEvent) => void) | null };

const tabs = new Set<MessagePort>();
let events: EventSource | undefined;
let last: LiveState | undefined;

function tell(news: StreamNews, to: Iterable<MessagePort> = tabs): void {
  for (const port of to) port.postMessage(news);
}

function follow(): void {
  events = followEvents(
    (state) => {
      last = state;
      tell({ state });
    },
    (status) => tell({ status }),
  );
}

function join(port: MessagePort): void {
  tabs.add(port);
  if (!events) follow();
  else if (last) tell({ state: last }, [port]);
}

self.onconnect = (e: MessageEvent) => {
  const port = e.ports[0];
  port.onmessage = (m: MessageEvent<TabNews>) => {
    if (m.data === 'back') return join(port);
    tabs.delete(port);
    if (tabs.size > 0) return;
    events?.close();
    events = undefined;
    last = undefined;
  };
  join(port);
};
