// The page as served by the built agent, without a browser: compressed files with a strict
// Content-Security-Policy, revalidation, nothing outside the page's file list, `--ui false`.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseEncoding } from '../../src/web/static-files.js';
import { type RunningCli, startCli } from '../support/cli.js';

const BUILT = existsSync(fileURLToPath(new URL('../../dist/src/web/client/app.js', import.meta.url)));

/** A raw GET (fetch would decompress and hide Content-Encoding). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('chooseEncoding', () => {
  it('prefers brotli, then gzip, honours q=0, and falls back to none', () => {
    expect(chooseEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(chooseEncoding('gzip, br;q=0')).toBe('gzip');
    expect(chooseEncoding('gzip;q=0, deflate')).toBe('identity');
    expect(chooseEncoding(undefined)).toBe('identity');
  });
});

async function startAgent(extra: string[]): Promise<{ agent: RunningCli; url: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sysmon-web-files-'));
  const agent = startCli(['run', '--exporter', 'none', '--api-listen', '127.0.0.1:0', '--data-dir', dir, '--interval', '1s', ...extra], {}, { isolated: true });
  const url = (await agent.waitFor(/local API listening url=(\S+)/, 20_000))[1];
  return { agent, url, dir };
}

describe.skipIf(!BUILT)('the page files of a running agent', () => {
  let on: Awaited<ReturnType<typeof startAgent>>;
  let off: Awaited<ReturnType<typeof startAgent>>;

  beforeAll(async () => {
    [on, off] = await Promise.all([startAgent([]), startAgent(['--ui', 'false'])]);
    await on.agent.waitFor(/agent started/, 20_000);
  }, 60_000);

  afterAll(async () => {
    for (const a of [on, off]) {
      if (!a) continue;
      expect(await a.agent.stop('SIGTERM')).toBe(0);
      rmSync(a.dir, { recursive: true, force: true });
    }
  });

  it('serves the page compressed, with a strict Content-Security-Policy and an ETag', async () => {
    const plain = await get(`${on.url}/`);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(plain.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    const html = plain.body.toString('utf8');
    expect(html).toContain('<script type="module" src="/ui/app.js"></script>');
    expect(html).not.toMatch(/<script>|\sstyle="|\son[a-z]+="/);

    const br = await get(`${on.url}/ui/uPlot.iife.min.js`, { 'Accept-Encoding': 'gzip, br' });
    expect(br.headers['content-encoding']).toBe('br');
    const gz = await get(`${on.url}/ui/uPlot.iife.min.js`, { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const identity = await get(`${on.url}/ui/uPlot.iife.min.js`);
    expect(brotliDecompressSync(br.body)).toEqual(identity.body);
    expect(gunzipSync(gz.body)).toEqual(identity.body);
    expect(br.body.length).toBeLessThan(identity.body.length / 2);

    const again = await get(`${on.url}/ui/app.js`, { 'If-None-Match': String(br.headers.etag) });
    expect(again.status).toBe(200);
    const app = await get(`${on.url}/ui/app.js`);
    expect((await get(`${on.url}/ui/app.js`, { 'If-None-Match': String(app.headers.etag) })).status).toBe(304);
  });

  it('serves only its own files: no path outside the list, JSON 404 otherwise', async () => {
    for (const path of ['/ui/nope.js', '/ui/..%2Fpackage.json', '/ui/app.js.map', '/ui/%2e%2e%2f%2e%2e%2fpackage.json']) {
      const r = await get(`${on.url}${path}`);
      expect(r.status, path).toBe(404);
      expect(JSON.parse(r.body.toString()).field).toBe('path');
    }
  });

  it('--ui false serves no page and no stream, the API as before', async () => {
    expect((await get(`${off.url}/`)).status).toBe(404);
    expect((await get(`${off.url}/api/ui/events`)).status).toBe(404);
    expect((await get(`${off.url}/api/stats`)).status).toBe(200);
  });
});
