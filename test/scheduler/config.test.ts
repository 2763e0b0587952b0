import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { parseThresholds, ValueError } from '../../src/config/values.js';
import { historySettings, schedulerSettings } from '../../src/scheduler/module.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('scheduler options', () => {
  it('parses quiet,busy,panic thresholds, increasing or (free disk) decreasing', () => {
    expect(parseThresholds('70,80,90')).toEqual({ quiet: 70, busy: 80, panic: 90 });
    expect(parseThresholds(' 0.7, 1.5 ,3')).toEqual({ quiet: 0.7, busy: 1.5, panic: 3 });
    expect(parseThresholds('20,10,5', true)).toEqual({ quiet: 20, busy: 10, panic: 5 });
    for (const bad of ['90,80,70', '70,80', '70,80,90,100', 'a,b,c', '-1,2,3', '']) expect(() => parseThresholds(bad)).toThrow(ValueError);
    expect(() => parseThresholds('5,10,20', true)).toThrow(/three decreasing numbers/);
  });

  it('has safe defaults for a small box', () => {
    const c = loadConfig({ argv: {}, env: {} });
    expect(schedulerSettings(c)).toEqual({
      capacityUnits: 100,
      headroomUnits: 20,
      ttlMs: 30_000,
      maxLeases: 4,
      maxPerAddon: 2,
      cooldownMs: 120_000,
      intervalMs: 10_000,
      queueMax: 256,
    });
    expect(historySettings(c)).toEqual({ intervalMs: 10_000, retentionMs: 7 * 86_400_000, rollupStepMs: 300_000, rollupRetentionMs: 90 * 86_400_000 });
    expect(c.quietHold).toBe(30_000);
    expect(c.quietMemory).toEqual({ quiet: 70, busy: 80, panic: 90 });
    expect(c.quietDiskFree).toEqual({ quiet: 20, busy: 10, panic: 5 });
  });

  it('takes thresholds from flags, the environment and YAML (a string or a list)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysmon-cfg-'));
    dirs.push(dir);
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'quiet-memory: [60, 75, 85]\nquiet-load: 1,2,4\nlease-ttl: 45s\nscheduler-capacity: 40\nscheduler-headroom: 5\n', { mode: 0o600 });
    const c = loadConfig({ argv: { config: file, quietCpu: ['10,20,30'] }, env: { SYSMON_SCHEDULER_CAPACITY: '50' } });
    expect(c.quietMemory).toEqual({ quiet: 60, busy: 75, panic: 85 });
    expect(c.quietLoad).toEqual({ quiet: 1, busy: 2, panic: 4 });
    expect(c.quietCpu).toEqual({ quiet: 10, busy: 20, panic: 30 });
    expect(c.leaseTtl).toBe(45_000);
    expect(c.schedulerCapacity).toBe(50);
  });

  it('names the option in one line when a value is wrong', () => {
    expect(() => loadConfig({ argv: { quietMemory: ['90,80,70'] }, env: {} })).toThrow(
      'invalid quiet-memory="90,80,70" (from --quiet-memory): expected three increasing numbers quiet,busy,panic such as 70,80,90',
    );
    expect(() => loadConfig({ argv: { leaseTtl: '200ms' }, env: {} })).toThrow(/invalid lease-ttl="200ms".*at least 1000ms/);
    expect(() => loadConfig({ argv: { schedulerHeadroom: '100' }, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ argv: { schedulerHeadroom: '100' }, env: {} })).toThrow(
      'invalid scheduler-headroom="100": expected fewer units than scheduler-capacity (100)',
    );
  });
});
