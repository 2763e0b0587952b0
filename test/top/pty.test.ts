// `otel-sysmon top` as a user runs it: under a pseudo-terminal (util-linux `script`), q and Ctrl-C
// leave with the screen and the terminal mode restored; on a pipe it prints plain lines.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../support/cli.js';
import { FIXTURES } from '../collectors/fixture-host.js';

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const ROOT = join(FIXTURES, 'bare-metal');
const HOST_ARGS = `--procfs ${ROOT}/proc --sysfs ${ROOT}/sys --frequency-sources sysfs`;

/** Runs top in a pty, sends `key` once the first frame is drawn, returns everything the pty showed. */
function topInPty(key: string): Promise<{ code: number | null; out: string }> {
  // After top exits, stty shows whether raw mode was undone (icanon and echo back on).
  const cmd = `stty cols 100 rows 20; ${process.execPath} ${BIN} top ${HOST_ARGS}; echo EXIT=$?; stty -a`;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let sent = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`top did not exit within 15 s; output:\n${out}`));
    }, 15_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (!sent && out.includes('q: quit') && /\n\s+3 .*GHz/.test(out)) {
        sent = true;
        child.stdin.write(key);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe.runIf(hasScript)('top under a pseudo-terminal', () => {
  it.each([
    ['q', 'q'],
    ['Ctrl-C', '\x03'],
  ])('draws per-CPU rows and exits cleanly on %s', async (_name, key) => {
    const { code, out } = await topInPty(key);
    expect(code).toBe(0);
    expect(out).toContain('\x1b[?1049h'); // alternate screen entered
    expect(out).toMatch(/otel-sysmon top {2}3 CPUs/);
    expect(out).toMatch(/ {3}0 .* (\d\.\d{3} GHz|\d+ MHz) +sysfs/);
    expect(out).toContain('\x1b[?25h\x1b[?1049l'); // cursor shown, screen left
    expect(out).toContain('EXIT=0');
    const stty = out.slice(out.indexOf('EXIT=0'));
    expect(stty).toMatch(/(^|\s)icanon(\s|$)/m);
    expect(stty).toMatch(/(^|\s)echo(\s|$)/m);
  });
});

describe('top on a pipe', () => {
  it('prints plain lines, one block per refresh', () => {
    const r = runCli(['top', '--iterations', '2', '--refresh', '100ms', ...HOST_ARGS.split(' ')]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('\x1b[');
    const blocks = r.stdout.trim().split('\n').filter((l) => / load /.test(l));
    expect(blocks).toHaveLength(2);
    expect(r.stdout).toMatch(/^cpu0 busy \S+ clock \d\.\d{3} GHz \(sysfs\)$/m);
    expect(r.stdout).toMatch(/^cpu3 busy /m);
  });

  it('rejects a bad refresh with one line and exit 2', () => {
    const r = runCli(['top', '--refresh', 'soon']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('otel-sysmon: invalid refresh="soon" (from --refresh): expected a duration such as 500ms, 10s, 5m, 1h30m or 90d\n');
  });
});
