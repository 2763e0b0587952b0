import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { PointSink } from '../../src/collectors/types.js';
import { thresholdsFromConfig } from '../../src/scheduler/assess.js';
import { Hysteresis } from '../../src/scheduler/hysteresis.js';
import { emitQuiet, QuietMonitor } from '../../src/scheduler/quiet.js';
import type { QuietState } from '../../src/scheduler/types.js';
import { MEM_FOR, memoryHost } from './fixtures.js';

const HOLD = 30_000;

/** Feeds raw states one per `step` ms and returns the state in force after each. */
function run(raws: QuietState[], step = 10_000): QuietState[] {
  const h = new Hysteresis(HOLD);
  return raws.map((raw, i) => h.update(raw, i * step).state);
}

describe('hysteresis', () => {
  it('takes the first state at once, then needs the hold time to change', () => {
    expect(run(['QUIET', 'BUSY', 'BUSY', 'BUSY', 'BUSY'])).toEqual(['QUIET', 'QUIET', 'QUIET', 'QUIET', 'BUSY']);
  });

  it('enters PANIC at once but leaves it only after the hold', () => {
    expect(run(['QUIET', 'PANIC', 'QUIET', 'QUIET', 'QUIET', 'QUIET'])).toEqual(['QUIET', 'PANIC', 'PANIC', 'PANIC', 'PANIC', 'QUIET']);
  });

  it('does not flap when readings cross back and forth', () => {
    expect(run(['QUIET', 'BUSY', 'QUIET', 'BUSY', 'QUIET', 'BUSY', 'QUIET'])).toEqual(Array(7).fill('QUIET'));
  });

  it('leaves a state after the hold even when readings waver on the same side', () => {
    // NORMAL and BUSY are both worse than QUIET: after 30 s the state becomes the latest reading.
    expect(run(['QUIET', 'NORMAL', 'BUSY', 'NORMAL', 'BUSY'])).toEqual(['QUIET', 'QUIET', 'QUIET', 'QUIET', 'BUSY']);
  });

  it('reports when QUIET could come at the earliest', () => {
    const h = new Hysteresis(HOLD);
    h.update('BUSY', 0);
    expect(h.msUntilQuiet(0)).toBe(HOLD);
    h.update('QUIET', 5_000);
    expect(h.msUntilQuiet(12_000)).toBe(23_000);
    h.update('BUSY', 15_000);
    expect(h.msUntilQuiet(15_000)).toBe(HOLD);
    h.update('QUIET', 20_000);
    h.update('QUIET', 50_000);
    expect(h.state).toBe('QUIET');
    expect(h.msUntilQuiet(50_000)).toBe(0);
  });
});

describe('quiet monitor', () => {
  const config = loadConfig({ argv: {}, env: {} });
  const api = { requests: 0, serverErrorRate: 0, clientErrorRate: 0, latencyP95Ms: 0 };

  it('assesses each collection, holds the state and says why', () => {
    const m = new QuietMonitor(thresholdsFromConfig(config), config.quietHold);
    const at = (t: number, mem: number) => m.observe({ collection: memoryHost(mem, t), diskFreePct: 50, api });
    expect(at(0, MEM_FOR.QUIET).state).toBe('QUIET');
    const held = at(10_000, MEM_FOR.BUSY);
    expect(held).toMatchObject({ state: 'QUIET', rawState: 'BUSY', pending: { state: 'BUSY', sinceMs: 10_000 } });
    expect(held.reasons).toEqual(['memory 85% > 80% (BUSY)', 'holding QUIET for 30s more (inputs say BUSY)']);
    expect(m.view(10_000)).toEqual({ state: 'QUIET', score: held.score, msUntilQuiet: 0 });
    expect(at(40_000, MEM_FOR.BUSY).state).toBe('BUSY');
    const panic = at(41_000, MEM_FOR.PANIC);
    expect(panic.state).toBe('PANIC');
    expect(panic.score).toBeLessThan(25);
    expect(panic.inputs.mem_pct).toBe(95);
    expect(m.view(41_000)!.msUntilQuiet).toBe(HOLD);
  });

  it('exports sysmon.quiet.score and sysmon.quiet.state with 1 for the state in force', () => {
    const m = new QuietMonitor(thresholdsFromConfig(config), config.quietHold);
    const a = m.observe({ collection: memoryHost(MEM_FOR.NORMAL, 0), diskFreePct: undefined, api });
    const points: [string, number, unknown][] = [];
    const sink: PointSink = { add: (metric, value, attributes) => points.push([metric, value, attributes]) };
    emitQuiet(sink, a);
    expect(points).toEqual([
      ['sysmon.quiet.score', a.score, undefined],
      ['sysmon.quiet.state', 0, { state: 'QUIET' }],
      ['sysmon.quiet.state', 1, { state: 'NORMAL' }],
      ['sysmon.quiet.state', 0, { state: 'BUSY' }],
      ['sysmon.quiet.state', 0, { state: 'PANIC' }],
    ]);
  });
});
