// The resource every metric carries: service, host, OS and container identity. host.id comes from the
// (possibly mounted) host root so a sidecar reports its host, not its container.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, hostname, platform, release, version } from 'node:os';
import { join } from 'node:path';
import { dataDirError } from '../config/data-dir.js';
import { VERSION } from '../version.js';

export type ResourceAttributes = Record<string, string>;

const HOST_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm32',
  ia32: 'x86',
  ppc64: 'ppc64',
  s390x: 's390x',
};

const OS_TYPE: Record<string, string> = {
  linux: 'linux',
  darwin: 'darwin',
  win32: 'windows',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  sunos: 'solaris',
  aix: 'aix',
};

function readTrimmed(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

/** /etc/machine-id (systemd) or the D-Bus copy, read under the host root. */
export function readHostId(rootfs: string): string | undefined {
  return readTrimmed(join(rootfs, 'etc/machine-id')) ?? readTrimmed(join(rootfs, 'var/lib/dbus/machine-id'));
}

/** The 64-hex container id from a cgroup or mountinfo text, if this process runs in a container. */
export function parseContainerId(cgroup: string, mountinfo = ''): string | undefined {
  const fromCgroup = /(?:docker[-/]|containerd[-/:]|crio[-/]|libpod[-/]|cri-containerd[-:])([0-9a-f]{64})/.exec(cgroup);
  if (fromCgroup) return fromCgroup[1];
  // cgroup v2 shows only "0::/": Docker's bind mounts of /etc/hostname name the container directory.
  const fromMounts = /\/(?:docker\/containers|containers\/storage\/[^/]+-containers)\/([0-9a-f]{64})\//.exec(mountinfo);
  return fromMounts?.[1];
}

function detectContainerId(): string | undefined {
  if (platform() !== 'linux') return undefined;
  return parseContainerId(readTrimmed('/proc/self/cgroup') ?? '', readTrimmed('/proc/self/mountinfo') ?? '');
}

/** A stable service.instance.id, created once and kept in the data directory. */
export function instanceId(dataDir: string, readOnly = false): string {
  const file = join(dataDir, 'instance-id');
  const existing = readTrimmed(file);
  if (existing) return existing;
  if (readOnly) return randomUUID();
  const id = randomUUID();
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, id + '\n', { mode: 0o644 });
  } catch (err) {
    throw dataDirError(dataDir, 'cannot write its instance-id', err);
  }
  return id;
}

/** A sidecar reading the host's root reports the host's name, not its container's. */
function hostName(rootfs: string): string {
  if (rootfs === '/' || rootfs === '') return hostname();
  return readTrimmed(join(rootfs, 'etc/hostname'))?.split('\n')[0] ?? hostname();
}

function osDescription(): string {
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readTrimmed('/etc/os-release') ?? '')?.[1];
  return [pretty, platform() === 'linux' ? `Linux ${release()}` : `${version()} ${release()}`].filter(Boolean).join(' ');
}

export interface ResourceOptions {
  readonly serviceName: string;
  readonly rootfs: string;
  /** Directory holding instance-id. */
  readonly dataDir: string;
  /** One-off commands reuse the agent's id when it exists but never create one. */
  readonly readOnly?: boolean;
  /** OTEL_RESOURCE_ATTRIBUTES and --resource, already merged (flags win). */
  readonly extra: ResourceAttributes;
}

export function detectResource(options: ResourceOptions): ResourceAttributes {
  const detected: ResourceAttributes = {
    'service.name': options.serviceName,
    'service.version': VERSION,
    'service.instance.id': instanceId(options.dataDir, options.readOnly),
    'host.name': hostName(options.rootfs),
    'host.arch': HOST_ARCH[arch()] ?? arch(),
    'os.type': OS_TYPE[platform()] ?? platform(),
    'os.description': osDescription(),
  };
  const hostId = readHostId(options.rootfs);
  if (hostId) detected['host.id'] = hostId;
  const containerId = detectContainerId();
  if (containerId) detected['container.id'] = containerId;
  // User attributes override detection, except service.name, which OTEL_SERVICE_NAME/--service-name own.
  const merged = { ...detected, ...options.extra };
  if (options.serviceName !== 'otel-sysmon' || !options.extra['service.name']) merged['service.name'] = options.serviceName;
  return merged;
}
