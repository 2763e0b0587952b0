// dsynth's live panel as ncurses.c draws it, as plain text for `otel-sysmon status`: the two summary
// lines written over their templates at dsynth's columns, the `=` rules, the column header and one row
// per worker slot (idle ones too). A small screen model writes each field at its column as mvwprintw
// does, so a field longer than its room overwrites what follows, as on dsynth's screen.
import type { BuildJson } from '../builds/json.js';
import type { StatsView } from '../builds/service.js';
import { clock, cFixed, loadField, RUNNING_PHASE } from './panel-format.js';

const LINE0 = ' Total -       Built -      Ignored -      Load -      Pkg/hour -               ';
const LINE1 = '  Left -      Failed -      Skipped -      Swap -       Impulse -      --:--:-- ';
export const PANEL_RULE = '='.repeat(79);
export const PANEL_HEADER = ' ID  Duration  Build Phase      Origin                                    Lines';

// ncurses.c column numbers.
const TOTAL_COL = 7;
const BUILT_COL = 21;
const IGNORED_COL = 36;
const LOAD_COL = 48;
const GPKGRATE_COL = 64;
const REDUCE_COL = 71;
const LEFT_COL = 7;
const FAILED_COL = 21;
const SKIPPED_COL = 36;
const SWAP_COL = 48;
const IMPULSE_COL = 64;
const TIME_COL = 71;
const ID_COL = 1;
const DURATION_COL = 5;
const BUILD_PHASE_COL = 15;
const ORIGIN_COL = 32;
const LINES_COL = 72;

/** One screen line: text written at a column replaces what was there, padding with spaces as needed. */
class ScreenLine {
  private text: string;
  constructor(initial = '') {
    this.text = initial;
  }
  put(col: number, value: string): this {
    const base = this.text.padEnd(col);
    this.text = base.slice(0, col) + value + base.slice(col + value.length);
    return this;
  }
  toString(): string {
    return this.text;
  }
}

/** printf("%-Nd") and ("%-N.Ns"). */
const left = (value: number | string, width: number): string => String(value).padEnd(width);
const leftCut = (value: string, width: number): string => value.slice(0, width).padEnd(width);

/** The panel lines, each as wide as on dsynth's screen (trailing spaces included). */
export function renderPanel(stats: StatsView, running: readonly BuildJson[], nowMs: number): string[] {
  const top = new ScreenLine(LINE0)
    .put(TOTAL_COL, left(stats.queued, 6))
    .put(BUILT_COL, left(stats.built, 6))
    .put(IGNORED_COL, left(stats.ignored, 6))
    .put(GPKGRATE_COL, left(stats.rate, 6))
    .put(REDUCE_COL, stats.dynMaxWorkers === stats.maxWorkers ? ' '.repeat(7) : `Lim ${left(stats.dynMaxWorkers, 3)}`);
  if (stats.load !== null) top.put(LOAD_COL, loadField(stats.load));
  const second = new ScreenLine(LINE1)
    .put(LEFT_COL, left(stats.remaining, 6))
    .put(FAILED_COL, left(stats.failed, 6))
    .put(SKIPPED_COL, left(stats.skipped, 6))
    .put(SWAP_COL, stats.swapPercent === null ? '-   ' : cFixed(stats.swapPercent, 1).padStart(5))
    .put(IMPULSE_COL, left(stats.impulse, 6));
  if (stats.runStartedAt !== null) {
    const elapsed = clock(stats.elapsedSeconds);
    second.put(elapsed.length > 8 ? TIME_COL - 1 : TIME_COL, elapsed.padStart(8));
  }
  const rows: string[] = [];
  const slots = Math.max(stats.maxWorkers, running.length);
  for (let i = 0; i < slots; i++) {
    const row = new ScreenLine().put(ID_COL, String(i).padStart(2, '0'));
    const b = running[i];
    if (b) {
      const started = b.started_at ? Date.parse(b.started_at) : nowMs;
      row
        .put(DURATION_COL, clock((nowMs - started) / 1000))
        .put(BUILD_PHASE_COL, leftCut(RUNNING_PHASE, 16))
        .put(ORIGIN_COL, leftCut(b.name, 38))
        .put(LINES_COL, String(b.snapshot_count).padStart(7));
    } else {
      row
        .put(DURATION_COL, '--:--:--')
        .put(BUILD_PHASE_COL, leftCut('Idle', 16))
        .put(ORIGIN_COL, leftCut('', 38))
        .put(LINES_COL, leftCut('', 7));
    }
    rows.push(row.toString());
  }
  return [top.toString(), second.toString(), PANEL_RULE, PANEL_HEADER, PANEL_RULE, ...rows, PANEL_RULE];
}
