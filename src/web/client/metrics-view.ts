// The host part of the page: per-core frequency (with its source and why the other sources were not
// used) and busy share, load, memory, swap and pressure as `top` derives them (TopModel), then every
// other host metric of the collection charted by its catalogue name (disk, network, temperatures...
// whatever collectors exist), and every metric's points as text.
import type { MetricName } from '../../catalogue.js';
import type { Collection, Point } from '../../collectors/types.js';
import type { CpuFrequencyReport } from '../../collectors/frequency/types.js';
import type { SnapshotMetric } from '../../snapshot.js';
import { formatHz } from '../../ui/format.js';
import { type TopFrame, TopModel } from '../../ui/top-model.js';
import type { LiveState } from '../live-state.js';
import { Chart, History } from './charts.js';
import { byId, el, fill, table } from './dom.js';
import { formatValue, rateUnit } from './units.js';

export interface CatalogueEntry {
  readonly name: string;
  readonly instrument: string;
  readonly unit: string;
  readonly description: string;
}

/** Collections the charts keep (at the default 10 s interval, 15 minutes). */
export const HISTORY_LENGTH = 90;
/** More series than this make a chart unreadable: the rest stay in the metric's table. */
const MAX_SERIES = 16;

const cpuLabel = (cpu: number): string => `cpu ${cpu}`;

function asCollection(state: LiveState): Collection {
  const points = new Map<MetricName, Point[]>();
  for (const m of state.metrics) points.set(m.name as MetricName, m.points as Point[]);
  return { timeMs: Date.parse(state.collected_at ?? '') || Date.now(), points, errors: state.errors };
}

function seriesLabel(metric: SnapshotMetric, attributes: Readonly<Record<string, unknown>>): string {
  const values = Object.values(attributes).map(String);
  return values.length ? values.join(' ') : metric.name;
}

/** Host metrics the generic section charts; the CPU section already shows system.cpu.* per core. */
const isGenericHostMetric = (name: string): boolean => /^(system|hw|process)\./.test(name) && !name.startsWith('system.cpu.');

export class MetricsView {
  private readonly top = new TopModel(HISTORY_LENGTH);
  private readonly history = new History(HISTORY_LENGTH);
  private readonly charts = new Map<string, Chart>();
  private readonly previous = new Map<string, { timeMs: number; value: number }>();
  private readonly catalogue: ReadonlyMap<string, CatalogueEntry>;

  constructor(catalogue: readonly CatalogueEntry[]) {
    this.catalogue = new Map(catalogue.map((m) => [m.name, m]));
    const fixed: Chart[] = [
      new Chart('chart-frequency', 'CPU frequency per core', 'Hz'),
      new Chart('chart-busy', 'CPU busy per core (user, nice, system, interrupt)', '1', [0, 1]),
      new Chart('chart-load', 'Load average', '{thread}'),
      new Chart('chart-memory', 'Memory and swap used', '1', [0, 1]),
      new Chart('chart-pressure', 'Pressure stall, some, 10 s average', '1'),
    ];
    for (const c of fixed) this.charts.set(c.id, c);
    byId('cpu-charts').append(this.charts.get('chart-frequency')!.figure, this.charts.get('chart-busy')!.figure);
    byId('system-charts').append(
      this.charts.get('chart-load')!.figure,
      this.charts.get('chart-memory')!.figure,
      this.charts.get('chart-pressure')!.figure,
    );
  }

  update(state: LiveState): void {
    const collection = asCollection(state);
    const frame = this.top.next(collection);
    const values = new Map<string, Map<string, number>>();
    const put = (chart: string, label: string, v: number | undefined): void => {
      if (v === undefined || !Number.isFinite(v)) return;
      let m = values.get(chart);
      if (!m) values.set(chart, (m = new Map()));
      m.set(label, v);
    };
    for (const c of frame.cpus) {
      put('chart-frequency', cpuLabel(c.cpu), c.hz);
      put('chart-busy', cpuLabel(c.cpu), c.busy);
    }
    if (frame.load) frame.load.forEach((v, i) => put('chart-load', ['1 min', '5 min', '15 min'][i], v));
    if (frame.memory) put('chart-memory', 'memory', frame.memory.used / frame.memory.limit);
    if (frame.swap) put('chart-memory', 'swap', frame.swap.used / frame.swap.total);
    for (const [resource, v] of Object.entries(frame.psi)) put('chart-pressure', resource, v);
    const generic = this.genericValues(state, collection.timeMs, put);
    this.history.push(collection.timeMs, values);
    for (const [id, chart] of this.charts) chart.update(this.history.times, this.history.series(id));
    this.renderCpuTable(frame, state.frequency);
    this.renderSystemFigures(frame);
    this.renderAllMetrics(state.metrics, generic);
  }

  redraw(): void {
    for (const chart of this.charts.values()) chart.redraw();
  }

  /** Charts every host metric beyond the CPU section: gauges as they are, counters as rates. */
  private genericValues(state: LiveState, timeMs: number, put: (chart: string, label: string, v: number | undefined) => void): Set<string> {
    const charted = new Set<string>();
    for (const m of state.metrics) {
      if (!isGenericHostMetric(m.name)) continue;
      const id = `chart-m-${m.name}`;
      const counter = m.type === 'sum' && m.monotonic === true;
      if (!this.charts.has(id)) {
        const entry = this.catalogue.get(m.name);
        const title = counter ? `${m.name} per second` : m.name;
        const chart = new Chart(id, entry ? `${title} — ${entry.description}` : title, counter ? rateUnit(m.unit) : m.unit);
        this.charts.set(id, chart);
        byId('host-charts').append(chart.figure);
      }
      charted.add(m.name);
      for (const p of m.points.slice(0, MAX_SERIES)) {
        const label = seriesLabel(m, p.attributes);
        if (!counter) {
          put(id, label, p.value);
          continue;
        }
        const key = `${m.name}\n${label}`;
        const before = this.previous.get(key);
        this.previous.set(key, { timeMs, value: p.value });
        if (before && timeMs > before.timeMs && p.value >= before.value) {
          put(id, label, (p.value - before.value) / ((timeMs - before.timeMs) / 1000));
        }
      }
    }
    return charted;
  }

  private renderCpuTable(frame: TopFrame, reports: LiveState['frequency']): void {
    const byCpu = new Map<number, CpuFrequencyReport>(reports.map((r) => [r.cpu, r]));
    const rows = frame.cpus.map((c) => {
      const tried = byCpu.get(c.cpu)?.tried ?? [];
      const notUsed = tried.filter((t) => !t.ok).map((t) => `${t.source}: ${t.reason}`);
      return [
        cpuLabel(c.cpu),
        c.busy === undefined ? '–' : formatValue(c.busy, '1'),
        c.hz === undefined ? 'no trustworthy value' : formatHz(c.hz),
        c.source ?? '–',
        notUsed.length ? notUsed.join('; ') : '–',
      ];
    });
    fill(
      byId('cpu-table'),
      table('Per core: busy share, frequency, its source, and why earlier sources were not used', ['CPU', 'busy', 'frequency', 'source', 'other sources'], rows, (i) => {
        const c = frame.cpus[i];
        return { 'data-cpu': c.cpu, ...(c.hz === undefined ? {} : { 'data-hz': c.hz }), ...(c.busy === undefined ? {} : { 'data-busy': c.busy }) };
      }),
    );
  }

  private renderSystemFigures(frame: TopFrame): void {
    const pairs: [string, string][] = [];
    if (frame.load) pairs.push(['Load 1/5/15 min', frame.load.map((v) => v.toFixed(2)).join(' / ')]);
    if (frame.memory) pairs.push(['Memory used', `${formatValue(frame.memory.used, 'By')} of ${formatValue(frame.memory.limit, 'By')}`]);
    pairs.push(['Swap used', frame.swap ? `${formatValue(frame.swap.used, 'By')} of ${formatValue(frame.swap.total, 'By')}` : 'no swap']);
    const psi = Object.entries(frame.psi).map(([r, v]) => `${r} ${formatValue(v, '1')}`);
    pairs.push(['Pressure (some, 10 s)', psi.length ? psi.join(', ') : 'not available']);
    fill(byId('system-figures'), el('dl', { class: 'figures' }, ...pairs.map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v)))));
  }

  private renderAllMetrics(metrics: readonly SnapshotMetric[], charted: ReadonlySet<string>): void {
    const box = byId('all-metrics');
    const open = new Set([...box.querySelectorAll('details[open]')].map((d) => d.getAttribute('data-metric')));
    fill(
      box,
      ...metrics.map((m) => {
        const entry = this.catalogue.get(m.name);
        const rows = m.points.map((p) => [
          Object.entries(p.attributes).map(([k, v]) => `${k}=${v}`).join(', ') || '–',
          formatValue(p.value, m.unit),
        ]);
        return el(
          'details',
          { 'data-metric': m.name, open: open.has(m.name) },
          el(
            'summary',
            {},
            el('code', {}, m.name),
            ` ${entry?.instrument ?? m.type}, ${m.unit}, ${m.points.length} point${m.points.length === 1 ? '' : 's'}${charted.has(m.name) ? ', charted above' : ''}`,
          ),
          entry ? el('p', {}, entry.description) : null,
          table(m.name, ['attributes', 'value'], rows),
        );
      }),
    );
  }
}
