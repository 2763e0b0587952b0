// dsynth's live panel (ncurses.c top lines, DESIGN.md) as plain text for `otel-sysmon status`.
import type { BuildJson } from '../builds/json.js';
import type { StatsView } from '../builds/service.js';
import { clock } from './panel-format.js';

export const PANEL_HEADER = ' ID  Duration  Build Phase      Origin                                    Lines';

const cell = (label: string, value: string, width: number): string => `${label} ${value}`.padEnd(width);

/** The panel: two summary lines, a rule, the column header and one row per running build. */
export function renderPanel(stats: StatsView, running: readonly BuildJson[], nowMs: number, width = 80): string[] {
  const load = stats.load === null ? '-' : stats.load.toFixed(2);
  const swap = stats.swapPercent === null ? '-' : `${Math.round(stats.swapPercent)}%`;
  const elapsed = stats.runStartedAt === null ? '--:--:--' : clock(stats.elapsedSeconds);
  const top =
    cell(' Total', String(stats.queued), 15) +
    cell('Built', String(stats.built), 13) +
    cell('Ignored', String(stats.ignored), 15) +
    cell('Load', load, 12) +
    cell('Pkg/hour', String(Math.floor(stats.rate)), 25);
  const second =
    cell('  Left', String(stats.remaining), 14) +
    cell('Failed', String(stats.failed), 14) +
    cell('Skipped', String(stats.skipped), 15) +
    cell('Swap', swap, 13) +
    cell('Impulse', String(Math.floor(stats.impulse)), 15) +
    elapsed;
  const lines = [top.trimEnd(), second, '='.repeat(Math.max(PANEL_HEADER.length, width - 1)), PANEL_HEADER];
  const rows = running.length
    ? running.map((b, i) => {
        const started = b.started_at ? Date.parse(b.started_at) : nowMs;
        return (
          ` ${String(i).padStart(2, '0')}  ${clock((nowMs - started) / 1000)}  ${b.status.padEnd(17)}` +
          `${b.name.slice(0, 41).padEnd(42)}${b.snapshot_count}`
        );
      })
    : [` 00  --:--:--  ${'Idle'.padEnd(17)}`];
  if (stats.dynMaxWorkers < stats.maxWorkers) {
    const lim = `Lim ${stats.dynMaxWorkers}`;
    rows[0] = rows[0].padEnd(Math.max(rows[0].length + 2, width - 1 - lim.length)) + lim;
  }
  return [...lines, ...rows.map((r) => r.trimEnd())];
}
