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

/**
 * glibc raises its mmap threshold (and its trim threshold to twice that) whenever it frees an mmapped
 * block of up to 32 MiB: after one 31 MB body, freed memory stays in the heap for good. Large bodies are
 * therefore allocated above that size (pages never written cost no RSS) and go back to the system on free.
 */
const MMAP_DYNAMIC_MAX = 32 * 1024 * 1024;
const LARGE_BODY = 1024 * 1024;

function bodyBuffer(n: number): Buffer {
  return n < LARGE_BODY ? Buffer.allocUnsafe(n) : Buffer.allocUnsafe(Math.max(n, MMAP_DYNAMIC_MAX + 4096)).subarray(0, n);
}

/** The declared Content-Length, or undefined when absent (chunked) or unreadable. */
function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

// Output in 256 KiB pieces: blocks large enough for the allocator to map them and return them on free,
// not thousands of 16 KiB ones that stay in its heap.
const ZLIB_OPTIONS = { chunkSize: 256 * 1024 };

function inflater(encoding: string): Gunzip | Inflate | undefined | 'unsupported' {
  if (encoding === '' || encoding === 'identity') return undefined;
  if (encoding === 'gzip') return createGunzip(ZLIB_OPTIONS);
  if (encoding === 'deflate') return createInflate(ZLIB_OPTIONS);
  return 'unsupported';
}

/**
 * Collects chunks into one buffer, taking budget for every byte and refusing beyond maxBytes. Past 1 MiB
 * the chunks are copied into one buffer of the largest allowed size (only the pages written cost memory),
 * so a large body is never held twice, as chunks and joined.
 */
class Collector {
  private chunks: Buffer[] = [];
  private size = 0;
  private target: Buffer | undefined;
  failure: 'too-large' | 'busy' | undefined;

  constructor(
    private readonly hold: BudgetHold,
    private readonly maxBytes: number,
    /** Known final size (identity body with Content-Length): taken up front, filled in place. */
    private readonly known?: number,
  ) {
    if (known !== undefined) {
      if (known > maxBytes) this.failure = 'too-large';
      else if (!hold.take(known)) this.failure = 'busy';
      else this.target = bodyBuffer(known);
    }
  }

  /** False once a limit is broken (stop feeding). */
  add(chunk: Buffer): boolean {
    if (this.failure) return false;
    if (this.size + chunk.length > this.maxBytes) this.failure = 'too-large';
    else if (this.known === undefined && !this.hold.take(chunk.length)) this.failure = 'busy';
    if (this.failure) {
      this.chunks = [];
      this.target = undefined;
      return false;
    }
    if (this.target) chunk.copy(this.target, this.size);
    else {
      this.chunks.push(chunk);
      if (this.size + chunk.length >= LARGE_BODY) {
        this.target = bodyBuffer(this.maxBytes);
        let at = 0;
        for (const c of this.chunks) at += c.copy(this.target, at);
        this.chunks = [];
      }
    }
    this.size += chunk.length;
    return true;
  }

  result(): BodyResult {
    if (this.failure) return { kind: this.failure };
    if (this.target) return { kind: 'ok', body: this.target.subarray(0, this.size) };
    // A copy, also of a single chunk: zlib's chunks are views of its larger output buffers.
    return { kind: 'ok', body: Buffer.concat(this.chunks, this.size) };
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
