// Portable dsynth outputs: <data-dir>/stats/monitor.dat (key=value) and
// <data-dir>/Report/summary.json (dsynth's html.c shape). Both are replaced atomically
// (write a temp file in the same directory, then rename) so readers never see a partial file.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { clock } from '../ui/panel-format.js';
import type { BuildJson } from './json.js';
import type { StatsView } from './service.js';

export const MONITOR_FILE = join('stats', 'monitor.dat');
export const SUMMARY_FILE = join('Report', 'summary.json');

let tempCounter = 0;

/** Replaces `file` with `text` so a concurrent reader sees the old or the new content, never a mix. */
export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${++tempCounter}.tmp`;
  try {
    writeFileSync(temp, text, { mode: 0o644 });
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** monitor.dat: Load, Swap, Workers (active/max), DynMax, Rate, Impulse, Elapsed (s), then the run totals. */
export function formatMonitor(s: StatsView): string {
  const lines = [
    `Load=${(s.load ?? 0).toFixed(2)}`,
    `Swap=${Math.round(s.swapPercent ?? 0)}`,
    `Workers=${s.activeWorkers}/${s.maxWorkers}`,
    `DynMax=${s.dynMaxWorkers}`,
    `Rate=${s.rate.toFixed(1)}`,
    `Impulse=${s.impulse.toFixed(1)}`,
    `Elapsed=${s.elapsedSeconds}`,
    `Queued=${s.queued}`,
    `Built=${s.built}`,
    `Failed=${s.failed}`,
    `Ignored=${s.ignored}`,
    `Skipped=${s.skipped}`,
  ];
  return lines.join('\n') + '\n';
}

/** Parses monitor.dat back into a map (for tests and scripts). */
export function parseMonitor(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

export interface SummaryInput {
  readonly stats: StatsView;
  readonly running: readonly BuildJson[];
  readonly profile: string;
  readonly nowMs: number;
}

/** summary.json as dsynth writes it: one builder slot per max worker, busy slots first. */
export function formatSummary({ stats, running, profile, nowMs }: SummaryInput): string {
  const builders = [];
  const slots = Math.max(stats.maxWorkers, running.length);
  for (let i = 0; i < slots; i++) {
    const b = running[i];
    const id = String(i).padStart(2, '0');
    if (b) {
      const startedMs = b.started_at ? Date.parse(b.started_at) : nowMs;
      builders.push({
        ID: id,
        elapsed: ` ${clock((nowMs - startedMs) / 1000)}`,
        phase: b.status,
        origin: b.name,
        lines: String(b.snapshot_count),
      });
    } else {
      builders.push({ ID: id, elapsed: 'Idle', phase: '', origin: '', lines: '' });
    }
  }
  const summary = {
    profile,
    kickoff: stats.runStartedAt ? new Date(stats.runStartedAt).toString() : '',
    kfiles: 0,
    active: stats.runActive ? 1 : 0,
    stats: {
      queued: stats.queued,
      built: stats.built,
      failed: stats.failed,
      ignored: stats.ignored,
      skipped: stats.skipped,
      remains: stats.remaining,
      meta: 0,
      elapsed: ` ${clock(stats.elapsedSeconds)}`,
      pkghour: Math.floor(stats.rate),
      impulse: Math.floor(stats.impulse),
      swapinfo: stats.swapPercent === null ? '-    ' : stats.swapPercent.toFixed(1).padStart(5),
      load: (stats.load ?? 0).toFixed(1).padStart(5),
    },
    builders,
  };
  return JSON.stringify(summary, null, 2) + '\n';
}
