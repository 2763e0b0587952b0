// The launchd install and uninstall scripts, run for real on this machine: install.sh --destdir stages
// what the daemon and the bridge need (the staged agent starts through the plist's own command line and
// writes the pid file newsyslog signals), pins a versioned Homebrew keg and refuses the unversioned `node`
// formula and an x86_64 node on Apple Silicon; uninstall.sh finishes when launchctl bootout is slow or
// fails. Homebrew, sysctl and launchctl are stand-ins on PATH (the real ones exist only on macOS).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath, run, tool } from './tools.js';

const INSTALL = repoPath('deploy/launchd/install.sh');
const UNINSTALL = repoPath('deploy/launchd/uninstall.sh');
const python = tool('python3', 'python3');
const scratch = mkdtempSync(join(tmpdir(), 'sysmon-launchd-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function script(path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `#!/bin/bash\n${text}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A Homebrew prefix with one formula's node (a wrapper around this node), linked like brew does. */
function homebrew(formula: string, version: string, preload?: string): string {
  const prefix = join(scratch, `brew-${formula}-${Math.random().toString(36).slice(2)}`);
  const keg = join(prefix, 'Cellar', formula, version);
  const extra = preload ? `-r ${preload} ` : '';
  script(join(keg, 'bin/node'), `exec ${process.execPath} ${extra}"$@"`);
  mkdirSync(join(prefix, 'opt'), { recursive: true });
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  symlinkSync(join('..', 'Cellar', formula, version), join(prefix, 'opt', formula));
  symlinkSync(join('..', 'Cellar', formula, version, 'bin/node'), join(prefix, 'bin/node'));
  return prefix;
}

/** PATH with stand-ins first: `sysctl` answering hw.optional.arm64, a launchctl script, an instant sleep. */
function fakeBin(name: string, tools: Record<string, string>): string {
  const dir = join(scratch, `bin-${name}`);
  for (const [command, body] of Object.entries(tools)) script(join(dir, command), body);
  return `${dir}:${process.env.PATH}`;
}

const plistArgs = (file: string): string[] =>
  JSON.parse(run(python.path!, ['-c', 'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))["ProgramArguments"]))', file]).stdout);

describe.skipIf(!python.path)(`install.sh --destdir ${python.skipReason}`, () => {
  const stage = join(scratch, 'stage');
  const brew = homebrew('node@20', '20.19.0');
  const staged = run(INSTALL, ['--no-build', '--destdir', stage], { env: { ...process.env, NODE: join(brew, 'bin/node') }, timeoutMs: 60_000 });

  it('stages the agent, its runtime files, config, log rotation and the plist', () => {
    expect(staged.stderr).toBe('');
    expect(staged.status).toBe(0);
    for (const file of ['package.json', 'bin/otel-sysmon.js', 'dist/src/cli/main.js', 'node_modules/koffi', 'proto/opentelemetry', 'otel-collector-config/proton/streams.sql']) {
      expect(existsSync(join(stage, 'usr/local/otel-sysmon', file)), file).toBe(true);
    }
    expect(existsSync(join(stage, 'usr/local/etc/otel-sysmon/config.yaml'))).toBe(true);
    expect(readFileSync(join(stage, 'etc/newsyslog.d/io.otel-sysmon.agent.conf'), 'utf8')).toBe(readFileSync(repoPath('deploy/launchd/newsyslog.conf'), 'utf8'));
  });

  it('pins the versioned keg path of a Homebrew node@20, not bin/node or the Cellar version', () => {
    expect(staged.stdout).toContain(`the daemon runs ${brew}/opt/node@20/bin/node`);
    expect(plistArgs(join(stage, 'Library/LaunchDaemons/io.otel-sysmon.agent.plist'))[4]).toBe(`${brew}/opt/node@20/bin/node`);
  });

  it('the staged bridge finds the OTLP protocol definitions and the Proton DDL where it runs', () => {
    const agent = join(stage, 'usr/local/otel-sysmon');
    const probe = `
      const proto = await import(${JSON.stringify(join(agent, 'dist/src/otlp/proto.js'))});
      const streams = await import(${JSON.stringify(join(agent, 'dist/src/bridge/streams.js'))});
      console.log(proto.metricsRequestType().fullName, streams.protonConfigDir());`;
    const r = run(process.execPath, ['--input-type=module', '-e', probe]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest ${agent}/otel-collector-config/proton/`);
  });

  it('the staged daemon starts with the plist command line, writes its pid for newsyslog and stops on SIGTERM', async () => {
    // The plist's own arguments, with the system paths moved under the stage and a free API port.
    const args = plistArgs(join(stage, 'Library/LaunchDaemons/io.otel-sysmon.agent.plist')).map((a) =>
      /^\/(usr|var)\//.test(a) ? join(stage, a) : a,
    );
    const pidFile = args[3];
    mkdirSync(join(pidFile, '..'), { recursive: true });
    const child = spawn(args[0], [...args.slice(1), '--exporter', 'none', '--api-listen', '127.0.0.1:0', '--interval', '1s'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // The agent handles SIGTERM once start() has returned; the first collection's quiet assessment is
    // logged after that (a SIGTERM during start-up ends it without the graceful flush).
    for (let i = 0; i < 300 && !(existsSync(pidFile) && stderr.includes('"quiet state changed"')); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    // exec replaced the shell: the pid in the file is the agent's own, the one launchd watches.
    expect(Number(readFileSync(pidFile, 'utf8'))).toBe(child.pid);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});

describe('install.sh refuses a node the daemon must not pin', () => {
  it("Homebrew's unversioned node formula (a brew upgrade changes its major)", () => {
    const brew = homebrew('node', '23.1.0');
    const r = run(INSTALL, ['--no-build', '--destdir', join(scratch, 'never')], { env: { ...process.env, NODE: join(brew, 'bin/node') } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`is Homebrew's unversioned 'node' formula (${brew}/Cellar/node/23.1.0/bin/node)`);
    expect(existsSync(join(scratch, 'never'))).toBe(false);
  });

  it('an x86_64 node on Apple Silicon (Rosetta: no IOReport)', () => {
    const preload = join(scratch, 'x64.cjs');
    writeFileSync(preload, "Object.defineProperty(process, 'arch', { value: 'x64' });\n");
    const brew = homebrew('node@20', '20.19.0', preload);
    const PATH = fakeBin('arm64', { sysctl: '[ "$2" = hw.optional.arm64 ] && echo 1' });
    const r = run(INSTALL, ['--no-build', '--destdir', join(scratch, 'never')], { env: { ...process.env, PATH, NODE: join(brew, 'bin/node') } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('is an x64 build: on Apple Silicon it runs under Rosetta, where IOReport gives no CPU frequencies');
  });
});

describe('uninstall.sh with a slow or failing launchctl bootout', () => {
  /** A staged install to remove, and a launchctl whose job stays loaded for `polls` prints after bootout. */
  function setup(name: string, polls: number, killWorks: boolean) {
    const root = join(scratch, `un-${name}`);
    for (const dir of ['usr/local/otel-sysmon/bin', 'Library/LaunchDaemons', 'etc/newsyslog.d', 'var/run', 'usr/local/etc/otel-sysmon']) mkdirSync(join(root, dir), { recursive: true });
    for (const file of ['Library/LaunchDaemons/io.otel-sysmon.agent.plist', 'etc/newsyslog.d/io.otel-sysmon.agent.conf', 'var/run/io.otel-sysmon.agent.pid']) writeFileSync(join(root, file), '');
    const state = join(root, 'launchctl-state');
    writeFileSync(state, 'loaded');
    const PATH = fakeBin(name, {
      sleep: 'exit 0',
      launchctl: `state=${state}
case "$1" in
  print) s=$(cat "$state"); case "$s" in loaded) exit 0 ;; gone) exit 113 ;; esac
         [ "$s" -gt 0 ] && { echo $((s - 1)) > "$state"; exit 0; }; echo gone > "$state"; exit 113 ;;
  bootout) [ "$(cat "$state")" = loaded ] && echo ${polls} > "$state"; echo "Boot-out failed: 5: Input/output error" >&2; exit 5 ;;
  kill) ${killWorks ? 'echo gone > "$state"' : 'true'}; exit 0 ;;
esac`,
    });
    return { root, run: () => run(UNINSTALL, ['--destdir', root], { env: { ...process.env, PATH } }) };
  }

  const removed = (root: string) =>
    ['usr/local/otel-sysmon', 'Library/LaunchDaemons/io.otel-sysmon.agent.plist', 'etc/newsyslog.d/io.otel-sysmon.agent.conf', 'var/run/io.otel-sysmon.agent.pid'].every(
      (f) => !existsSync(join(root, f)),
    );

  it('bootout fails with EIO while the agent flushes: waits for it, then removes everything', () => {
    const s = setup('slow', 30, true);
    const r = s.run();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('launchctl bootout system/io.otel-sysmon.agent returned 5; waiting up to 40 s for it to stop');
    expect(r.stdout).toContain('unloaded io.otel-sysmon.agent');
    expect(r.stdout).not.toContain('SIGKILL');
    expect(removed(s.root)).toBe(true);
    expect(existsSync(join(s.root, 'usr/local/etc/otel-sysmon'))).toBe(true);
  });

  it('a job that outlives the wait is killed, and the files go', () => {
    const s = setup('stuck', 100_000, true);
    const r = s.run();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('still loaded after 40 s: sending SIGKILL');
    expect(r.stdout).toContain('unloaded io.otel-sysmon.agent');
    expect(removed(s.root)).toBe(true);
  });

  it('a job that survives SIGKILL too: a warning, and the files still go', () => {
    const s = setup('immortal', 100_000, false);
    const r = s.run();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('warning: io.otel-sysmon.agent is still loaded after SIGKILL; removing its files anyway');
    expect(removed(s.root)).toBe(true);
  });
});
