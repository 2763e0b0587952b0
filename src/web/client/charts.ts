// Line charts over the page's short history, drawn by the bundled uPlot. Every chart carries its
// numbers as text: a table of each series' latest, lowest and highest value, and all points in a
// disclosure, so the canvas (hidden from assistive technology) is never the only way to read them.
import type uPlotType from 'uplot';
import { el, fill, table } from './dom.js';
import { formatValue } from './units.js';

declare global {
  interface Window {
    uPlot: typeof uPlotType;
  }
}

const PALETTE = ['#2f7ed8', '#e4572e', '#29a36a', '#a05bd5', '#d4a017', '#17a2b8', '#c2185b', '#6d8b00', '#8d6e63', '#546e7a', '#ff7f0e', '#1f77b4'];

const BINARY_STEPS = Array.from({ length: 60 }, (_, i) => 2 ** i);

export type Series = ReadonlyMap<string, readonly (number | null)[]>;

const cssVar = (name: string): string => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

const clockTime = (ms: number): string => new Date(ms).toLocaleTimeString('en-GB', { hour12: false });

export class Chart {
  readonly figure: HTMLElement;
  private readonly plotBox: HTMLElement;
  private readonly numbers: HTMLElement;
  private readonly points: HTMLElement;
  private plot: uPlotType | undefined;
  private labels: readonly string[] = [];
  private last: { times: readonly number[]; series: Series } | undefined;

  constructor(
    readonly id: string,
    readonly title: string,
    readonly unit: string,
    private readonly range?: readonly [number, number],
  ) {
    this.plotBox = el('div', { class: 'plot', 'aria-hidden': 'true' });
    this.numbers = el('div', { class: 'numbers' });
    this.points = el('div');
    this.figure = el(
      'figure',
      { class: 'chart', id, 'data-chart': id },
      el('figcaption', {}, title),
      this.plotBox,
      this.numbers,
      el('details', {}, el('summary', {}, `All points of “${title}”`), this.points),
    );
  }

  /** times: ms since the epoch, oldest first; each series is aligned with them (null: no reading). */
  update(times: readonly number[], series: Series): void {
    this.last = { times, series };
    const labels = [...series.keys()];
    const data = [times.map((t) => t / 1000), ...labels.map((l) => series.get(l) as (number | null)[])] as uPlotType.AlignedData;
    if (!this.plot || labels.join('\n') !== this.labels.join('\n')) {
      this.labels = labels;
      this.build(data);
    } else {
      this.plot.setData(data);
    }
    this.renderText(times, series);
  }

  /** Redraws with the page's current colours and width (theme switch, resize). */
  redraw(): void {
    if (!this.last) return;
    this.plot?.destroy();
    this.plot = undefined;
    this.update(this.last.times, this.last.series);
  }

  private build(data: uPlotType.AlignedData): void {
    this.plot?.destroy();
    const fg = cssVar('--muted') || '#666';
    const grid = cssVar('--grid') || '#ddd';
    const fmt = (v: number | null): string => (v === null || v === undefined ? '–' : formatValue(v, this.unit));
    const width = Math.max(240, this.plotBox.clientWidth || this.figure.clientWidth || 480);
    this.plot = new window.uPlot(
      {
        width,
        height: 180,
        scales: { x: { time: true }, ...(this.range ? { y: { range: [this.range[0], this.range[1]] } } : {}) },
        series: [
          { value: (_u, v) => (v === null ? '–' : clockTime(v * 1000)) },
          ...this.labels.map((label, i) => ({
            label,
            stroke: PALETTE[i % PALETTE.length],
            width: 1.5,
            spanGaps: false,
            value: (_u: uPlotType, v: number | null) => fmt(v),
          })),
        ],
        axes: [
          { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
          {
            stroke: fg,
            grid: { stroke: grid, width: 1 },
            ticks: { stroke: grid },
            size: 80,
            values: (_u, vals) => vals.map((v) => fmt(v)),
            // Bytes tick at binary steps (128 MiB, 256 MiB), not at decimal ones that read 95.4 MiB.
            ...(this.unit === 'By' ? { incrs: BINARY_STEPS } : {}),
          },
        ],
        legend: { live: true },
      },
      data,
      this.plotBox,
    );
  }

  private renderText(times: readonly number[], series: Series): void {
    const rows = [...series].map(([label, values]) => {
      const known = values.filter((v): v is number => v !== null);
      const latest = values[values.length - 1];
      const cells = [
        label,
        latest === null || latest === undefined ? '–' : formatValue(latest, this.unit),
        known.length ? formatValue(Math.min(...known), this.unit) : '–',
        known.length ? formatValue(Math.max(...known), this.unit) : '–',
      ];
      return cells;
    });
    const labels = [...series.keys()];
    fill(
      this.numbers,
      table(`${this.title}: latest of ${times.length} points`, ['series', 'latest', 'lowest', 'highest'], rows, (i) => {
        const latest = series.get(labels[i])?.at(-1);
        return { 'data-series': labels[i], ...(latest === null || latest === undefined ? {} : { 'data-value': latest }) };
      }),
    );
    // Newest first: the disclosure is for reading, the chart for seeing.
    const pointRows = times
      .map((t, i) => [clockTime(t), ...labels.map((l) => {
        const v = series.get(l)?.[i];
        return v === null || v === undefined ? '–' : formatValue(v, this.unit);
      })])
      .reverse();
    fill(this.points, table(`${this.title}: every point`, ['time', ...labels], pointRows));
  }
}

/** Aligned series for the page's charts: one time axis, values per chart and series label. */
export class History {
  readonly times: number[] = [];
  private readonly charts = new Map<string, Map<string, (number | null)[]>>();

  constructor(private readonly length: number) {}

  /** Adds one collection: chart -> series label -> value; series missing from it get null. */
  push(timeMs: number, values: ReadonlyMap<string, ReadonlyMap<string, number>>): void {
    if (this.times.length && this.times[this.times.length - 1] === timeMs) return;
    this.times.push(timeMs);
    const n = this.times.length;
    for (const [chart, series] of values) {
      let stored = this.charts.get(chart);
      if (!stored) this.charts.set(chart, (stored = new Map()));
      for (const [label, v] of series) {
        let list = stored.get(label);
        if (!list) stored.set(label, (list = []));
        while (list.length < n - 1) list.push(null);
        list.push(v);
      }
    }
    for (const stored of this.charts.values()) for (const list of stored.values()) while (list.length < n) list.push(null);
    if (n > this.length) {
      const drop = n - this.length;
      this.times.splice(0, drop);
      for (const stored of this.charts.values()) {
        for (const [label, list] of stored) {
          list.splice(0, drop);
          if (list.every((v) => v === null)) stored.delete(label);
        }
      }
    }
  }

  series(chart: string): Series {
    return this.charts.get(chart) ?? new Map();
  }
}
