// Rendering of a `top` frame: a full screen for a terminal (bars, sparklines) or plain lines when
// stdout is a pipe or a file. Pure: frame and size in, text out.
import { bar, formatBytes, formatHz, formatPercent, sparkline } from './format.js';
import type { TopFrame } from './top-model.js';

export interface ScreenSize {
  readonly columns: number;
  readonly rows: number;
}

function clockOf(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function summary(f: TopFrame): string[] {
  const load = f.load ? `load ${f.load.map((v) => v.toFixed(2)).join(' ')}` : 'load n/a';
  const mem = f.memory ? `mem ${formatBytes(f.memory.used)} / ${formatBytes(f.memory.limit)} (${formatPercent(f.memory.used / f.memory.limit)})` : 'mem n/a';
  const swap = f.swap ? `swap ${formatBytes(f.swap.used)} / ${formatBytes(f.swap.total)}` : 'swap none';
  const entries = Object.entries(f.psi);
  const psi = entries.length ? `psi some10 ${entries.map(([r, v]) => `${r} ${formatPercent(v)}`).join(' ')}` : 'psi n/a';
  return [load, mem, swap, psi];
}

/** Disk and network rates and the hottest sensor: shown only where the host has them. */
function ioSummary(f: TopFrame): string[] {
  const out: string[] = [];
  const { disk, network } = f.io;
  if (disk) out.push(`disk read ${formatBytes(disk.read)}/s write ${formatBytes(disk.write)}/s`);
  if (network) out.push(`net rx ${formatBytes(network.receive)}/s tx ${formatBytes(network.transmit)}/s`);
  if (f.hottest) {
    const clocks = f.cpus.flatMap((c) => (c.hz === undefined ? [] : [c.hz]));
    const clock = clocks.length ? `clock avg ${formatHz(clocks.reduce((a, b) => a + b, 0) / clocks.length)}, ` : '';
    out.push(`${clock}hottest ${f.hottest.celsius.toFixed(1)} °C (${f.hottest.name})`);
  }
  return out;
}

/** Values for every sparkline on screen share one scale, so cores compare at a glance. */
function historyRange(f: TopFrame): [number, number] | undefined {
  const all = f.cpus.flatMap((c) => c.history.filter((v): v is number => v !== undefined));
  if (all.length === 0) return undefined;
  return [Math.min(...all), Math.max(...all)];
}

/** The full-screen view: header, summary, one row per CPU (as many as fit), errors last. */
export function renderTopScreen(f: TopFrame, size: ScreenSize): string {
  const width = Math.max(40, size.columns);
  const lines: string[] = [];
  const title = `otel-sysmon top  ${f.cpus.length} CPUs  ${clockOf(f.timeMs)} UTC`;
  const hint = 'q: quit';
  lines.push(title + ' '.repeat(Math.max(1, width - title.length - hint.length)) + hint);
  lines.push(summary(f).join('   ').slice(0, width));
  const io = ioSummary(f);
  if (io.length) lines.push(io.join('   ').slice(0, width));
  lines.push('');
  // cpu(4) busy% (7) clock(11) source(9) and two spaces between columns; the rest is bar and history.
  const fixed = 4 + 2 + 7 + 2 + 11 + 2 + 9 + 2;
  const flexible = Math.max(12, width - fixed);
  const barWidth = Math.max(6, Math.floor(flexible * 0.4));
  const histWidth = Math.max(4, flexible - barWidth - 2);
  lines.push(`${'CPU'.padStart(4)}  ${'busy'.padEnd(barWidth)}  ${'%'.padStart(7)}  ${'clock'.padEnd(11)}  ${'source'.padEnd(9)}  history`);
  const range = historyRange(f);
  const room = Math.max(1, size.rows - lines.length - (f.errors.length ? 2 : 0));
  const shown = f.cpus.slice(0, room);
  for (const c of shown) {
    const busy = c.busy === undefined ? '    n/a' : formatPercent(c.busy).padStart(7);
    const clock = (c.hz === undefined ? '—' : formatHz(c.hz)).padEnd(11);
    const history = sparkline(c.history.slice(-histWidth), range?.[0], range?.[1]);
    lines.push(`${String(c.cpu).padStart(4)}  ${bar(c.busy ?? 0, barWidth)}  ${busy}  ${clock}  ${(c.source ?? '—').padEnd(9)}  ${history}`.trimEnd());
  }
  if (shown.length < f.cpus.length) lines.push(`  … ${f.cpus.length - shown.length} more CPUs (enlarge the terminal)`);
  if (f.errors.length) {
    lines.push('');
    lines.push(`errors: ${f.errors.map((e) => `${e.collector}: ${e.message}`).join('; ')}`.slice(0, width));
  }
  return lines.join('\n');
}

/** The plain view for pipes: a summary line, then one line per CPU. */
export function renderTopLines(f: TopFrame): string {
  const lines = [`${new Date(f.timeMs).toISOString()} ${[...summary(f), ...ioSummary(f)].join(' | ')}`];
  for (const c of f.cpus) {
    const busy = c.busy === undefined ? 'n/a' : formatPercent(c.busy);
    const clock = c.hz === undefined ? 'no clock' : `${formatHz(c.hz)} (${c.source})`;
    lines.push(`cpu${c.cpu} busy ${busy} clock ${clock}`);
  }
  for (const e of f.errors) lines.push(`error ${e.collector}: ${e.message}`);
  return lines.join('\n') + '\n';
}
