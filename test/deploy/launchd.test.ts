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

  it('starts node by absolute path (a versioned keg) with the agent, its config and its data directory, after writing its pid', () => {
    // /bin/sh writes its pid to args[3] and execs node in its place, so the pid is the agent's.
    expect(args.slice(0, 3)).toEqual(['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"']);
    expect(args[3]).toBe('/var/run/io.otel-sysmon.agent.pid');
    expect(args[4]).toMatch(/^\/opt\/homebrew\/opt\/node@\d+\/bin\/node$/);
    expect(args[5]).toMatch(/^\/.*\/bin\/otel-sysmon\.js$/);
    expect(args[6]).toBe('run');
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
    expect(v.prefix).toBe(dirname(dirname(args[5])));
    expect(v.conf).toBe(dirname(option('--config')));
    expect(v.data).toBe(option('--data-dir'));
    expect(v.logs).toBe(dirname(plist.StandardOutPath));
  });

  it('install.sh loads with launchctl bootstrap and pins the node path; both unload through unload.sh', () => {
    const install = vars('install.sh').text;
    expect(install).toContain('launchctl bootstrap system "$PLIST"');
    expect(install).toContain('unload_daemon "$LABEL"');
    expect(install).toContain(`TEMPLATE_NODE=${args[4]}`);
    expect(install).toContain('deploy/launchd/$LABEL.plist');
    expect(vars('uninstall.sh').text).toContain('unload_daemon "$LABEL"');
    expect(readRepoFile('deploy/launchd/unload.sh')).toContain('launchctl bootout "system/$label"');
  });

  it('install.sh copies every runtime file the package ships (package.json "files", plus node_modules)', () => {
    const listed = /^RUNTIME_FILES=\((.*)\)$/m.exec(vars('install.sh').text)![1].split(/\s+/);
    const pkg = JSON.parse(readRepoFile('package.json')) as { files: string[] };
    // Documentation and deployment sources are not needed at run time.
    const runtime = pkg.files.filter((f) => !['README.md', 'deploy'].includes(f));
    expect(listed).toEqual(expect.arrayContaining(['package.json', 'node_modules']));
    // Each shipped path is copied itself or inside a copied folder.
    expect(runtime.filter((f) => !listed.some((l) => f === l || f.startsWith(`${l}/`)))).toEqual([]);
  });

  it('newsyslog rotates both log files and signals the pid the plist writes with SIGTERM', () => {
    const lines = readRepoFile('deploy/launchd/newsyslog.conf')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => l.trim().split(/\s+/));
    expect(lines.map((f) => f[0]).sort()).toEqual([plist.StandardErrorPath, plist.StandardOutPath].sort());
    for (const [, owner, mode, count, size, when, flags, pidFile, signal] of lines) {
      expect(owner).toBe('root:wheel');
      expect(mode).toMatch(/^[0-7]{3}$/);
      expect(Number(count)).toBeGreaterThan(0);
      expect(Number(size)).toBeGreaterThan(0);
      expect(when).toBe('*');
      expect(flags).toMatch(/^[ZJ]$/);
      expect(pidFile).toBe(args[3]);
      expect(signal).toBe('15');
    }
    expect(vars('install.sh').text).toContain('NEWSYSLOG=/etc/newsyslog.d/$LABEL.conf');
    expect(vars('uninstall.sh').text).toContain('NEWSYSLOG=/etc/newsyslog.d/$LABEL.conf');
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
