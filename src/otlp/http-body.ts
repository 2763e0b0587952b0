// Reads an OTLP/HTTP request body within limits: at most `maxBytes` before and after decompression, and
// only bytes the in-flight budget grants. gzip and deflate are inflated by a zlib stream (on libuv's
// thread pool, never blocking the event loop), so a compressed body is never held twice. A body that
// breaks a limit stops being read at once; the caller answers and closes the connection.
import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';
import type { BudgetHold } from './in-flight.js';

export type BodyResult =
  | { readonly kind: 'ok'; readonly body: Buffer }
  /** Over maxBytes, declared or read (413). */
  | { readonly kind: 'too-large' }
  /** The in-flight budget cannot hold it now (429). */
  | { readonly kind: 'busy' }
  /** Unsupported or corrupt content encoding (400). */
  | { readonly kind: 'bad-encoding'; readonly message: string };

/** The declared Content-Length, or undefined when absent (chunked) or unreadable. */
function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

function inflater(encoding: string): Gunzip | Inflate | undefined | 'unsupported' {
  if (encoding === '' || encoding === 'identity') return undefined;
  if (encoding === 'gzip') return createGunzip();
  if (encoding === 'deflate') return createInflate();
  return 'unsupported';
}

/** Collects chunks into one buffer, taking budget for every byte and refusing beyond maxBytes. */
class Collector {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly fixed: Buffer | undefined;
  failure: 'too-large' | 'busy' | undefined;

  constructor(
    private readonly hold: BudgetHold,
    private readonly maxBytes: number,
    /** Known final size (identity body with Content-Length): filled in place, taken up front. */
    known?: number,
  ) {
    if (known !== undefined) {
      if (known > maxBytes) this.failure = 'too-large';
      else if (!hold.take(known)) this.failure = 'busy';
      else this.fixed = Buffer.allocUnsafe(known);
    }
  }

  /** False once a limit is broken (stop feeding). */
  add(chunk: Buffer): boolean {
    if (this.failure) return false;
    if (this.size + chunk.length > this.maxBytes) this.failure = 'too-large';
    else if (this.fixed) {
      chunk.copy(this.fixed, this.size);
      this.size += chunk.length;
      return true;
    } else if (!this.hold.take(chunk.length)) this.failure = 'busy';
    else {
      this.chunks.push(chunk);
      this.size += chunk.length;
      return true;
    }
    this.chunks.length = 0;
    return false;
  }

  result(): BodyResult {
    if (this.failure) return { kind: this.failure };
    if (this.fixed) return { kind: 'ok', body: this.size === this.fixed.length ? this.fixed : this.fixed.subarray(0, this.size) };
    if (this.chunks.length === 1) return { kind: 'ok', body: this.chunks[0] };
    // The joined copy is held too until the chunks are gone.
    if (!this.hold.take(this.size)) return { kind: 'busy' };
    const body = Buffer.concat(this.chunks, this.size);
    this.chunks.length = 0;
    this.hold.give(this.size);
    return { kind: 'ok', body };
  }
}

export function readBody(req: IncomingMessage, maxBytes: number, hold: BudgetHold): Promise<BodyResult> {
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  const zlib = inflater(encoding);
  if (zlib === 'unsupported') {
    return Promise.resolve({ kind: 'bad-encoding', message: `unsupported content-encoding ${JSON.stringify(encoding)}: expected gzip, deflate or identity` });
  }
  const declared = declaredLength(req);
  // The compressed body is not kept, but it may not be larger than the limit either.
  if (declared !== undefined && declared > maxBytes) return Promise.resolve({ kind: 'too-large' });
  const out = new Collector(hold, maxBytes, zlib ? undefined : declared);
  if (out.failure) return Promise.resolve(out.result());

  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: BodyResult) => {
      if (settled) return;
      settled = true;
      req.unpipe();
      req.pause();
      zlib?.destroy();
      resolve(r);
    };
    const sink = zlib ?? req;
    let read = 0;
    if (zlib) {
      req.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > maxBytes) finish({ kind: 'too-large' });
      });
      req.pipe(zlib);
      zlib.on('error', (err) => finish({ kind: 'bad-encoding', message: `cannot decompress body: ${err.message}` }));
    }
    sink.on('data', (chunk: Buffer) => {
      if (!out.add(chunk)) finish(out.result());
    });
    sink.on('end', () => finish(out.result()));
    req.on('error', () => finish({ kind: 'bad-encoding', message: 'request aborted' }));
    req.on('aborted', () => finish({ kind: 'bad-encoding', message: 'request aborted' }));
  });
}
