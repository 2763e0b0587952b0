// The agent's own process: process.cpu.time (user, system), process.memory.usage (RSS),
// process.thread.count and process.unix.file_descriptor.count, so a fleet can alert on a misbehaving
// agent. Always this process, whatever --procfs points at (seed 002's process collector).
import { readdirSync } from 'node:fs';
import { MalformedSourceError } from './collect.js';
import { KeptOpenFileReader } from './file-reader.js';
import type { CollectContext, Collector, PointSink } from './types.js';

/**
 * Descriptors are counted at most this often: listing /proc/self/fd costs 17 µs, more than the rest of
 * this collector, and a descriptor leak shows over minutes, not within seconds.
 */
const FD_COUNT_TTL_MS = 5_000;

const USER = { 'cpu.mode': 'user' } as const;
const SYSTEM = { 'cpu.mode': 'system' } as const;

/** num_threads (field 20) of a /proc/<pid>/stat line; the command name may hold spaces and parentheses. */
export function parseStatThreads(text: string, file = '/proc/self/stat'): number {
  const close = text.lastIndexOf(')');
  const fields = close < 0 ? [] : text.slice(close + 2).trim().split(' ');
  // fields[0] is field 3 (state), so field 20 is fields[17].
  const raw = fields[17];
  if (raw === undefined || !/^\d+$/.test(raw)) throw new MalformedSourceError(file, `expected num_threads in field 20, found "${raw ?? ''}"`);
  return Number(raw);
}

export interface ProcessSelfOptions {
  readonly platform?: NodeJS.Platform;
  /** Directory listing this process's descriptors (/proc/self/fd on Linux, /dev/fd on macOS). */
  readonly fdDir?: string;
  readonly statFile?: string;
  /** How long a descriptor count is reused (5 s by default). */
  readonly fdCountTtlMs?: number;
}

export class ProcessSelfCollector implements Collector {
  readonly name = 'process';
  private readonly files = new KeptOpenFileReader();
  private readonly fdDir: string | undefined;
  private readonly statFile: string | undefined;
  private readonly fdCountTtlMs: number;
  private fds: { count: number; atMs: number } = { count: 0, atMs: -Infinity };

  constructor(o: ProcessSelfOptions = {}) {
    const platform = o.platform ?? process.platform;
    const linux = platform === 'linux';
    this.fdDir = o.fdDir ?? (linux ? '/proc/self/fd' : platform === 'darwin' ? '/dev/fd' : undefined);
    this.statFile = o.statFile ?? (linux ? '/proc/self/stat' : undefined);
    this.fdCountTtlMs = o.fdCountTtlMs ?? FD_COUNT_TTL_MS;
  }

  collect(ctx: Pick<CollectContext, 'monoMs'>, sink: PointSink): void {
    const cpu = process.cpuUsage();
    sink.add('process.cpu.time', cpu.user / 1e6, USER);
    sink.add('process.cpu.time', cpu.system / 1e6, SYSTEM);
    sink.add('process.memory.usage', process.memoryUsage.rss());
    if (this.statFile) sink.add('process.thread.count', parseStatThreads(this.files.read(this.statFile), this.statFile));
    if (this.fdDir) {
      if (ctx.monoMs - this.fds.atMs >= this.fdCountTtlMs) {
        // The listing's own directory descriptor is in it while it is read: not one of the agent's.
        this.fds = { count: readdirSync(this.fdDir).length - 1, atMs: ctx.monoMs };
      }
      sink.add('process.unix.file_descriptor.count', this.fds.count);
    }
  }

  close(): void {
    this.files.close();
  }
}
