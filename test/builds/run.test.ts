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
  it('impulse from t = 20 s, the rate from t > 20 s, as runstats.c', () => {
    const run = new BuildRun(600_000);
    run.queued('a', s(0));
    run.finished('a', 'success', s(5));
    expect(run.view(s(19))).toMatchObject({ rate: 0, impulse: 0, built: 1, elapsedSeconds: 19 });
    expect(run.view(s(20))).toMatchObject({ rate: 0, impulse: 180, built: 1, elapsedSeconds: 20 });
    // 3600 / 21 = 171.43: one truncation to 171 (rounding to 171.4 first would not change it, 171.96 would).
    expect(run.view(s(21))).toMatchObject({ rate: 171, impulse: 171 });
  });

  it('truncates once, never rounds first', () => {
    const run = new BuildRun(600_000);
    for (let i = 0; i < 7; i++) {
      run.queued(`b${i}`, s(0));
      run.finished(`b${i}`, 'success', s(10 + i));
    }
    // 7 * 3600 / 299 = 84.28 -> 84.
    expect(run.view(s(299))).toMatchObject({ rate: 84, impulse: 84 });
    const two = new BuildRun(600_000);
    two.queued('x', s(0));
    two.finished('x', 'success', s(1));
    two.queued('y', s(2));
    two.finished('y', 'failed', s(3));
    // 2 * 3600 / 43 = 167.44 -> 167.
    expect(two.view(s(43)).rate).toBe(167);
    const nine = new BuildRun(600_000);
    nine.queued('waiting', s(0)); // keeps the run going
    for (let i = 0; i < 2; i++) {
      nine.queued(`n${i}`, s(0));
      nine.finished(`n${i}`, 'success', s(1));
    }
    // 2 * 3600 / 723 = 9.958: dsynth shows 9; rounding to 10.0 first and truncating would show 10.
    expect(nine.view(s(723)).rate).toBe(9);
  });

  it('before 10 minutes impulse covers the whole run like the rate', () => {
    const v = farm(5).view(s(300));
    expect(v.built).toBe(5);
    expect(v.rate).toBe(60); // 5 builds in 300 s
    expect(v.impulse).toBe(60);
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
    expect(at1200.rate).toBe(45); // 15 * 3600 / 1200 since the start
    expect(at1200.impulse).toBe(30); // (15 - 10) * 3600 / 600: completions after 600 s
    // Ten minutes after the burst it has left the window.
    expect(run.view(s(1505)).impulse).toBe(0);
  });

  it('counts ignored and skipped in neither rate nor impulse, but in remaining', () => {
    const run = farm();
    run.finished('b10', 'skipped', s(610));
    run.finished('b11', 'ignored', s(610));
    const v = run.view(s(1200));
    expect(v).toMatchObject({ total: 20, built: 10, skipped: 1, ignored: 1, remaining: 8 });
    expect(v.rate).toBe(30);
    expect(v.impulse).toBe(0);
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
    expect(ended.rate).toBe(12);
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
