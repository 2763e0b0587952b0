// The builds part of the page: all-time totals as `stats` prints them, the current run as dsynth's
// panel shows it (`status`), the recent builds, and one build's CPU % and memory over time.
import type { BuildJson, SnapshotJson } from '../../builds/json.js';
import { renderPanel } from '../../ui/panel.js';
import { clock, grouped, humanCount, humanDuration } from '../../ui/panel-format.js';
import type { LiveState } from '../live-state.js';
import { Chart } from './charts.js';
import { byId, el, figures, fill, getJson, table } from './dom.js';
import { formatValue } from './units.js';

const MIB = 1024 * 1024;
const RECENT = 20;

const when = (iso: string | null): string => (iso ? new Date(iso).toLocaleString('en-GB', { hour12: false }) : '–');

export class BuildsView {
  private readonly cpu = new Chart('chart-build-cpu', 'Build CPU (100% = one core)', '%');
  private readonly memory = new Chart('chart-build-memory', 'Build memory (resident, whole process tree)', 'By');
  private recentKey = '';
  private selected: string | undefined;
  private chosenByUser = false;
  private recent: BuildJson[] = [];

  constructor() {
    byId('build-charts').append(this.cpu.figure, this.memory.figure);
  }

  async update(state: LiveState): Promise<void> {
    const b = state.builds;
    if (!b) {
      fill(byId('build-totals'), 'The builds module is not running.');
      return;
    }
    const s = b.stats;
    const finished = s.allTime.built + s.allTime.failed + s.allTime.ignored + s.allTime.skipped;
    fill(
      byId('build-totals'),
      figures([
        ['Builds', `${grouped(finished)} finished (${grouped(s.allTime.built)} built, ${grouped(s.allTime.failed)} failed, ${grouped(s.allTime.ignored)} ignored, ${grouped(s.allTime.skipped)} skipped)`],
        ['Build time', humanDuration(s.totalBuildTimeMs)],
        ['CPU time', `${humanCount(s.totalCpuSeconds)} CPU·s`],
      ]),
    );
    const now = Date.now();
    fill(byId('build-panel'), renderPanel(s, b.running, now).join('\n'));
    fill(
      byId('build-run'),
      figures([
        ['Run', s.runActive ? `active for ${clock(s.elapsedSeconds)}` : 'no run active'],
        ['Rate', `${Math.floor(s.rate)} builds/h`],
        ['Impulse', `${Math.floor(s.impulse)} builds/h`],
        ['Workers', `${s.activeWorkers} running, dynamic max ${s.dynMaxWorkers} of ${s.maxWorkers}`],
        ['Queued / waiting', `${s.queued} / ${s.waiting}`],
      ]),
    );
    // Recent builds change when one starts or finishes: refetch only then.
    const key = `${s.allTime.created}/${finished}/${b.running.map((r) => r.id).join(',')}`;
    if (key !== this.recentKey) {
      this.recentKey = key;
      this.recent = (await getJson<{ builds: BuildJson[] }>(`/api/builds?limit=${RECENT}`)).builds;
    } else {
      // Running builds' durations and figures come with every collection.
      const live = new Map(b.running.map((r) => [r.id, r]));
      this.recent = this.recent.map((r) => live.get(r.id) ?? r);
    }
    if (!this.chosenByUser || !this.recent.some((r) => r.id === this.selected)) {
      this.chosenByUser = false;
      this.selected = (b.running[0] ?? this.recent.find((r) => r.snapshot_count > 0) ?? this.recent[0])?.id;
    }
    this.renderRecent();
    const current = this.recent.find((r) => r.id === this.selected);
    // Its graph is fetched again only when the build has new snapshots.
    if (current && byId('build-charts').dataset.shown !== `${current.id}/${current.snapshot_count}`) await this.showBuild(current);
  }

  redraw(): void {
    this.cpu.redraw();
    this.memory.redraw();
  }

  private renderRecent(): void {
    const rows = this.recent.map((r) => {
      const button = el('button', { type: 'button', 'aria-pressed': String(r.id === this.selected), 'data-build': r.id }, r.name);
      button.addEventListener('click', () => {
        this.selected = r.id;
        this.chosenByUser = true;
        this.renderRecent();
        void this.showBuild(r);
      });
      return [
        button,
        r.status,
        when(r.started_at),
        r.duration_ms === null ? '–' : humanDuration(r.duration_ms),
        `${r.cpu_seconds.toFixed(1)}${r.cpu_seconds_exact ? '' : ' (from snapshots)'}`,
        r.peak_memory_mb === null ? '–' : formatValue(r.peak_memory_mb * MIB, 'By'),
        r.snapshot_count,
      ];
    });
    fill(
      byId('build-recent'),
      rows.length
        ? table(`The ${RECENT} most recent builds (choose one for its graph)`, ['build', 'status', 'started', 'duration', 'CPU-seconds', 'peak memory', 'snapshots'], rows, (i) => ({
            'data-build-id': this.recent[i].id,
          }))
        : el('p', {}, 'No builds yet. Run one with `otel-sysmon wrap -- make`.'),
    );
  }

  private async showBuild(b: BuildJson): Promise<void> {
    const { snapshots } = await getJson<{ snapshots: SnapshotJson[] }>(`/api/builds/${encodeURIComponent(b.id)}/snapshots`);
    const box = byId('build-charts');
    box.dataset.build = b.id;
    box.dataset.shown = `${b.id}/${b.snapshot_count}`;
    fill(byId('build-chosen'), `${b.name} (${b.status}), ${snapshots.length} snapshots`);
    const times = snapshots.map((s) => Date.parse(s.timestamp));
    this.cpu.update(times, new Map([[b.name, snapshots.map((s) => s.cpu_percent)]]));
    this.memory.update(times, new Map([[b.name, snapshots.map((s) => s.memory_mb * MIB)]]));
  }
}
