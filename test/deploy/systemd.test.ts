// The systemd unit: hardened as documented, accepted by `systemd-analyze verify` without a warning, a low
// exposure score from `systemd-analyze security`; its config file loads with the agent's own loader; the
// AlmaLinux installer stages a runnable agent, keeps an existing configuration and writes the token.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { parseUnit, setting } from './unit-file.js';
import { readRepoFile, repoPath, run, tool, which } from './tools.js';

const UNIT = 'deploy/systemd/otel-sysmon.service';
const unitText = readRepoFile(UNIT);
const unit = parseUnit(unitText);
const service = (key: string) => setting(unit, 'Service', key);

describe('otel-sysmon.service', () => {
  it('runs the agent with its config, state directory and API token credential', () => {
    const exec = service('ExecStart')!.split(/\s+/);
    expect(exec.slice(0, 3)).toEqual(['/usr/bin/node', '/opt/otel-sysmon/bin/otel-sysmon.js', 'run']);
    expect(exec.join(' ')).toContain('--config /etc/otel-sysmon/config.yaml');
    expect(exec.join(' ')).toContain(`--data-dir /var/lib/${service('StateDirectory')}`);
    expect(exec.join(' ')).toContain('--api-token-file %d/api-token');
    expect(service('LoadCredential')).toBe('api-token:/etc/otel-sysmon/api-token');
    expect(setting(unit, 'Install', 'WantedBy')).toBe('multi-user.target');
  });

  it.each([
    ['DynamicUser', 'yes'],
    ['StateDirectory', 'otel-sysmon'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateTmp', 'yes'],
    ['NoNewPrivileges', 'yes'],
    ['AmbientCapabilities', 'CAP_PERFMON'],
    ['CapabilityBoundingSet', 'CAP_PERFMON'],
    ['Restart', 'on-failure'],
  ])('sets %s=%s', (key, value) => {
    expect(service(key)).toBe(value);
  });

  it('lets perf_event_open through the system-call filter', () => {
    expect(service('SystemCallFilter')!.split(/\s+/)).toEqual(expect.arrayContaining(['@system-service', 'perf_event_open']));
  });

  it.each(['MemoryDenyWriteExecute', 'ProcSubset', 'ProtectProc'])('does not set %s (it breaks V8 or hides /proc)', (key) => {
    expect(service(key)).toBeUndefined();
  });
});

const analyze = tool('systemd-analyze', 'systemd');

describe.skipIf(!analyze.path)(`systemd-analyze ${analyze.skipReason}`, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sysmon-unit-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  // verify checks that ExecStart's program exists: point it at this machine's node when /usr/bin/node is absent.
  function unitCopy(edit: (text: string) => string = (t) => t): string {
    const dir = mkdtempSync(join(scratch, 'u-'));
    const node = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
    const file = join(dir, 'otel-sysmon.service');
    writeFileSync(file, edit(unitText.replace('ExecStart=/usr/bin/node ', `ExecStart=${node} `)));
    return file;
  }

  it('systemd-analyze verify accepts the unit without a single warning', () => {
    const r = run(analyze.path!, ['verify', unitCopy()]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('verify would report a bad setting (so the check above means something)', () => {
    const r = run(analyze.path!, ['verify', unitCopy((t) => t.replace('ProtectSystem=strict', 'ProtectSystem=sometimes'))]);
    expect(r.stderr).toContain('sometimes');
  });

  it('systemd-analyze security rates the exposure 2.5 or lower', () => {
    const r = run(analyze.path!, ['security', '--offline=true', '--threshold=25', '--no-pager', unitCopy()]);
    expect(r.stdout).toMatch(/Overall exposure level for otel-sysmon\.service: [0-2]\.\d/);
    expect(r.status).toBe(0);
  });
});

describe('config.yaml', () => {
  it('loads with the agent loader and sends OTLP to the local collector', () => {
    const config = loadConfig({ argv: { config: repoPath('deploy/systemd/config.yaml') }, env: {} });
    expect(config.exporter).toEqual(['otlp']);
    expect(config.otlpEndpoint).toBe('http://localhost:4317/');
    expect(config.apiListen).toEqual({ host: '127.0.0.1', port: 9465 });
    expect(config.logFormat).toBe('json');
    expect(config.origins.exporter).toBe('file');
  });
});

describe('install-almalinux.sh', () => {
  const script = repoPath('deploy/systemd/install-almalinux.sh');
  const stage = mkdtempSync(join(tmpdir(), 'sysmon-install-'));
  afterAll(() => rmSync(stage, { recursive: true, force: true }));

  it('rejects an unknown option', () => {
    const r = run(script, ['--frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown option --frobnicate');
  });

  it('stages a runnable agent, the unit, the token, and keeps an existing config', () => {
    const custom = 'exporter: [prometheus]\n';
    mkdirSync(join(stage, 'etc/otel-sysmon'), { recursive: true });
    writeFileSync(join(stage, 'etc/otel-sysmon/config.yaml'), custom);

    const r = run(script, ['--destdir', stage, '--no-build'], { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('keeping');
    expect(r.stdout).toContain('generated');

    const version = JSON.parse(readRepoFile('package.json')).version as string;
    const installed = run(process.execPath, [join(stage, 'opt/otel-sysmon/bin/otel-sysmon.js'), '--version']);
    expect(installed.stdout.trim()).toBe(version);

    expect(readFileSync(join(stage, 'etc/otel-sysmon/config.yaml'), 'utf8')).toBe(custom);
    const token = join(stage, 'etc/otel-sysmon/api-token');
    expect(readFileSync(token, 'utf8')).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(token).mode & 0o777).toBe(0o640);

    const unitFile = join(stage, 'etc/systemd/system/otel-sysmon.service');
    expect(statSync(unitFile).mode & 0o777).toBe(0o644);
    expect(readFileSync(unitFile, 'utf8')).toContain(`ExecStart=${which('node')} /opt/otel-sysmon/bin/otel-sysmon.js run`);

    const link = join(stage, 'usr/local/bin/otel-sysmon');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('/opt/otel-sysmon/bin/otel-sysmon.js');
    expect(existsSync(join(stage, 'opt/otel-sysmon.new'))).toBe(false);
  });
});
