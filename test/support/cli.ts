// Runs the built CLI (dist/, built by `npm test`'s pretest) as a user would.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/otel-sysmon.js', import.meta.url));

/**
 * Config-file lines for quiet thresholds no shared test machine crosses: an agent started with them stays
 * QUIET whatever else runs, so leases are granted.
 */
export const ALWAYS_QUIET_CONFIG: readonly string[] = [
  'quiet-cpu: 100,100,100',
  'quiet-load: 1000,1000,1000',
  'quiet-memory: 100,100,100',
  'quiet-swap: 100,100,100',
  'quiet-psi-cpu: 100,100,100',
  'quiet-psi-memory: 100,100,100',
  'quiet-psi-io: 100,100,100',
  'quiet-disk-free: 0,0,0',
  'quiet-disk-io: 100,100,100',
  'quiet-api-p95: 100000,100000,100000',
  'quiet-hold: 0s',
];

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface RunningCli {
  readonly child: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  stderr(): string;
  stdout(): string;
  /** Resolves with the first stderr match of `re`, rejecting after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends a signal and resolves with the exit code (bounded). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export interface StartOptions {
  /** Leave out the caller's OTEL_*, SYSMON_* and HOST_* variables, so only `env` configures the agent. */
  readonly isolated?: boolean;
  /** Run as this uid and gid (root test runs drop privileges so chmod 000 means something). */
  readonly uid?: number;
}

export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, options: StartOptions = {}): RunningCli {
  const base = options.isolated
    ? Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OTEL_|SYSMON_|HOST_)/.test(k)))
    : process.env;
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: options.uid,
    gid: options.uid,
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    stderr: () => err,
    stdout: () => out,
    waitFor(re, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const poll = () => {
          const m = err.match(re);
          if (m) return resolve(m);
          if (child.exitCode !== null || Date.now() > deadline) {
            return reject(new Error(`no ${re} in stderr (exit ${child.exitCode}):\n${err}`));
          }
          setTimeout(poll, 25);
        };
        poll();
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
