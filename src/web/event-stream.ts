// Server-sent events for the page: one stream per open tab. A message is serialized and framed once
// for all tabs, and only when at least one is connected, so a closed page costs the collection nothing.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PAGE_HEADERS } from './static-files.js';

/** A comment line on a stream quiet this long keeps proxies and idle timeouts from closing it. */
export const KEEPALIVE_MS = 25_000;

/** A tab that has this much unsent (a stalled connection) is dropped rather than buffered without bound. */
const MAX_BACKLOG = 4 * 1024 * 1024;

interface Tab {
  readonly socket: Socket;
  /** HTTP/1.1 (chunked body) or HTTP/1.0 (the body ends with the connection). */
  readonly chunked: boolean;
}

export class EventStream {
  private readonly tabs = new Map<ServerResponse, Tab>();
  private keepalive: NodeJS.Timeout | undefined;

  /** `onChange` hears of each tab attaching or going, with how many are open after it. */
  constructor(
    private readonly maxClients = 32,
    private readonly onChange?: (change: 'opened' | 'closed', open: number) => void,
  ) {}

  get size(): number {
    return this.tabs.size;
  }

  /** Takes over the response; `first` is sent at once (the page paints without waiting a collection). */
  attach(res: ServerResponse, first: (() => string) | undefined, retryMs: number): boolean {
    if (this.tabs.size >= this.maxClients || !res.socket) return false;
    res.writeHead(200, {
      ...PAGE_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    // Through the response: it sends the head with it and decides the framing.
    res.write(`retry: ${Math.round(retryMs)}\n\n${first ? frame(first()) : ''}`);
    this.tabs.set(res, { socket: res.socket, chunked: res.chunkedEncoding });
    res.on('close', () => this.detach(res));
    this.onChange?.('opened', this.tabs.size);
    if (!this.keepalive) {
      this.keepalive = setInterval(() => this.writeAll(':\n\n'), KEEPALIVE_MS);
      this.keepalive.unref();
    }
    return true;
  }

  /** Sends messages to every tab, in one write; `data` is not called when none is open. */
  publish(data: () => string | readonly string[]): void {
    if (this.tabs.size === 0) return;
    const messages = data();
    this.writeAll(typeof messages === 'string' ? frame(messages) : messages.map(frame).join(''));
    // A message keeps the stream alive as well as a comment does: no extra wake-up while messages flow.
    this.keepalive?.refresh();
  }

  close(): void {
    const open = [...this.tabs.keys()];
    this.tabs.clear();
    for (const res of open) res.end();
    this.stopKeepalive();
  }

  /**
   * Straight to each socket, framed once (a chunk of the chunked body, as the response would write
   * it): the response's own write path corks the socket, writes the chunk in four parts and uncorks
   * on the next tick, which is most of a message's cost to the agent at one message per collection.
   */
  private writeAll(text: string): void {
    let raw: Buffer | undefined;
    let chunk: Buffer | undefined;
    for (const tab of this.tabs.values()) {
      if (tab.socket.writableLength > MAX_BACKLOG) tab.socket.destroy();
      else if (tab.chunked) tab.socket.write((chunk ??= asChunk(text)));
      else tab.socket.write((raw ??= Buffer.from(text)));
    }
  }

  private detach(res: ServerResponse): void {
    if (!this.tabs.delete(res)) return;
    this.onChange?.('closed', this.tabs.size);
    if (this.tabs.size === 0) this.stopKeepalive();
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

/** One chunk of a chunked HTTP/1.1 body (RFC 9112 §7.1): size in hex, CRLF, the bytes, CRLF. */
function asChunk(text: string): Buffer {
  return Buffer.from(`${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`);
}
