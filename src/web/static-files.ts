// The page's files: a fixed table from served name to file on disk (nothing else under /ui/ is
// reachable), read and compressed once on first request, answered with gzip or brotli as the
// browser accepts, an ETag, and the page's Content-Security-Policy.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

/**
 * Everything the page loads comes from this origin; no inline script or style (uPlot sizes its
 * elements through CSSOM, which style-src does not govern).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every page file carries. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// src/web/ and dist/src/web/: the static folder and the compiled client sit next to this file.
const here = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));

function staticDir(): string {
  for (const rel of ['./static/', '../../../src/web/static/']) {
    if (existsSync(here(rel) + 'index.html')) return here(rel);
  }
  throw new Error('web page files not found (expected src/web/static/ in the package)');
}

/** Served name -> file on disk. The client's modules import each other and the shared formatters by these names. */
export function pageFiles(): ReadonlyMap<string, string> {
  const dir = staticDir();
  const uplot = createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js');
  return new Map([
    ['index.html', dir + 'index.html'],
    ['app.css', dir + 'app.css'],
    ['favicon.svg', dir + 'favicon.svg'],
    ['uPlot.iife.min.js', uplot],
    ['uPlot.min.css', uplot.replace(/uPlot\.iife\.min\.js$/, 'uPlot.min.css')],
    ['app.js', here('./client/app.js')],
    ['charts.js', here('./client/charts.js')],
    ['dom.js', here('./client/dom.js')],
    ['metrics-view.js', here('./client/metrics-view.js')],
    ['builds-view.js', here('./client/builds-view.js')],
    ['quiet-view.js', here('./client/quiet-view.js')],
    ['units.js', here('./client/units.js')],
    ['stream.js', here('./client/stream.js')],
    ['stream-worker.js', here('./client/stream-worker.js')],
    ['events.js', here('./client/events.js')],
    ['panel.js', here('../ui/panel.js')],
    ['panel-format.js', here('../ui/panel-format.js')],
    ['format.js', here('../ui/format.js')],
    ['top-model.js', here('../ui/top-model.js')],
    ['streak-window.js', here('../ui/streak-window.js')],
  ]);
}

interface Encoded {
  readonly type: string;
  readonly etag: string;
  readonly identity: Buffer;
  readonly gzip: Buffer;
  readonly br: Buffer;
}

function encode(path: string): Encoded {
  const identity = readFileSync(path);
  const ext = /\.[a-z]+$/.exec(path)?.[0] ?? '';
  return {
    type: TYPES[ext] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`,
    identity,
    gzip: gzipSync(identity, { level: 9 }),
    br: brotliCompressSync(identity, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
  };
}

/** The best encoding the request accepts: br, then gzip, else none (q=0 refuses one). */
export function chooseEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | 'identity' {
  const accepted = new Set<string>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find((m) => m);
    if (name && !(q && Number(q[1]) === 0)) accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return 'identity';
}

/** Serves page files by name; files are read and compressed once, on their first request. */
export class StaticFiles {
  private readonly cache = new Map<string, Encoded>();

  constructor(private readonly files: ReadonlyMap<string, string> = pageFiles()) {}

  has(name: string): boolean {
    return this.files.has(name);
  }

  /** Answers 200 (or 304 for a matching If-None-Match); false when the name is not a page file. */
  serve(name: string, headers: IncomingHttpHeaders, res: ServerResponse): boolean {
    const path = this.files.get(name);
    if (!path) return false;
    let file = this.cache.get(name);
    if (!file) this.cache.set(name, (file = encode(path)));
    const common = { ...PAGE_HEADERS, ETag: file.etag, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' };
    if (headers['if-none-match'] === file.etag) {
      res.writeHead(304, common);
      res.end();
      return true;
    }
    const encoding = chooseEncoding(headers['accept-encoding'] as string | undefined);
    const body = file[encoding];
    res.writeHead(200, {
      ...common,
      'Content-Type': file.type,
      'Content-Length': body.length,
      ...(encoding === 'identity' ? {} : { 'Content-Encoding': encoding }),
    });
    res.end(body);
    return true;
  }
}
