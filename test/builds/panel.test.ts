import { describe, expect, it } from 'vitest';
import { formatTotals } from '../../src/cli/stats.js';
import { PANEL_HEADER, renderPanel } from '../../src/ui/panel.js';
import { clock, grouped, humanCount, humanDuration } from '../../src/ui/panel-format.js';
import { RUNNING_BUILD, STATS } from './fixtures.js';

// DESIGN.md's copy of dsynth's ncurses.c top lines.
const TEMPLATE = [
  ' Total -       Built -      Ignored -      Load -      Pkg/hour -               ',
  '  Left -      Failed -      Skipped -      Swap -       Impulse -      --:--:-- ',
];

describe('formatters', () => {
  it('print build time in its two largest units', () => {
    expect(humanDuration(1010 * 86_400_000)).toBe('2y 280d');
    expect(humanDuration((3 * 86_400 + 4 * 3_600 + 59) * 1000)).toBe('3d 4h');
    expect(humanDuration(725_000)).toBe('12m 5s');
    expect(humanDuration(3 * 86_400_000)).toBe('3d');
    expect(humanDuration(45_900)).toBe('45s');
    expect(humanDuration(0)).toBe('0s');
  });

  it('print CPU-seconds with K/M/B suffixes', () => {
    expect(humanCount(9_603_270_480)).toBe('9.60B');
    expect(humanCount(12_345_678)).toBe('12.3M');
    expect(humanCount(123_456)).toBe('123K');
    expect(humanCount(999_999)).toBe('1.00M');
    expect(humanCount(950)).toBe('950');
    expect(humanCount(0.41)).toBe('0.4');
    expect(grouped(1234567)).toBe('1,234,567');
    expect(clock(943)).toBe('00:15:43');
    expect(clock(360_000)).toBe('100:00:00');
  });

  it('stats prints the all-time totals for people', () => {
    expect(
      formatTotals({
        built: 1200,
        failed: 30,
        ignored: 2,
        skipped: 2,
        totalBuildTimeMs: 1010 * 86_400_000,
        totalCpuSeconds: 9_603_270_480,
      }),
    ).toEqual([
      'Builds      1,234 finished (1,200 built, 30 failed, 2 ignored, 2 skipped)',
      'Build time  2y 280d',
      'CPU time    9.60B CPU·s',
    ]);
  });
});

describe('status panel', () => {
  it('lays out dsynth’s top lines, the header and a row per running build, with Lim when throttled', () => {
    const now = Date.parse('2026-01-01T10:20:00Z');
    const build = RUNNING_BUILD;
    const lines = renderPanel({ ...STATS, dynMaxWorkers: 2 }, [build], now, 80);
    expect(lines[0]).toBe(' Total 142     Built 38     Ignored 0      Load 3.24   Pkg/hour 24');
    expect(lines[1]).toBe('  Left 97     Failed 2      Skipped 5      Swap 2%      Impulse 3      00:15:43');
    // Labels sit in dsynth's columns.
    for (const [row, labels] of [
      [0, ['Total', 'Built', 'Ignored', 'Load', 'Pkg/hour']],
      [1, ['Left', 'Failed', 'Skipped', 'Swap', 'Impulse', '00:15:43']],
    ] as const) {
      for (const label of labels) {
        expect(lines[row].indexOf(label), label).toBe(TEMPLATE[row].indexOf(label === '00:15:43' ? '--:--:--' : label));
      }
    }
    expect(lines[2]).toBe('='.repeat(79));
    expect(lines[3]).toBe(PANEL_HEADER);
    expect(lines[4]).toBe(` 00  00:04:30  running          devel/gmake${' '.repeat(31)}54  Lim 2`);
    expect(lines[4].indexOf('devel/gmake')).toBe(PANEL_HEADER.indexOf('Origin'));
    expect(lines[4].indexOf('54')).toBe(PANEL_HEADER.indexOf('Lines'));
    // Not throttled: no Lim.
    expect(renderPanel(STATS, [build], now, 120)[4]).toMatch(/54$/);
    expect(renderPanel({ ...STATS, runStartedAt: null }, [], now)[1]).toMatch(/--:--:--$/);
  });
});
