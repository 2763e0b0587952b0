// The page's event stream: messages reach every open tab, and with no tab open nothing is
// serialized (a closed page costs the collection nothing).
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStream } from '../../src/web/event-stream.js';
import { waitFor } from '../helpers/wait.js';

let server: Server | undefined;

async function serve(stream: EventStream, first: () => string): Promise<string> {
  server = createServer((_req, res) => {
    if (!stream.attach(res, first, 1000)) {
      res.writeHead(429);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** Reads the stream's text as it arrives. */
async function open(url: string) {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  let text = '';
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return { res, text: () => text, close: () => controller.abort() };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

describe('EventStream', () => {
  it('serializes nothing while no tab is open, then pushes each message to every open tab', async () => {
    const stream = new EventStream();
    let built = 0;
    const message = (): string => JSON.stringify({ n: ++built });
    stream.publish(message);
    stream.publish(message);
    expect(built).toBe(0);

    const url = await serve(stream, () => '{"first":true}');
    const a = await open(url);
    const b = await open(url);
    expect(a.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(a.res.headers.get('content-security-policy')).toContain("default-src 'none'");
    await waitFor(() => stream.size === 2, { what: 'two tabs attached' });
    stream.publish(message);
    expect(built).toBe(1);
    const expected = 'retry: 1000\n\ndata: {"first":true}\n\ndata: {"n":1}\n\n';
    await waitFor(() => a.text() === expected && b.text() === expected, { what: 'both tabs to get the message' });

    a.close();
    b.close();
    await waitFor(() => stream.size === 0, { what: 'closed tabs to detach' });
    stream.publish(message);
    expect(built).toBe(1);
  });

  it('refuses tabs beyond its limit and ends every stream on close', async () => {
    const stream = new EventStream(1);
    const url = await serve(stream, () => '{}');
    const a = await open(url);
    await waitFor(() => stream.size === 1);
    const refused = await fetch(url);
    expect(refused.status).toBe(429);
    stream.close();
    expect(stream.size).toBe(0);
    await waitFor(() => a.text().endsWith('data: {}\n\n'));
    a.close();
  });

  it('frames each message as one chunk for HTTP/1.1 and as the bare event for HTTP/1.0', async () => {
    const stream = new EventStream();
    const url = new URL(await serve(stream, () => '{"first":true}'));
    const raw = (version: string) => {
      let text = '';
      const socket = connect(Number(url.port), '127.0.0.1', () => socket.write(`GET / HTTP/${version}\r\nHost: 127.0.0.1\r\n\r\n`));
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => (text += d));
      return { text: () => text, close: () => socket.destroy() };
    };
    const http11 = raw('1.1');
    const http10 = raw('1.0');
    await waitFor(() => stream.size === 2, { what: 'two tabs attached' });
    stream.publish(() => '{"n":"é"}');
    const message = 'data: {"n":"é"}\n\n';
    const bytes = Buffer.byteLength(message);
    await waitFor(() => http11.text().endsWith(`${bytes.toString(16)}\r\n${Buffer.from(message).toString('latin1')}\r\n`), { what: 'the chunk on HTTP/1.1' });
    expect(http11.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Transfer-Encoding: chunked\r\n/);
    await waitFor(() => http10.text().endsWith(`data: {"first":true}\n\n${Buffer.from(message).toString('latin1')}`), { what: 'the bare event on HTTP/1.0' });
    expect(http10.text()).not.toContain('Transfer-Encoding');
    http11.close();
    http10.close();
  });
});
