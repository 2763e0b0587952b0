// A data directory the process cannot use is a configuration error: one line naming --data-dir, what is
// wrong and how to fix it, exit status 2, never a stack trace, whichever file in it is the problem and
// whichever command meets it first. Runs as an unprivileged user (uid 65534 when the tests run as root,
// so permissions mean something).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** A data directory broken one way; root-owned files stay unreadable to the unprivileged user. */
const BROKEN: Record<string, () => string> = {
  'read-only directory': () => {
    const d = mkdtempSync(join(tmpdir(), 'sysmon-ro-'));
    chmodSync(d, 0o555);
    return d;
  },
  'a file where the directory should be': () => {
    const f = join(mkdtempSync(join(tmpdir(), 'sysmon-file-')), 'plain');
    writeFileSync(f, '');
    return join(f, 'data');
  },
  'unreadable api-token': () => brokenFile('api-token', 'secret-token\n'),
  'unreadable store': () => brokenFile('otel-sysmon.db', 'x'),
  'a store that is not a database': () => brokenFile('otel-sysmon.db', 'not sqlite at all', 0o666),
  'unreadable instance-id': () => brokenFile('instance-id', 'abc\n'),
};

function brokenFile(name: string, text: string, mode = 0o000): string {
  const d = mkdtempSync(join(tmpdir(), 'sysmon-bad-'));
  chmodSync(d, 0o777);
  writeFileSync(join(d, name), text);
  chmodSync(join(d, name), mode);
  return d;
}

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 15_000,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OTEL_|SYSMON_|HOST_)/.test(k))),
    ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  return { status: r.status, stderr: r.stderr };
}

const COMMANDS: Record<string, (dir: string) => string[]> = {
  run: (dir) => ['run', '--exporter', 'none', '--data-dir', dir, '--api-listen', '127.0.0.1:0'],
  bridge: (dir) => ['bridge', '--data-dir', dir, '--listen', '127.0.0.1:0', '--http-listen', 'off'],
};

const cases = Object.keys(BROKEN).flatMap((what) =>
  Object.keys(COMMANDS)
    // The bridge keeps no token or instance id.
    .filter((cmd) => cmd === 'run' || !/api-token|instance-id|store/.test(what))
    .map((cmd) => [cmd, what] as const),
);

describe('start-up environment errors', () => {
  it.each(cases)('%s with %s: one line naming --data-dir, status 2', (cmd, what) => {
    const dir = BROKEN[what]();
    const r = run(COMMANDS[cmd](dir));
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(
        new RegExp(`^otel-sysmon: invalid data-dir="${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": .+; choose a writable directory with --data-dir \\(or SYSMON_DATA_DIR\\) or fix its owner and permissions$`),
      ),
    ]);
    expect(r.status).toBe(2);
  });
});
