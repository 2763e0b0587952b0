import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectResource, parseContainerId } from '../../src/telemetry/resource.js';

function hostRoot(machineId?: string): string {
  const root = mkdtempSync(join(tmpdir(), 'sysmon-root-'));
  if (machineId) {
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/machine-id'), `${machineId}\n`);
  }
  return root;
}

describe('resource detection', () => {
  it('carries service, host and OS identity, host.id from the host root', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-data-'));
    const r = detectResource({ serviceName: 'otel-sysmon', rootfs: hostRoot('0123456789abcdef0123456789abcdef'), dataDir, extra: {} });
    expect(r['service.name']).toBe('otel-sysmon');
    expect(r['service.version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(r['host.name']).toBe(hostname());
    expect(r['host.id']).toBe('0123456789abcdef0123456789abcdef');
    expect(['amd64', 'arm64']).toContain(r['host.arch']);
    expect(r['os.type']).toBe(process.platform === 'darwin' ? 'darwin' : 'linux');
    expect(r['os.description']).toBeTruthy();
  });

  it('takes host.name from the host root when the agent reads a mounted host', () => {
    const root = hostRoot();
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/hostname'), 'build-host-7\n');
    const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-data-'));
    expect(detectResource({ serviceName: 's', rootfs: root, dataDir, extra: {} })['host.name']).toBe('build-host-7');
    expect(detectResource({ serviceName: 's', rootfs: '/', dataDir, extra: {} })['host.name']).toBe(hostname());
  });

  it('keeps service.instance.id stable in the data directory', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-data-'));
    const a = detectResource({ serviceName: 's', rootfs: hostRoot(), dataDir, extra: {} });
    const b = detectResource({ serviceName: 's', rootfs: hostRoot(), dataDir, extra: {} });
    expect(a['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(b['service.instance.id']).toBe(a['service.instance.id']);
    expect(readFileSync(join(dataDir, 'instance-id'), 'utf8').trim()).toBe(a['service.instance.id']);
  });

  it('does not create an instance id for read-only commands', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'sysmon-data-')), 'absent');
    detectResource({ serviceName: 's', rootfs: hostRoot(), dataDir, readOnly: true, extra: {} });
    expect(() => readFileSync(join(dataDir, 'instance-id'))).toThrow();
  });

  it('lets OTEL_RESOURCE_ATTRIBUTES/--resource override detection, but not the service name flag', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-data-'));
    const r = detectResource({
      serviceName: 'build-agent',
      rootfs: hostRoot(),
      dataDir,
      extra: { 'host.name': 'ci-7', 'deployment.environment': 'ci', 'service.name': 'ignored' },
    });
    expect(r['host.name']).toBe('ci-7');
    expect(r['deployment.environment']).toBe('ci');
    expect(r['service.name']).toBe('build-agent');
  });

  it('finds the container id in cgroup v1 and in v2 mountinfo', () => {
    const id = 'a'.repeat(12) + 'b'.repeat(52);
    expect(parseContainerId(`12:memory:/docker/${id}\n`)).toBe(id);
    expect(parseContainerId(`0::/system.slice/docker-${id}.scope\n`)).toBe(id);
    expect(
      parseContainerId('0::/\n', `620 600 254:1 /var/lib/docker/containers/${id}/hostname /etc/hostname rw - ext4 /dev/vda1 rw\n`),
    ).toBe(id);
    expect(parseContainerId('0::/user.slice/user-1000.slice\n', '')).toBeUndefined();
  });
});
