// Shell scripts are shellcheck-clean; the VM Makefile wires every documented target to a script; the
// cloud-init seed is what the guest needs; fetch-image verifies a signed CHECKSUM and the image against a
// local mirror (a throw-away signing key stands in for AlmaLinux's, pinned by fingerprint the same way).
// Booting the VM needs QEMU with Hypervisor.framework (macOS on Apple Silicon) and is not run here.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { filesUnder, freePort, repoPath, run, runAsync, tool } from './tools.js';

const shellcheck = tool('shellcheck', 'shellcheck');
const make = tool('make', 'make');
const gpg = tool('gpg', 'gnupg');
const sshKeygen = tool('ssh-keygen', 'openssh-client');

const SCRIPTS = [...filesUnder('deploy', ['.sh']), 'deploy/vm/vm.env', '.ci/install-test-tools.sh', '.ci/start-docker.sh'];

describe.skipIf(!shellcheck.path)(`shellcheck ${shellcheck.skipReason}`, () => {
  it('finds the scripts', () => {
    expect(SCRIPTS).toEqual(
      expect.arrayContaining([
        'deploy/systemd/install-almalinux.sh',
        'deploy/launchd/install.sh',
        'deploy/launchd/uninstall.sh',
        'deploy/vm/fetch-image.sh',
        'deploy/vm/vm-start.sh',
      ]),
    );
  });

  it.each(SCRIPTS)('%s is clean', (script) => {
    const r = run(shellcheck.path!, ['--external-sources', '--source-path=SCRIPTDIR', script]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe.skipIf(!make.path)(`deploy/vm Makefile ${make.skipReason}`, () => {
  const targets: [string, string][] = [
    ['host-setup', 'host-setup.sh'],
    ['fetch-image', 'fetch-image.sh'],
    ['vm-create', 'vm-create.sh'],
    ['vm-start', 'vm-start.sh'],
    ['vm-start-daemon', 'vm-start.sh --daemon'],
    ['vm-ssh', 'vm-ssh.sh'],
    ['vm-bootstrap', 'vm-bootstrap.sh'],
    ['vm-install', 'vm-install.sh'],
    ['vm-stop', 'vm-stop.sh'],
    ['vm-destroy', 'vm-destroy.sh'],
  ];

  it.each(targets)('make %s runs %s', (target, command) => {
    const r = run(make.path!, ['-s', '-n', '-C', repoPath('deploy/vm'), target]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`${repoPath('deploy/vm')}/${command}`);
    const help = run(make.path!, ['-s', '-C', repoPath('deploy/vm'), 'help']).stdout;
    expect(help).toContain(`make ${target} `);
  });

  it('vm-up goes from a fresh host to an installed agent in order', () => {
    const r = run(make.path!, ['-s', '-n', '-C', repoPath('deploy/vm'), 'vm-up']);
    const scripts = r.stdout.trim().split('\n').map((l) => l.split('/').at(-1));
    expect(scripts).toEqual(['host-setup.sh', 'fetch-image.sh', 'vm-create.sh', 'vm-start.sh --daemon', 'vm-bootstrap.sh', 'vm-install.sh']);
  });
});

describe.skipIf(!sshKeygen.path)(`cloud-init seed ${sshKeygen.skipReason}`, () => {
  const workspace = mkdtempSync(join(tmpdir(), 'sysmon-vm-'));
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  it('names the host, creates the user with the VM key and passwordless sudo, and disables passwords', () => {
    const out = join(workspace, 'seed');
    const env = { ...process.env, SYSMON_VM_DIR: workspace, VM_NAME: 'build-vm-7', VM_USER: 'builder' };
    const r = run(repoPath('deploy/vm/cloud-init.sh'), [out], { env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);

    const text = readFileSync(join(out, 'user-data'), 'utf8');
    expect(text.split('\n')[0]).toBe('#cloud-config');
    const userData = parseYaml(text) as {
      hostname: string;
      ssh_pwauth: boolean;
      users: { name: string; sudo: string; lock_passwd: boolean; ssh_authorized_keys: string[] }[];
    };
    expect(userData.hostname).toBe('build-vm-7');
    expect(userData.ssh_pwauth).toBe(false);
    expect(userData.users[0]).toMatchObject({ name: 'builder', sudo: 'ALL=(ALL) NOPASSWD:ALL', lock_passwd: true });
    expect(userData.users[0].ssh_authorized_keys).toEqual([readFileSync(join(workspace, 'id_ed25519.pub'), 'utf8').trim()]);

    const metaData = parseYaml(readFileSync(join(out, 'meta-data'), 'utf8')) as Record<string, string>;
    expect(metaData['local-hostname']).toBe('build-vm-7');
    expect(metaData['instance-id']).toMatch(/^build-vm-7-\d{14}$/);
  });
});

describe.skipIf(!gpg.path)(`fetch-image.sh ${gpg.skipReason}`, () => {
  const root = mkdtempSync(join(tmpdir(), 'sysmon-fetch-'));
  const gnupg = join(root, 'signer');
  const image = 'AlmaLinux-9-GenericCloud-latest.aarch64.qcow2';
  const dated = 'AlmaLinux-9-GenericCloud-9.6-20250522.aarch64.qcow2';
  const files = new Map<string, Buffer>();
  const requests: string[] = [];
  let server: Server;
  let base = '';
  let fingerprint = '';

  const gpgRun = (args: string[], input?: string) =>
    run(gpg.path!, ['--homedir', gnupg, '--batch', '--yes', ...args], { input, timeoutMs: 30_000 });

  /** Serves an image and a CHECKSUM for `checksumOf`, signed the way AlmaLinux does (detached .asc) or inline. */
  function publish(imageBytes: Buffer, checksumOf: Buffer, signature: 'detached' | 'inline' | 'none' = 'detached'): string {
    const hash = createHash('sha256').update(checksumOf).digest('hex');
    const checksum = `# ${dated}: ${checksumOf.length} bytes\nSHA256 (${dated}) = ${hash}\nSHA256 (${image}) = ${hash}\n`;
    files.set(`/images/${image}`, imageBytes);
    files.delete('/images/CHECKSUM.asc');
    files.set('/images/CHECKSUM', Buffer.from(checksum));
    if (signature === 'inline') {
      const clear = gpgRun(['--clearsign', '--output', '-'], checksum);
      expect(clear.status).toBe(0);
      files.set('/images/CHECKSUM', Buffer.from(clear.stdout));
    } else if (signature === 'detached') {
      const detached = gpgRun(['--armor', '--detach-sign', '--output', '-'], checksum);
      expect(detached.status).toBe(0);
      files.set('/images/CHECKSUM.asc', Buffer.from(detached.stdout));
    }
    return checksum;
  }

  function fetchImage(extra: Record<string, string> = {}) {
    return runAsync(repoPath('deploy/vm/fetch-image.sh'), [], {
      env: {
        ...process.env,
        SYSMON_VM_DIR: join(root, 'workspace'),
        ALMA_BASE_URL: `${base}/images`,
        ALMA_GPG_KEY_URL: `${base}/key.asc`,
        ALMA_GPG_FINGERPRINT: fingerprint,
        VERIFY_GPG: 'auto',
        ...extra,
      },
      timeoutMs: 25_000,
    });
  }

  const imagesDir = () => join(root, 'workspace/images');

  beforeAll(async () => {
    mkdirSync(gnupg, { mode: 0o700 });
    expect(gpgRun(['--passphrase', '', '--quick-gen-key', 'otel-sysmon test <test@example.invalid>', 'ed25519', 'sign', 'never']).status).toBe(0);
    fingerprint = gpgRun(['--with-colons', '--fingerprint']).stdout.split('\n').find((l) => l.startsWith('fpr:'))!.split(':')[9];
    files.set('/key.asc', Buffer.from(gpgRun(['--armor', '--export', fingerprint]).stdout));
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const body = files.get(req.url ?? '');
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    run('gpgconf', ['--homedir', gnupg, '--kill', 'all']);
    rmSync(root, { recursive: true, force: true });
  });

  it('downloads, checks the signature and the checksum, and records what it fetched', async () => {
    const bytes = randomBytes(64 * 1024);
    publish(bytes, bytes);
    const r = await fetchImage();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`CHECKSUM signature good (key ${fingerprint})`);
    expect(readFileSync(join(imagesDir(), image)).equals(bytes)).toBe(true);
    const meta = readFileSync(join(imagesDir(), `${image}.env`), 'utf8');
    expect(meta).toContain(`IMAGE_SHA256=${createHash('sha256').update(bytes).digest('hex')}`);
    expect(meta).toContain(`IMAGE_VERSION=${dated}`);
    expect(meta).toContain(`IMAGE_URL=${base}/images/${image}`);
  });

  it('does not download again when the image on disk matches', async () => {
    const before = requests.filter((u) => u.endsWith('.qcow2')).length;
    const r = await fetchImage();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('is up to date');
    expect(requests.filter((u) => u.endsWith('.qcow2')).length).toBe(before);
  });

  it('deletes a download whose checksum does not match', async () => {
    rmSync(join(imagesDir(), image));
    const published = randomBytes(64 * 1024);
    publish(randomBytes(64 * 1024), published);
    const r = await fetchImage();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`checksum mismatch for ${image}`);
    expect(existsSync(join(imagesDir(), image))).toBe(false);
    expect(readdirSync(imagesDir()).filter((f) => f.startsWith('.fetch'))).toEqual([]);
  });

  it('accepts an inline (clearsigned) CHECKSUM and refuses a signing key other than the pinned one', async () => {
    const bytes = randomBytes(1024);
    publish(bytes, bytes, 'inline');
    const good = await fetchImage();
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('signature good');
    rmSync(join(imagesDir(), image));
    const other = 'BF18AC2876178908D6E71267D36CB86CB86B3716';
    const r = await fetchImage({ ALMA_GPG_FINGERPRINT: other });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`has fingerprint ${fingerprint}, not the pinned ${other}`);
    expect(existsSync(join(imagesDir(), image))).toBe(false);
  });

  it('refuses a CHECKSUM altered after it was signed', async () => {
    const bytes = randomBytes(1024);
    const checksum = publish(bytes, bytes);
    files.set('/images/CHECKSUM', Buffer.from(checksum.replace(/= [0-9a-f]{64}\n$/, `= ${'0'.repeat(64)}\n`)));
    const r = await fetchImage();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('bad signature on CHECKSUM');
    expect(existsSync(join(imagesDir(), image))).toBe(false);
  });

  it('refuses an unsigned CHECKSUM when a signature is required, and warns when it is not', async () => {
    const bytes = randomBytes(1024);
    publish(bytes, bytes, 'none');
    const required = await fetchImage({ VERIFY_GPG: 'require' });
    expect(required.status).toBe(1);
    expect(required.stderr).toContain('no signature');
    const auto = await fetchImage();
    expect(auto.status).toBe(0);
    expect(auto.stderr).toContain('warning: no signature published');
  });
});
