// The agent's own process: process.cpu.time (user, system), process.memory.usage (RSS),
// process.thread.count and process.unix.file_descriptor.count, so a fleet can alert on a misbehaving
// agent. Always this process, whatever --procfs points at (seed 002's process collector).
import { readdirSync } from 'node:fs';
import { MalformedSourceError } from './collect.js';
import { KeptOpenFileReader } from './file-reader.js';
import type { Collector, PointSink } from './types.js';

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
}

export class ProcessSelfCollector implements Collector {
  readonly name = 'process';
  private readonly files = new KeptOpenFileReader();
  private readonly platform: NodeJS.Platform;
  private readonly fdDir: string | undefined;
  private readonly statFile: string | undefined;

  constructor(o: ProcessSelfOptions = {}) {
    this.platform = o.platform ?? process.platform;
    const linux = this.platform === 'linux';
    this.fdDir = o.fdDir ?? (linux ? '/proc/self/fd' : this.platform === 'darwin' ? '/dev/fd' : undefined);
    this.statFile = o.statFile ?? (linux ? '/proc/self/stat' : undefined);
  }

  collect(_ctx: unknown, sink: PointSink): void {
    const cpu = process.cpuUsage();
    sink.add('process.cpu.time', cpu.user / 1e6, USER);
    sink.add('process.cpu.time', cpu.system / 1e6, SYSTEM);
    sink.add('process.memory.usage', process.memoryUsage.rss());
    if (this.statFile) sink.add('process.thread.count', parseStatThreads(this.files.read(this.statFile), this.statFile));
    // The listing's own directory descriptor is in it while it is read: not one of the agent's.
    if (this.fdDir) sink.add('process.unix.file_descriptor.count', readdirSync(this.fdDir).length - 1);
  }

  close(): void {
    this.files.close();
  }
}
