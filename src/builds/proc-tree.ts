// Process-tree sampling from procfs (Linux). Pure parsers for /proc/<pid>/stat and status, and a
// sampler that walks a tree from its root through /proc/<pid>/task/<tid>/children (falling back
// to a scan of every /proc/<pid>/stat on kernels without that file).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Clock ticks per second of the times in /proc/<pid>/stat (USER_HZ, 100 on every Linux ABI). */
export const USER_HZ = 100;

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  /** Ticks in user and kernel mode of this process. */
  readonly utime: number;
  readonly stime: number;
  /** Ticks of its children that it has waited for (the kernel adds them at reaping). */
  readonly cutime: number;
  readonly cstime: number;
}

/** Parses /proc/<pid>/stat; comm may hold spaces and parentheses, so split after the last ')'. */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error('malformed /proc/<pid>/stat: no (comm)');
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state); fields 14-17 are utime, stime, cutime, cstime.
  const field = (n: number): number => {
    const v = Number(rest[n - 3]);
    if (!Number.isFinite(v)) throw new Error(`malformed /proc/<pid>/stat: field ${n}`);
    return v;
  };
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
  };
}

/** Ticks a process and its reaped descendants have used. */
export function totalTicks(s: ProcStat): number {
  return s.utime + s.stime + s.cutime + s.cstime;
}

/** VmRSS in kB from /proc/<pid>/status; undefined for zombies and kernel threads. */
export function parseStatusRssKb(text: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

export interface TreeSample {
  readonly pids: readonly number[];
  readonly comms: readonly string[];
  /** Σ utime+stime+cutime+cstime over the live tree (zombies included). */
  readonly ticks: number;
  readonly rssBytes: number;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
}

export class ProcessTree {
  private childrenFiles: boolean | undefined;

  constructor(private readonly procfs = '/proc') {}

  /** Walks the tree under `root` (parents before children) and sums its times and memory. */
  sample(root: number): TreeSample {
    const pids: number[] = [];
    const comms: string[] = [];
    let ticks = 0;
    let rssKb = 0;
    const byParent = this.useChildrenFiles() ? undefined : this.scanParents();
    const queue = [root];
    const seen = new Set<number>();
    while (queue.length > 0) {
      const pid = queue.shift()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      const statText = readText(join(this.procfs, String(pid), 'stat'));
      if (statText === undefined) continue; // exited and reaped since we listed it
      const stat = parseProcStat(statText);
      pids.push(pid);
      comms.push(stat.comm);
      ticks += totalTicks(stat);
      const status = readText(join(this.procfs, String(pid), 'status'));
      rssKb += (status && parseStatusRssKb(status)) || 0;
      for (const child of byParent ? (byParent.get(pid) ?? []) : this.childrenOf(pid)) queue.push(child);
    }
    return { pids, comms, ticks, rssBytes: rssKb * 1024 };
  }

  private useChildrenFiles(): boolean {
    if (this.childrenFiles === undefined) {
      const self = String(process.pid);
      this.childrenFiles = readText(join(this.procfs, self, 'task', self, 'children')) !== undefined;
    }
    return this.childrenFiles;
  }

  private childrenOf(pid: number): number[] {
    let tids: string[];
    try {
      tids = readdirSync(join(this.procfs, String(pid), 'task'));
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const tid of tids) {
      const text = readText(join(this.procfs, String(pid), 'task', tid, 'children'));
      if (!text) continue;
      for (const c of text.split(' ')) if (c.trim() !== '') out.push(Number(c));
    }
    return out;
  }

  private scanParents(): Map<number, number[]> {
    const byParent = new Map<number, number[]>();
    for (const name of readdirSync(this.procfs)) {
      if (!/^\d+$/.test(name)) continue;
      const text = readText(join(this.procfs, name, 'stat'));
      if (!text) continue;
      const { pid, ppid } = parseProcStat(text);
      const list = byParent.get(ppid);
      if (list) list.push(pid);
      else byParent.set(ppid, [pid]);
    }
    return byParent;
  }
}

/** Ticks of this process's reaped children (what the kernel charged to us when we waited for them). */
export function ownReapedTicks(procfs = '/proc'): number {
  const s = parseProcStat(readFileSync(join(procfs, 'self', 'stat'), 'latin1'));
  return s.cutime + s.cstime;
}
