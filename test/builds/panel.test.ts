import { describe, expect, it } from 'vitest';
import { formatTotals } from '../../src/cli/stats.js';
import { renderPanel } from '../../src/ui/panel.js';
import { clock, grouped, humanCount, humanDuration } from '../../src/ui/panel-format.js';
import { RUNNING_BUILD, STATS } from './fixtures.js';

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
  // Expected lines worked out from DragonFly's usr.bin/dsynth/ncurses.c: the Line0/Line1 templates with
  // each field printed at its column (TOTAL_COL 7, BUILT_COL 21, IGNORED_COL 36, LOAD_COL 48 "%5.1f",
  // GPKGRATE_COL 64 "%-6d", REDUCE_COL 71 "Lim %-3d"; SWAP_COL 48 "%5.1f" or "-   ", TIME_COL 71), the
  // 79 '=' rule, and per worker ID_COL 1 "%02d", DURATION_COL 5, BUILD_PHASE_COL 15 "%-16.16s",
  // ORIGIN_COL 32 "%-38.38s", LINES_COL 72 "%7d".
  const now = Date.parse('2026-01-01T10:20:00Z');
  const RULE = '='.repeat(79);
  const HEADER = ' ID  Duration  Build Phase      Origin                                    Lines';

  it('draws every line as ncurses.c: raw load, swap, Lim on the top line, rules and every worker slot', () => {
    const stats = { ...STATS, load: 2.25, adjustedLoad: 7, swapPercent: 2, dynMaxWorkers: 2, maxWorkers: 4, rate: 24, impulse: 3 };
    expect(renderPanel(stats, [RUNNING_BUILD], now)).toEqual([
      ' Total 142     Built 38     Ignored 0      Load   2.2  Pkg/hour 24     Lim 2    ',
      '  Left 97     Failed 2      Skipped 5      Swap   2.0   Impulse 3      00:15:43 ',
      RULE,
      HEADER,
      RULE,
      ' 00  00:04:30  Running          devel/gmake                                  54',
      ' 01  --:--:--  Idle                                                            ',
      ' 02  --:--:--  Idle                                                            ',
      ' 03  --:--:--  Idle                                                            ',
      RULE,
    ]);
  });

  it('no swap, no Lim at the maximum, a load above 999.9, 100 hours and more, long origins, many lines', () => {
    const stats = { ...STATS, queued: 1234567, built: 0, failed: 0, skipped: 0, remaining: 0, rate: 0, impulse: 0 };
    const long = { ...stats, load: 1234.5, swapPercent: null, maxWorkers: 1, dynMaxWorkers: 1, elapsedSeconds: 360_005 };
    const build = {
      ...RUNNING_BUILD,
      name: 'www/chromium-with-a-very-long-origin-name-x',
      started_at: new Date(now - 101 * 3_600_000).toISOString(),
      snapshot_count: 1234567,
    };
    expect(renderPanel(long, [build], now)).toEqual([
      ' Total 1234567 Built 0      Ignored 0      Load  1234  Pkg/hour 0               ',
      '  Left 0      Failed 0      Skipped 0      Swap -       Impulse 0     100:00:05 ',
      RULE,
      HEADER,
      RULE,
      ' 00  101:00:00 Running          www/chromium-with-a-very-long-origin-n  1234567',
      RULE,
    ]);
  });

  it('before any run: the templates stand where there is nothing to show', () => {
    const lines = renderPanel({ ...STATS, runStartedAt: null, load: null, swapPercent: null, maxWorkers: 4, dynMaxWorkers: 4 }, [], now);
    expect(lines[1]).toBe('  Left 97     Failed 2      Skipped 5      Swap -       Impulse 3      --:--:-- ');
    expect(lines[0]).toBe(' Total 142     Built 38     Ignored 0      Load -      Pkg/hour 24              ');
    const idle = (id: string) => ` ${id}  --:--:--  Idle${' '.repeat(60)}`;
    expect(lines.slice(5)).toEqual([idle('00'), idle('01'), idle('02'), idle('03'), '='.repeat(79)]);
  });
});
