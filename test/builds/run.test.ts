// Worked examples of dsynth's rate, impulse and run lifecycle with a fake clock (seconds).
import { describe, expect, it } from 'vitest';
import { BuildRun } from '../../src/builds/run.js';

const s = (seconds: number): number => 1_700_000_000_000 + seconds * 1000;

function farm(minutes = 10): BuildRun {
  const run = new BuildRun(600_000);
  for (let i = 0; i < 20; i++) run.queued(`b${i}`, s(0));
  // One success a minute.
  for (let i = 0; i < minutes; i++) {
    run.started(`b${i}`, s(i * 60));
    run.finished(`b${i}`, 'success', s((i + 1) * 60));
  }
  return run;
}

describe('rate and impulse', () => {
  it('are 0 for the first 20 seconds', () => {
    const run = new BuildRun(600_000);
    run.queued('a', s(0));
    run.finished('a', 'success', s(5));
    expect(run.view(s(20))).toMatchObject({ rate: 0, impulse: 0, built: 1, elapsedSeconds: 20 });
    expect(run.view(s(21)).rate).toBeCloseTo(3600 / 21, 9);
  });

  it('before 10 minutes impulse covers the whole run like the rate', () => {
    const v = farm(5).view(s(300));
    expect(v.built).toBe(5);
    expect(v.rate).toBeCloseTo(60, 9); // 5 builds in 300 s
    expect(v.impulse).toBeCloseTo(60, 9);
  });

  it('after 10 minutes impulse uses the last 600 one-second slots', () => {
    const run = farm();
    expect(run.view(s(600))).toMatchObject({ built: 10, rate: 60, impulse: 60 });
    // A burst of 5 failures at 900..904 s, then quiet.
    for (let i = 10; i < 15; i++) {
      run.started(`b${i}`, s(890));
      run.finished(`b${i}`, 'failed', s(900 + (i - 10)));
    }
    const at1200 = run.view(s(1200));
    expect(at1200.failed).toBe(5);
    expect(at1200.rate).toBeCloseTo((15 * 3600) / 1200, 9); // 45/h since the start
    expect(at1200.impulse).toBeCloseTo(((15 - 10) * 3600) / 600, 9); // 30/h: completions after 600 s
    // Ten minutes after the burst it has left the window.
    expect(run.view(s(1505)).impulse).toBe(0);
  });

  it('counts ignored and skipped in neither rate nor impulse, but in remaining', () => {
    const run = farm();
    run.finished('b10', 'skipped', s(610));
    run.finished('b11', 'ignored', s(610));
    const v = run.view(s(1200));
    expect(v).toMatchObject({ total: 20, built: 10, skipped: 1, ignored: 1, remaining: 8 });
    expect(v.rate).toBeCloseTo(30, 9);
    expect(v.impulse).toBeCloseTo(0, 9);
  });
});

describe('run lifecycle', () => {
  it('starts with the first queued build and ends after the idle timeout with nothing pending', () => {
    const run = new BuildRun(600_000);
    expect(run.view(s(0))).toMatchObject({ active: false, startedMs: undefined, elapsedSeconds: 0 });
    run.queued('a', s(100));
    run.started('a', s(110));
    expect(run.view(s(120))).toMatchObject({ active: true, running: 1, waiting: 0, elapsedSeconds: 20 });
    run.finished('a', 'success', s(400));
    expect(run.view(s(999))).toMatchObject({ active: true, elapsedSeconds: 899 });
    // 600 s after the last build finished, the run ends; its figures stay, elapsed stops.
    const ended = run.view(s(1000));
    expect(ended).toMatchObject({ active: false, elapsedSeconds: 300, built: 1, total: 1 });
    expect(ended.rate).toBeCloseTo(12, 9);
    expect(run.view(s(5000)).elapsedSeconds).toBe(300);
    // A new build starts a new run from zero.
    run.started('b', s(6000));
    expect(run.view(s(6010))).toMatchObject({ active: true, total: 1, built: 0, running: 1, elapsedSeconds: 10 });
  });

  it('a build queued within the idle timeout continues the same run', () => {
    const run = new BuildRun(600_000);
    run.queued('a', s(0));
    run.finished('a', 'success', s(30));
    run.queued('b', s(500));
    expect(run.view(s(1200))).toMatchObject({ active: true, total: 2, remaining: 1, elapsedSeconds: 1200 });
  });
});
