// Every duration option has a ceiling. Options that drive a timer stop at 2^31-1 ms (Node turns a longer
// setTimeout/setInterval into 1 ms and the agent would spin printing TimeoutOverflowWarning); ages and
// retentions, only ever compared with timestamps, stop at a century. Beyond it: one line naming the option.
import fc from 'fast-check';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { type ConfigKey, flagName, OPTIONS } from '../../src/config/options.js';
import { MAX_AGE_MS, MAX_TIMER_MS } from '../../src/config/values.js';
import { runCli } from '../support/cli.js';

/** Options compared with timestamps only (never a timer's delay). */
const AGES = new Set(['snapshotRetention', 'spoolMaxAge', 'historyRetention', 'historyRollupRetention']);

/** Every option whose parser takes a duration: it reads "1s" as 1000 ms. */
const DURATIONS = (Object.keys(OPTIONS) as ConfigKey[]).filter((k) => {
  try {
    return OPTIONS[k].parse('90s') === 90_000;
  } catch {
    return false;
  }
});

function loadMessage(key: ConfigKey, value: string): string | undefined {
  try {
    loadConfig({ argv: { [key]: value }, env: {} });
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
}

describe('duration ceilings', () => {
  it('finds the duration options', () => {
    expect(DURATIONS).toEqual(expect.arrayContaining(['interval', 'exportTimeout', 'leaseTtl', 'historyInterval', ...AGES]));
    expect(DURATIONS.length).toBeGreaterThanOrEqual(13);
  });

  it('refuses any duration above the ceiling with one line naming the option, and accepts the ceiling itself', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DURATIONS), fc.integer({ min: 1, max: 1e12 }), (key, over) => {
        const ceiling = AGES.has(key) ? MAX_AGE_MS : MAX_TIMER_MS;
        const value = `${ceiling + over}ms`;
        const flag = flagName(key);
        const message = loadMessage(key, value);
        expect(message).toBe(
          `invalid ${flag}="${value}" (from --${flag}): expected a duration of at most ${AGES.has(key) ? '36500d' : '24d20h31m23.647s (2^31-1 ms, the longest a timer can wait)'}`,
        );
        expect(loadMessage(key, `${ceiling}ms`)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('refuses 25d for the interval in the built CLI: status 2, one line, the agent never starts', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sysmon-ceiling-'));
    const r = runCli(['run', '--exporter', 'none', '--interval', '25d', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0'], {}, 10_000);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'otel-sysmon: invalid interval="25d" (from --interval): expected a duration of at most 24d20h31m23.647s (2^31-1 ms, the longest a timer can wait)\n',
    );
  });

  it.each([
    ['wrap', ['wrap', '--sample-interval', '30d', '--', 'true'], 'sample-interval="30d"'],
    ['lease run', ['lease', 'run', '--cost', '1', '--timeout', '30d', '--', 'true'], 'timeout="30d"'],
    ['top', ['top', '--refresh', '30d', '--iterations', '1'], 'refresh="30d"'],
    ['bridge', ['bridge', '--batch-delay', '30d'], 'batch-delay="30d"'],
  ])('%s refuses a delay its timer cannot wait', (_name, args, what) => {
    const r = runCli(args, {}, 10_000);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`invalid ${what}`);
    expect(r.stderr).toContain('at most 24d20h31m23.647s');
  });
});
