// Shared by the deployment tests: repository paths, external tools (found or skipped with a reason that
// says how to install them), bounded child processes and free loopback ports.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export function repoPath(...parts: string[]): string {
  return join(REPO, ...parts);
}

export function readRepoFile(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

/** Absolute path of an executable on PATH, or undefined. */
export function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * A tool a suite needs: its path, or a skip reason printed once. CI installs them all with
 * .ci/install-test-tools.sh, so a skip there means that script is broken.
 */
export function tool(command: string, debianPackage: string): { path: string | undefined; skipReason: string } {
  const path = which(command);
  const skipReason = path
    ? ''
    : `SKIPPED: ${command} not found (Debian package ${debianPackage}; run .ci/install-test-tools.sh)`;
  if (!path) console.warn(`[test/deploy] ${skipReason}`);
  return { path, skipReason };
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion with a hard timeout (no shell). */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): RunResult {
  const result: SpawnSyncReturns<string> = spawnSync(command, args, {
    cwd: options.cwd ?? REPO,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 20_000,
    input: options.input,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export { freePort } from '../support/ports.js';

/** Files under a repository directory whose names end with one of the suffixes, repository-relative. */
export function filesUnder(dir: string, suffixes: readonly string[], exclude: readonly string[] = []): string[] {
  const root = repoPath(dir);
  const out: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      const rel = relative(REPO, full);
      if (exclude.some((e) => rel === e || rel.startsWith(`${e}/`))) continue;
      if (entry.isDirectory()) walk(full);
      else if (suffixes.some((s) => entry.name.endsWith(s))) out.push(rel);
    }
  };
  walk(root);
  return out.sort();
}

/**
 * Like run, without blocking the event loop: needed when the command talks to a server in this process.
 * The child is killed at the timeout.
 */
export function runAsync(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? REPO, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${options.timeoutMs ?? 20_000} ms\n${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolveRun({ status, stdout, stderr });
    });
  });
}
