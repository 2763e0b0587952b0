// The agent's event stream, decoded: each message against the one before, the full state again after
// a reconnection. The shared worker follows it for all of a browser's tabs; a tab without shared
// workers follows it itself.
import type { LiveState } from '../live-state.js';
import { decodeMessage, type LiveMessage } from './stream.js';

export function followEvents(show: (state: LiveState) => void, trouble: (text: string) => void): EventSource {
  const events = new EventSource('/api/ui/events');
  let last: LiveState | undefined;
  // A reconnected stream starts again with the full state.
  events.onopen = () => {
    last = undefined;
  };
  events.onmessage = (e: MessageEvent<string>) => {
    last = decodeMessage(JSON.parse(e.data) as LiveMessage, last);
    show(last);
  };
  events.onerror = () => trouble('connection lost, reconnecting…');
  return events;
}
