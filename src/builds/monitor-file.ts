// Portable dsynth outputs: <data-dir>/stats/monitor.dat (key=value) and
// <data-dir>/Report/summary.json (dsynth's html.c shape). Both are replaced atomically
// (write a temp file in the same directory, then rename) so readers never see a partial file.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cFixed, elapsedField, loadField, RUNNING_PHASE } from '../ui/panel-format.js';
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

/** monitor.dat: Load (raw 1-minute), Swap, Workers (active/max), DynMax, Rate, Impulse, Elapsed (s), then the run totals. */
export function formatMonitor(s: StatsView): string {
  const lines = [
    `Load=${(s.load ?? 0).toFixed(2)}`,
    `Swap=${Math.round(s.swapPercent ?? 0)}`,
    `Workers=${s.activeWorkers}/${s.maxWorkers}`,
    `DynMax=${s.dynMaxWorkers}`,
    `Rate=${s.rate}`,
    `Impulse=${s.impulse}`,
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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** html.c's kickoff: strftime(" %d-%b-%Y %H:%M:%S %Z") of gmtime(), e.g. " 06-Dec-2026 21:25:02 UTC". */
export function kickoffField(ms: number): string {
  const d = new Date(ms);
  return (
    ` ${two(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC`
  );
}

/** A JSON string's content; dsynth's origins never need escaping, build names may. */
const jsonText = (s: string): string => JSON.stringify(s).slice(1, -1);

/**
 * summary.json byte for byte as html.c's HtmlUpdateTop() and HtmlUpdate() write it: one builder slot per
 * max worker, busy slots first, idle ones as dsynth's idle workers (elapsed " --:--:--", phase "Idle").
 * kfiles counts dsynth's history files, which otel-sysmon does not write: 0.
 */
export function formatSummary({ stats, running, profile, nowMs }: SummaryInput): string {
  const slots: string[] = [];
  const count = Math.max(stats.maxWorkers, running.length);
  for (let i = 0; i < count; i++) {
    const b = running[i];
    const started = b?.started_at ? Date.parse(b.started_at) : nowMs;
    const [elapsed, phase, origin, lines] = b
      ? [elapsedField((nowMs - started) / 1000), RUNNING_PHASE, jsonText(b.name), String(b.snapshot_count)]
      : [' --:--:--', 'Idle', '', ''];
    slots.push(
      `  {\n     "ID":"${two(i)}"\n     ,"elapsed":"${elapsed}"\n     ,"phase":"${phase}"\n` +
        `     ,"origin":"${origin}"\n     ,"lines":"${lines}"\n  }\n`,
    );
  }
  return (
    `{\n  "profile":"${jsonText(profile)}"\n  ,"kickoff":"${stats.runStartedAt ? kickoffField(Date.parse(stats.runStartedAt)) : ''}"\n` +
    `  ,"kfiles":0\n  ,"active":${stats.runActive ? 1 : 0}\n  ,"stats":{\n` +
    `    "queued":${stats.queued}\n    ,"built":${stats.built}\n    ,"failed":${stats.failed}\n` +
    `    ,"ignored":${stats.ignored}\n    ,"skipped":${stats.skipped}\n    ,"remains":${stats.remaining}\n` +
    `    ,"elapsed":"${elapsedField(stats.elapsedSeconds)}"\n    ,"pkghour":${stats.rate}\n    ,"impulse":${stats.impulse}\n` +
    `    ,"swapinfo":"${stats.swapPercent === null ? '-    ' : cFixed(stats.swapPercent, 1).padStart(5)}"\n` +
    `    ,"load":"${loadField(stats.load ?? 0)}"\n  }\n` +
    `  ,"builders":[\n${slots.join(',')}  ]\n}\n`
  );
}
