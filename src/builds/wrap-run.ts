// Runs one command for `wrap`: spawns it (no shell unless asked), forwards signals, samples its
// process tree every interval, reports the build, and returns the command's exit status.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.js';
import { TreeMeter } from './tree-meter.js';
import type { WrapReport } from './wrap-report.js';

/** Signals passed on to the command. SIGINT/SIGQUIT from a terminal already reach the whole foreground group. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
const TERMINAL_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGWINCH'];

export interface WrapOptions {
  readonly command: readonly string[];
  /** Run through /bin/sh -c with the words joined by spaces. */
  readonly shell: boolean;
  readonly sampleIntervalMs: number;
  readonly report: WrapReport;
  readonly log: Logger;
  readonly procfs?: string;
  /** True when stdin is a terminal: terminal signals then reach the command directly. */
  readonly interactive?: boolean;
}

export interface WrapResult {
  /** The command's exit code, 128 + N when a signal ended it, 127 when it could not start. */
  readonly exitCode: number;
  readonly signal: NodeJS.Signals | null;
  readonly durationMs: number;
  /** Exact CPU-seconds of the whole tree (kernel times of the reaped command); null off Linux. */
  readonly cpuSeconds: number | null;
  readonly peakMemoryMb: number | null;
  readonly samples: number;
  readonly startError?: string;
}

export function exitCodeFor(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return code ?? 1;
}

export async function runWrapped(opts: WrapOptions): Promise<WrapResult> {
  const [file, ...args] = opts.shell ? ['/bin/sh', '-c', opts.command.join(' ')] : opts.command;
  const linux = process.platform === 'linux';
  const meter = linux ? new TreeMeter(undefined, opts.procfs) : undefined;
  const startedWall = Date.now();
  const started = performance.now();
  const child = spawn(file, args, { stdio: 'inherit' });
  const exit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('exit', (c, s) => resolve([c, s]));
  });
  // Installed at once: a signal that arrives while we contact the agent still reaches the command.
  const forward = (signal: NodeJS.Signals) => () => {
    if (opts.interactive && TERMINAL_SIGNALS.includes(signal)) return;
    child.kill(signal);
  };
  const handlers = FORWARDED.map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (err) => resolve(err));
  });
  await opts.report.begin(startedWall);
  if (spawned) {
    for (const [s, h] of handlers) process.off(s, h);
    const durationMs = performance.now() - started;
    await opts.report.end({ status: 'failed', exitCode: 127 }, Date.now());
    const code = (spawned as NodeJS.ErrnoException).code;
    return {
      exitCode: code === 'EACCES' ? 126 : 127,
      signal: null,
      durationMs,
      cpuSeconds: null,
      peakMemoryMb: null,
      samples: 0,
      startError: `cannot run ${file}: ${code ?? spawned.message}`,
    };
  }

  let peakMb: number | null = null;
  let samples = 0;
  let inFlight: Promise<void> = Promise.resolve();
  let busy = false;
  let timer: NodeJS.Timeout | undefined;
  let exited = false;
  const tick = (): void => {
    if (exited || !meter || child.pid === undefined) return;
    try {
      const r = meter.read(child.pid);
      samples += 1;
      peakMb = Math.max(peakMb ?? 0, r.memoryMb);
      // One report at a time: a slow agent skips samples instead of piling up requests.
      if (!busy) {
        busy = true;
        inFlight = opts.report
          .snapshot({ timestampMs: Date.now(), cpuPercent: r.cpuPercent, memoryMb: r.memoryMb })
          .finally(() => {
            busy = false;
          });
      }
    } catch (err) {
      opts.log.debug('process tree sample failed', { error: (err as Error).message });
    }
    timer = setTimeout(tick, opts.sampleIntervalMs);
  };
  timer = setTimeout(tick, opts.sampleIntervalMs);

  const [code, signal] = await exit;
  exited = true;
  clearTimeout(timer);
  for (const [s, h] of handlers) process.off(s, h);
  const durationMs = performance.now() - started;
  const cpuSeconds = meter ? meter.exactCpuSeconds() : null;
  const exitCode = exitCodeFor(code, signal);
  await inFlight;
  await opts.report.end(
    {
      status: exitCode === 0 ? 'success' : 'failed',
      exitCode,
      cpuSeconds: cpuSeconds ?? undefined,
      peakMemoryMb: peakMb ?? undefined,
    },
    Date.now(),
  );
  return { exitCode, signal, durationMs, cpuSeconds, peakMemoryMb: peakMb, samples };
}
