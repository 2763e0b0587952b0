// The macOS LaunchDaemon: the plist parses (Python's plistlib and libplist's plistutil), has what launchd
// needs to keep the agent running, and agrees with the install and uninstall scripts and the config file.
// launchctl itself only exists on macOS; on Linux the scripts must refuse to run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { readRepoFile, repoPath, run, tool } from './tools.js';

const PLIST = repoPath('deploy/launchd/io.otel-sysmon.agent.plist');
const python = tool('python3', 'python3');
const plistutil = tool('plistutil', 'libplist-utils');

const TO_JSON = 'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))';

describe.skipIf(!python.path)(`LaunchDaemon plist ${python.skipReason}`, () => {
  const parsed = run(python.path!, ['-c', TO_JSON, PLIST]);
  const plist = JSON.parse(parsed.stdout || '{}') as {
    Label: string;
    ProgramArguments: string[];
    RunAtLoad: boolean;
    KeepAlive: boolean | Record<string, boolean>;
    ThrottleInterval: number;
    StandardOutPath: string;
    StandardErrorPath: string;
    WorkingDirectory: string;
  };
  const args = plist.ProgramArguments ?? [];
  const option = (flag: string) => args[args.indexOf(flag) + 1];
  const vars = (script: string) => {
    const text = readRepoFile('deploy/launchd', script);
    const get = (name: string) => {
      const m = new RegExp(`^${name}=(.+)$`, 'm').exec(text);
      return m?.[1];
    };
    const label = get('LABEL')!;
    return {
      label,
      plist: get('PLIST')?.replace('$LABEL', label),
      prefix: get('PREFIX'),
      conf: get('CONF_DIR'),
      data: get('DATA_DIR'),
      logs: get('LOG_DIR'),
      text,
    };
  };

  it('parses with plistlib', () => {
    expect(parsed.stderr).toBe('');
    expect(parsed.status).toBe(0);
    expect(plist.Label).toBe('io.otel-sysmon.agent');
  });

  it('starts node by absolute path with the agent, its config and its data directory', () => {
    expect(args[0]).toMatch(/^\/.*\/node$/);
    expect(args[1]).toMatch(/^\/.*\/bin\/otel-sysmon\.js$/);
    expect(args[2]).toBe('run');
    expect(option('--config')).toMatch(/^\/.*\.yaml$/);
    expect(option('--data-dir')).toMatch(/^\//);
  });

  it('is kept alive, started at load, throttled, and logs to files', () => {
    expect(plist.RunAtLoad).toBe(true);
    expect(plist.KeepAlive).toBe(true);
    expect(plist.ThrottleInterval).toBeGreaterThanOrEqual(10);
    expect(plist.StandardOutPath).toMatch(/^\/var\/log\/otel-sysmon\/.+\.log$/);
    expect(plist.StandardErrorPath).toMatch(/^\/var\/log\/otel-sysmon\/.+\.log$/);
  });

  it.each(['install.sh', 'uninstall.sh'])('%s uses the same label, plist path and directories', (script) => {
    const v = vars(script);
    expect(v.label).toBe(plist.Label);
    expect(v.plist).toBe(`/Library/LaunchDaemons/${plist.Label}.plist`);
    expect(v.prefix).toBe(dirname(dirname(args[1])));
    expect(v.conf).toBe(dirname(option('--config')));
    expect(v.data).toBe(option('--data-dir'));
    expect(v.logs).toBe(dirname(plist.StandardOutPath));
  });

  it('install.sh loads with launchctl bootstrap and fixes the node path; uninstall.sh unloads with bootout', () => {
    const install = vars('install.sh').text;
    expect(install).toContain('launchctl bootstrap system "$PLIST"');
    expect(install).toContain('launchctl bootout "system/$LABEL"');
    expect(install).toContain('Set :ProgramArguments:0 $node');
    expect(install).toContain('deploy/launchd/$LABEL.plist');
    expect(vars('uninstall.sh').text).toContain('launchctl bootout "system/$LABEL"');
  });

  it('the installed config loads with the agent loader (IOReport first)', () => {
    const config = loadConfig({ argv: { config: repoPath('deploy/launchd/config.yaml') }, env: {} });
    expect(config.frequencySources).toEqual(['ioreport', 'sysctl']);
    expect(config.exporter).toEqual(['otlp']);
  });
});

describe.skipIf(!plistutil.path || !python.path)(`plistutil ${plistutil.skipReason || python.skipReason}`, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sysmon-plist-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('converts to a binary plist and back without losing anything', () => {
    const binary = join(scratch, 'agent.bplist');
    const xml = join(scratch, 'agent.plist');
    expect(run(plistutil.path!, ['-i', PLIST, '-o', binary]).status).toBe(0);
    expect(run(plistutil.path!, ['-i', binary, '-o', xml]).status).toBe(0);
    const again = run(python.path!, ['-c', TO_JSON, xml]);
    const original = run(python.path!, ['-c', TO_JSON, PLIST]);
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(original.stdout));
  });
});

describe.skipIf(process.platform === 'darwin')('on Linux', () => {
  it.each(['install.sh', 'uninstall.sh'])('%s refuses to run', (script) => {
    const r = run(repoPath('deploy/launchd', script), []);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('for macOS');
  });
});
