// When the page's messages go out. A message is cheap to build but its socket write is not: the first
// write after the agent slept wakes the browser on another CPU, about 0.1-0.3 ms on the 2-core VM
// measured, as much as the message itself. So a steady collection (only new values) is held and goes
// out with the next one, in one write: every collection still reaches the page, each as its own
// message, within two collections, and anything else (a series, an error, the frequency chain's
// outcome changed) goes at once with the held one before it.
import type { EventStream } from './event-stream.js';
import type { StreamEncoder } from './live-state.js';

export class Pusher {
  /** A steady collection's message not yet sent. */
  private held: string | undefined;

  constructor(
    private readonly events: EventStream,
    private readonly encoder: StreamEncoder,
  ) {}

  /** After each collection. */
  collected(): void {
    if (this.events.size === 0) {
      this.held = undefined;
      return;
    }
    if (this.held === undefined) {
      this.held = this.encoder.steady();
      if (this.held !== undefined) return;
    }
    const held = this.held;
    this.held = undefined;
    this.events.publish(() => (held === undefined ? this.encoder.next() : [held, this.encoder.next()]));
  }

  /**
   * Before a tab attaches: the open tabs get the held message, so every tab has seen the latest
   * collection, which the new tab's full state describes.
   */
  flush(): void {
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) this.events.publish(() => held);
  }
}
