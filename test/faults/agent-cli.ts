// Fault tests drive the BUILT CLI (`npx tsc -p tsconfig.json`, or `npm test`'s pretest) as a real
// process: SIGKILL, RSS and descriptors need one. Also: the collection timestamps in what a receiver
// got, which is how the tests tell lost, duplicated and out-of-order collections apart.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { flattenMetrics, type OtlpReceiver, type ReceivedRequest, startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { waitFor } from '../helpers/wait.js';
import { startCli } from '../support/cli.js';

export const BUILT = existsSync(fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url)));

export interface FaultBench {
  /** A receiver on 127.0.0.1 (started), stopped after the file's tests. */
  readonly receiver: OtlpReceiver;
  /** A fresh data directory for the agent, removed after the file's tests. */
  readonly dataDir: string;
}

/** Registers the hooks every fault test file needs: built CLI check, receiver, data dir, agent cleanup. */
export function faultBench(name: string): FaultBench {
  const bench = {} as { receiver: OtlpReceiver; dataDir: string };
  beforeAll(async () => {
    if (!BUILT) throw new Error('dist/ is missing: run npx tsc -p tsconfig.json (npm test builds it)');
    bench.receiver = await startOtlpReceiver();
    bench.dataDir = mkdtempSync(join(tmpdir(), `sysmon-${name}-`));
  });
  afterEach(killAgents);
  afterAll(async () => {
    await bench.receiver?.stop();
    if (bench.dataDir) rmSync(bench.dataDir, { recursive: true, force: true });
  });
  return bench;
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stderr(): string;
  readonly exited: Promise<number | null>;
  /** Resident set size now, KiB (Linux /proc). */
  rssKiB(): number;
  /** Open file descriptors now (Linux /proc). */
  openFds(): number;
  /** SIGTERM and the exit code; SIGKILL and a thrown error if it does not exit in time. */
  terminate(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL (no cleanup of any kind) and wait for the exit. */
  kill9(): Promise<void>;
}

const running = new Set<AgentProcess>();

/** `otel-sysmon run …` with an environment free of the caller's OTEL_*, SYSMON_* and HOST_* variables. */
export function startAgent(args: readonly string[], options: { env?: Record<string, string>; uid?: number } = {}): AgentProcess {
  const cli = startCli(['run', '--api-listen', '127.0.0.1:0', ...args], options.env, { isolated: true, uid: options.uid });
  const { child, exited, stderr } = cli;
  const proc: AgentProcess = {
    child,
    pid: child.pid!,
    stderr,
    exited,
    rssKiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]),
    openFds: () => readdirSync(`/proc/${child.pid}/fd`).length,
    async terminate(timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
      const code = await Promise.race([exited, late]);
      clearTimeout(timer);
      running.delete(proc);
      if (code === 'late') {
        child.kill('SIGKILL');
        throw new Error(`agent did not exit within ${timeoutMs} ms of SIGTERM\n${stderr()}`);
      }
      return code;
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited;
      running.delete(proc);
    },
  };
  running.add(proc);
  return proc;
}

/** SIGKILLs every agent a test left running (afterEach). */
export async function killAgents(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill9()));
}

/** When a request's collection was taken (ms): its points' time, the same for every metric of it. */
export function collectionTime(r: ReceivedRequest): number {
  let max = 0n;
  for (const m of flattenMetrics([r])) for (const p of m.points) if (p.timeUnixNano > max) max = p.timeUnixNano;
  return Number(max / 1_000_000n);
}

export interface Arrivals {
  /** Collection times in arrival order (answered requests only). */
  readonly inArrivalOrder: number[];
  /** Distinct collection times, ascending. */
  readonly distinct: number[];
  /** Requests that arrived more than once. */
  readonly duplicates: number;
}

export function arrivals(requests: readonly ReceivedRequest[]): Arrivals {
  const inArrivalOrder = requests.filter((r) => r.reply === 'ok').map(collectionTime);
  const distinct = [...new Set(inArrivalOrder)].sort((a, b) => a - b);
  return { inArrivalOrder, distinct, duplicates: inArrivalOrder.length - distinct.length };
}

/** Largest step between consecutive collection times (a lost collection shows as a double step). */
export function largestGap(times: readonly number[]): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
  return gap;
}

/** The newest value of a metric point with these attributes in the last request that has it. */
export function lastValue(requests: readonly ReceivedRequest[], name: string, attributes: Record<string, unknown> = {}): number | undefined {
  const metrics = flattenMetrics(requests).filter((m) => m.name === name);
  for (const m of metrics.reverse()) {
    const p = m.points.find((pt) => Object.entries(attributes).every(([k, v]) => pt.attributes[k] === v));
    if (p) return p.value;
  }
  return undefined;
}

/** `agent stopped collections=N` from the log. */
export function collectionsLogged(stderr: string): number {
  const m = /agent stopped collections=(\d+)/.exec(stderr);
  if (!m) throw new Error(`no "agent stopped" line in:\n${stderr}`);
  return Number(m[1]);
}

/**
 * Waits until the newest collection received was taken after `after` (ms) and found the spool empty:
 * everything collected before it has been delivered (or dropped and counted).
 */
export async function waitForDrained(receiver: OtlpReceiver, after: number, timeoutMs: number): Promise<void> {
  await waitFor(
    () => {
      const ok = receiver.requests.filter((r) => r.reply === 'ok');
      if (ok.length === 0) return false;
      const newest = ok.reduce((a, b) => (collectionTime(b) > collectionTime(a) ? b : a));
      return collectionTime(newest) > after && lastValue([newest], 'sysmon.export.spool.requests') === 0;
    },
    { timeoutMs, what: `a collection after ${new Date(after).toISOString()} with an empty spool` },
  );
}
