// Server-sent events for the page: one stream per open tab. A message is serialized once for all
// tabs, and only when at least one is connected, so a closed page costs the collection nothing.
import type { ServerResponse } from 'node:http';
import { PAGE_HEADERS } from './static-files.js';

/** A comment line on a stream quiet this long keeps proxies and idle timeouts from closing it. */
export const KEEPALIVE_MS = 25_000;

export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private keepalive: NodeJS.Timeout | undefined;

  constructor(private readonly maxClients = 32) {}

  get size(): number {
    return this.clients.size;
  }

  /** Takes over the response; `first` is sent at once (the page paints without waiting a collection). */
  attach(res: ServerResponse, first: (() => string) | undefined, retryMs: number): boolean {
    if (this.clients.size >= this.maxClients) return false;
    res.writeHead(200, {
      ...PAGE_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${Math.round(retryMs)}\n\n`);
    if (first) res.write(frame(first()));
    this.clients.add(res);
    res.on('close', () => this.detach(res));
    if (!this.keepalive) {
      this.keepalive = setInterval(() => this.writeAll(':\n\n'), KEEPALIVE_MS);
      this.keepalive.unref();
    }
    return true;
  }

  /** Sends one message to every tab; `data` is not called when none is open. */
  publish(data: () => string): void {
    if (this.clients.size === 0) return;
    // Encoded once for all tabs (a string would be encoded again for each socket).
    this.writeAll(Buffer.from(frame(data())));
    // A message keeps the stream alive as well as a comment does: no extra wake-up while messages flow.
    this.keepalive?.refresh();
  }

  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.stopKeepalive();
  }

  private writeAll(text: string | Buffer): void {
    for (const res of this.clients) {
      // A tab that cannot keep up (a stalled connection) is dropped rather than buffered without bound.
      if (res.writableLength > 4 * 1024 * 1024) res.destroy();
      else res.write(text);
    }
  }

  private detach(res: ServerResponse): void {
    this.clients.delete(res);
    if (this.clients.size === 0) this.stopKeepalive();
  }

  private stopKeepalive(): void {
    clearInterval(this.keepalive);
    this.keepalive = undefined;
  }
}

/** One `data:` line: JSON never contains a raw newline. */
function frame(json: string): string {
  return `data: ${json}\n\n`;
}
