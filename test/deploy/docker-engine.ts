// A Docker engine for the deployment tests: found (or a skip reason that says how to get one), the
// image's base images made without a registry, and compose.yaml's service turned into `docker run`
// arguments so a test runs the sidecar exactly as compose.yaml says, without Compose.
import { existsSync } from 'node:fs';
import { run, runAsync, type RunResult, which } from './tools.js';

export interface Engine {
  /** The client: Debian's /usr/bin/docker, whose API version is the engine's (20.10), else `docker`. */
  readonly docker: string | undefined;
  readonly serverVersion: string;
  readonly skipReason: string;
}

/** The engine that answers, or why none does (printed once). */
export function findEngine(): Engine {
  const docker = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : which('docker');
  let reason: string;
  if (!docker) {
    reason = 'no docker client (Debian package docker.io)';
  } else {
    const r = run(docker, ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 20_000 });
    if (r.status === 0 && r.stdout.trim()) return { docker, serverVersion: r.stdout.trim(), skipReason: '' };
    reason = `no Docker engine answers ${docker}: ${(r.stderr.trim().split('\n').at(-1) ?? '').slice(0, 200)}`;
  }
  const skipReason = `SKIPPED: ${reason}; .ci/install-test-tools.sh installs docker.io and debootstrap and starts dockerd (as root)`;
  console.warn(`[test/deploy] ${skipReason}`);
  return { docker: undefined, serverVersion: '', skipReason };
}

/** Runs the docker client; throws with its stderr when it fails. */
export async function docker(engine: Engine, args: readonly string[], timeoutMs = 60_000, env?: NodeJS.ProcessEnv): Promise<string> {
  const r: RunResult = await runAsync(engine.docker!, args, { timeoutMs, env: env ?? process.env });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().slice(-2000)}`);
  return r.stdout;
}

/** The keys of compose.yaml's agent service that composeRunArgs turns into `docker run` arguments. */
export interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  user?: string;
  pid?: string;
  uts?: string;
  read_only?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  tmpfs?: string[];
  volumes?: string[];
  depends_on?: string[];
  restart?: string;
}

/** Compose's ${VAR:-default} interpolation, the only form compose.yaml uses. */
export function interpolate(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\{(\w+):-([^}]*)\}/g, (_, name: string, fallback: string) => env[name] || fallback);
}

/**
 * `docker run` arguments (without the image and command) for a compose service. Named volumes are
 * renamed through `volumes`; environment entries are overridden by `environment`. Keys the test does
 * not reproduce are named here: build (the test builds the image), depends_on (no collector runs),
 * restart (the test restarts by hand). Any other key throws, so compose.yaml cannot drift from the test.
 */
export function composeRunArgs(
  service: ComposeService,
  o: { volumes: Readonly<Record<string, string>>; environment: Readonly<Record<string, string>>; interpolation: Readonly<Record<string, string | undefined>> },
): string[] {
  const handled = new Set(['build', 'image', 'command', 'environment', 'user', 'pid', 'uts', 'read_only', 'cap_drop', 'cap_add', 'security_opt', 'tmpfs', 'volumes', 'depends_on', 'restart']);
  const unknown = Object.keys(service).filter((k) => !handled.has(k));
  if (unknown.length > 0) throw new Error(`compose.yaml service keys the test does not reproduce: ${unknown.join(', ')}`);
  const args: string[] = [];
  if (service.user) args.push('--user', service.user);
  if (service.pid) args.push('--pid', service.pid);
  if (service.uts) args.push('--uts', service.uts);
  if (service.read_only) args.push('--read-only');
  for (const c of service.cap_drop ?? []) args.push('--cap-drop', interpolate(c, o.interpolation));
  for (const c of service.cap_add ?? []) args.push('--cap-add', interpolate(c, o.interpolation));
  for (const s of service.security_opt ?? []) args.push('--security-opt', s);
  for (const t of service.tmpfs ?? []) args.push('--tmpfs', t);
  for (const v of service.volumes ?? []) {
    const [source, ...rest] = v.split(':');
    const named = !source.startsWith('/') && !source.startsWith('.');
    if (named && !o.volumes[source]) throw new Error(`no test volume for the named volume ${source}`);
    args.push('--volume', [named ? o.volumes[source] : source, ...rest].join(':'));
  }
  for (const [k, v] of Object.entries({ ...service.environment, ...o.environment })) args.push('--env', `${k}=${v}`);
  return args;
}
