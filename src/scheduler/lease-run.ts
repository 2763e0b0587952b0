// `otel-sysmon lease run`: acquire a lease, run the command under it, give it back.
//
// Acquire: ask; when denied, wait retry_after_sec plus up to 20% jitter (so waiting callers do not
// come back in step) and ask again, until --timeout. With --wait the request joins the agent's queue
// and long-polls its queue_id instead; a queue_id the agent forgot (restart) means asking again.
// Hold: the command runs in its own process group; a heartbeat every TTL/3 keeps the lease. If the
// lease is revoked (or has ended some other way) the group gets SIGTERM, then SIGKILL after --grace.
// SIGINT, SIGTERM and SIGHUP are passed on to the group. When the command exits, the lease is
// released with its exit code and wall time.
//
// Exit status: the command's (128 + N when signal N ended it; 127/126 when it could not start);
// 75 no lease granted before --timeout (the command never ran); 76 the lease was revoked or lost
// while the command ran (it was stopped); 69 no agent answered before --timeout.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentRequestError, AgentUnreachableError, type ApiClient } from '../api/client.js';
import { exitCodeFor } from '../builds/wrap-run.js';
import { EXIT_NO_LEASE, EXIT_REVOKED, EXIT_UNREACHABLE } from './lease-exit.js';
import type { HeavyLeaseRequestBody } from './schemas.js';

export { EXIT_NO_LEASE, EXIT_REVOKED, EXIT_UNREACHABLE };

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const POLL_SEC = 25;
const MAX_UNREACHABLE_DELAY_MS = 15_000;

interface LeaseAnswer {
  readonly approved: boolean;
  readonly lease_id: string | null;
  readonly retry_after_sec: number | null;
  readonly reason: string;
  readonly limits: { readonly heartbeat_ttl_sec: number };
  readonly queue?: { readonly queue_id: string; readonly position: number; readonly length: number };
}

export interface LeaseRunOptions {
  /** For requests answered at once. */
  readonly client: ApiClient;
  /** For queue long polls: its timeout must exceed 25 s. */
  readonly pollClient: ApiClient;
  readonly request: HeavyLeaseRequestBody;
  readonly timeoutMs: number;
  readonly graceMs: number;
  readonly command: readonly string[];
  /** One line for people (stderr). */
  readonly say: (line: string) => void;
  readonly random?: () => number;
}

type Acquired = { readonly lease: LeaseAnswer } | { readonly exit: number };

/**
 * SIGINT, SIGTERM and SIGHUP for the whole run: while acquiring, the first one ends the wait
 * (`first`); once the command runs, each one goes to `forwardTo`'s target.
 */
class Signals {
  readonly first: Promise<NodeJS.Signals>;
  private got: NodeJS.Signals | undefined;
  private target: ((s: NodeJS.Signals) => void) | undefined;
  private readonly handlers: (readonly [NodeJS.Signals, () => void])[];

  constructor() {
    let resolve!: (s: NodeJS.Signals) => void;
    this.first = new Promise<NodeJS.Signals>((r) => (resolve = r));
    this.handlers = SIGNALS.map((s) => {
      const h = (): void => {
        if (this.target) return this.target(s);
        this.got ??= s;
        resolve(s);
      };
      process.on(s, h);
      return [s, h] as const;
    });
  }

  get received(): NodeJS.Signals | undefined {
    return this.got;
  }

  forwardTo(target: (s: NodeJS.Signals) => void): void {
    this.target = target;
  }

  dispose(): void {
    for (const [s, h] of this.handlers) process.off(s, h);
  }
}

const signalExit = (s: NodeJS.Signals): number => 128 + (constants.signals[s] ?? 0);

async function acquire(o: LeaseRunOptions, deadline: number, stop: Promise<NodeJS.Signals>): Promise<Acquired> {
  const random = o.random ?? Math.random;
  let unreachableDelay = 1000;
  let queueId: string | undefined;
  let lastPosition = 0;
  const cancel = async (): Promise<void> => {
    if (queueId) await o.client.request('POST', `/api/scheduler/queue/${encodeURIComponent(queueId)}/cancel`).catch(() => undefined);
  };
  // Every wait races the signals: a signal while waiting leaves the queue and ends the run.
  const race = async <T>(p: Promise<T>): Promise<T | { signal: NodeJS.Signals }> =>
    Promise.race([p, stop.then((signal) => ({ signal }))]);

  for (;;) {
    let answer: LeaseAnswer;
    try {
      const r = await race(
        queueId
          ? o.pollClient.request<LeaseAnswer>('GET', `/api/scheduler/queue/${encodeURIComponent(queueId)}?wait_sec=${Math.max(1, Math.min(POLL_SEC, Math.ceil((deadline - Date.now()) / 1000)))}`)
          : o.client.request<LeaseAnswer>('POST', '/api/scheduler/lease/request', o.request),
      );
      if ('signal' in r) {
        await cancel();
        return { exit: signalExit(r.signal) };
      }
      answer = r;
      unreachableDelay = 1000;
    } catch (err) {
      if (err instanceof AgentUnreachableError) {
        if (Date.now() + unreachableDelay > deadline) {
          o.say(`${err.message}; giving up`);
          return { exit: EXIT_UNREACHABLE };
        }
        o.say(`${err.message}; retrying in ${Math.round(unreachableDelay / 1000)}s`);
        const s = await race(sleep(unreachableDelay));
        if (s && typeof s === 'object' && 'signal' in s) return { exit: signalExit(s.signal) };
        unreachableDelay = Math.min(2 * unreachableDelay, MAX_UNREACHABLE_DELAY_MS);
        continue;
      }
      if (err instanceof AgentRequestError && err.status === 404 && queueId) {
        o.say('the agent no longer knows the queued request (restarted?); asking again');
        queueId = undefined;
        continue;
      }
      if (err instanceof AgentRequestError && err.status === 429) {
        answer = { approved: false, lease_id: null, retry_after_sec: 5, reason: err.message, limits: { heartbeat_ttl_sec: 30 } };
      } else {
        throw err;
      }
    }
    if (answer.approved && answer.lease_id) return { lease: answer };
    if (answer.queue) {
      queueId = answer.queue.queue_id;
      if (answer.queue.position !== lastPosition) {
        o.say(`queued at position ${answer.queue.position} of ${answer.queue.length}: ${answer.reason}`);
        lastPosition = answer.queue.position;
      }
      if (Date.now() >= deadline) {
        await cancel();
        o.say('no lease before the timeout');
        return { exit: EXIT_NO_LEASE };
      }
      continue;
    }
    const waitMs = (answer.retry_after_sec ?? 1) * 1000 * (1 + 0.2 * random());
    if (Date.now() + waitMs > deadline) {
      o.say(`lease denied: ${answer.reason}; no lease before the timeout`);
      return { exit: EXIT_NO_LEASE };
    }
    o.say(`lease denied: ${answer.reason}; retrying in ${(waitMs / 1000).toFixed(1)}s`);
    const s = await race(sleep(waitMs));
    if (s && typeof s === 'object' && 'signal' in s) return { exit: signalExit(s.signal) };
  }
}

interface LeaseRecordAnswer {
  readonly state: string;
  readonly end_reason: string | null;
}

/** Runs the command under the lease; resolves to the exit status (see the header). */
async function hold(o: LeaseRunOptions, lease: LeaseAnswer, signals: Signals): Promise<number> {
  const id = lease.lease_id!;
  const path = `/api/scheduler/lease/${encodeURIComponent(id)}`;
  const started = performance.now();
  const [file, ...args] = o.command;
  // Its own process group, so revoking stops the whole command (a shell and its children) at once.
  const child = spawn(file, args, { stdio: 'inherit', detached: true });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (err) => resolve(err));
  });
  if (spawned) {
    const code = (spawned as NodeJS.ErrnoException).code === 'EACCES' ? 126 : 127;
    o.say(`cannot run ${file}: ${(spawned as NodeJS.ErrnoException).code ?? spawned.message}`);
    await o.client.request('POST', `${path}/release`, { exit_code: code, wall_seconds: 0 }).catch(() => undefined);
    return code;
  }
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  const group = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is already gone.
    }
  };
  signals.forwardTo(group);

  let lost: string | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let beating = false;
  let unreachableSaid = false;
  const beat = async (): Promise<void> => {
    if (beating || lost) return;
    beating = true;
    try {
      await o.client.request('POST', `${path}/heartbeat`);
      unreachableSaid = false;
    } catch (err) {
      if (err instanceof AgentRequestError && (err.status === 404 || err.status === 409)) {
        const record = await o.client.request<LeaseRecordAnswer>('GET', path).catch(() => undefined);
        lost = record ? `lease ${id} is ${record.state}${record.end_reason ? ` (${record.end_reason})` : ''}` : err.message;
        o.say(`${lost}: stopping ${basename(file)} (SIGTERM, SIGKILL after ${Math.round(o.graceMs / 1000)}s)`);
        group('SIGTERM');
        killTimer = setTimeout(() => group('SIGKILL'), o.graceMs);
      } else if (!unreachableSaid) {
        // Cooperative: an agent that went away does not stop the work; the lease lapses on its side.
        o.say(`heartbeat failed (${(err as Error).message}); ${basename(file)} keeps running`);
        unreachableSaid = true;
      }
    } finally {
      beating = false;
    }
  };
  const every = Math.max(250, (lease.limits.heartbeat_ttl_sec * 1000) / 3);
  const heartbeat = setInterval(() => void beat(), every);

  const [code, signal] = await exited;
  clearInterval(heartbeat);
  clearTimeout(killTimer);
  if (lost) {
    // Say how the command ended: stopped by the SIGTERM, or killed after ignoring it for the grace.
    o.say(`${basename(file)} ${signal ? `ended by ${signal}` : `exited with status ${code}`}`);
    return EXIT_REVOKED;
  }
  const exitCode = exitCodeFor(code, signal);
  const wall = Math.round((performance.now() - started) / 10) / 100;
  await o.client.request('POST', `${path}/release`, { exit_code: exitCode, wall_seconds: wall }).catch((err: Error) => {
    o.say(`could not release lease ${id} (${err.message}); it expires after its TTL`);
  });
  return exitCode;
}

export async function runLease(o: LeaseRunOptions): Promise<number> {
  const deadline = Date.now() + o.timeoutMs;
  const signals = new Signals();
  try {
    const acquired = await acquire(o, deadline, signals.first);
    if ('exit' in acquired) return acquired.exit;
    const id = acquired.lease.lease_id!;
    // A signal that raced the grant: give the lease back and do not start the command.
    if (signals.received) {
      await o.client.request('POST', `/api/scheduler/lease/${encodeURIComponent(id)}/release`).catch(() => undefined);
      return signalExit(signals.received);
    }
    o.say(`lease ${id} granted: ${acquired.lease.reason}`);
    return await hold(o, acquired.lease, signals);
  } finally {
    signals.dispose();
  }
}
