// Quiet state, the scheduler and health: the score with its reasons, the last 24 h of quiet streaks,
// active leases, the queue and recent decisions with their reasons; failing collectors and export.
import type { SnapshotMetric } from '../../snapshot.js';
import { humanDuration } from '../../ui/panel-format.js';
import { streakTotals } from '../../ui/streak-window.js';
import type { LiveState } from '../live-state.js';
import { byId, el, figures, fill, getJson, table } from './dom.js';
import { formatNumber, formatValue } from './units.js';

interface StreaksJson {
  readonly from: string;
  readonly to: string;
  readonly count: number;
  readonly quiet_sec: number;
  readonly longest_sec: number;
  readonly streaks: readonly { start: string; end: string | null; duration_sec: number; avg_score: number; min_score: number; open: boolean }[];
}

/**
 * The streaks change only when a QUIET span begins or ends: fetched then, and every hour; in between
 * the page moves the window on itself (an open streak runs on to the latest collection). Everything
 * else here comes with the event stream: an open page costs the agent no request while the quiet state
 * stays on one side of QUIET (flips between NORMAL and BUSY are frequent on a shared machine).
 */
const STREAKS_EVERY_MS = 3_600_000;

const dateTime = (iso: string): string => new Date(iso).toLocaleString('en-GB', { hour12: false, dateStyle: 'short', timeStyle: 'short' });
const time = (iso: string | null): string => (iso ? new Date(iso).toLocaleTimeString('en-GB', { hour12: false }) : '–');

export class QuietView {
  private fetchedAt = -Infinity;
  private wasQuiet: boolean | undefined;
  private streaks: StreaksJson | undefined;

  async update(state: LiveState): Promise<void> {
    this.renderQuiet(state);
    this.renderScheduler(state);
    this.renderHealth(state);
    const quiet = state.quiet?.state === 'QUIET';
    if (!this.streaks || performance.now() - this.fetchedAt >= STREAKS_EVERY_MS || quiet !== this.wasQuiet) {
      this.wasQuiet = quiet;
      this.fetchedAt = performance.now();
      this.streaks = await getJson<StreaksJson>('/api/system-stats/quiet-streaks?range=24h');
    }
    this.renderStreaks(moveWindow(this.streaks, state.collected_at));
  }

  private renderQuiet(state: LiveState): void {
    const q = state.quiet;
    const badge = byId('quiet-badge');
    if (!q) {
      fill(badge, 'not assessed yet');
      fill(byId('quiet-detail'));
      return;
    }
    badge.className = `badge state-${q.state.toLowerCase()}`;
    fill(badge, `${q.state} · score ${q.quiet_score}`);
    fill(
      byId('quiet-detail'),
      figures([
        ['State', `${q.state} since ${time(q.state_since)}`],
        ['Score', `${q.quiet_score} of 100`],
        ['Pending', q.pending ? `${q.pending.state} since ${time(q.pending.since)}` : '–'],
      ]),
      q.reasons.length ? el('ul', { 'aria-label': 'Reasons' }, ...q.reasons.map((r) => el('li', {}, r))) : el('p', {}, 'No input above its quiet bound.'),
    );
  }

  private renderStreaks(s: StreaksJson): void {
    const from = Date.parse(s.from);
    const span = Date.parse(s.to) - from || 1;
    const bar = el('div', { class: 'timeline', 'aria-hidden': 'true' });
    for (const k of s.streaks) {
      const start = Math.max(from, Date.parse(k.start));
      const end = k.end ? Date.parse(k.end) : Date.parse(s.to);
      const piece = el('span', { class: 'streak' });
      // CSSOM, not a style attribute: allowed under the page's Content-Security-Policy.
      piece.style.left = `${((start - from) / span) * 100}%`;
      piece.style.width = `${Math.max(0.2, ((end - start) / span) * 100)}%`;
      bar.append(piece);
    }
    const box = byId('quiet-streaks');
    // The figures as numbers, for tests and scripts.
    box.dataset.to = s.to;
    box.dataset.count = String(s.count);
    box.dataset.quietSec = String(s.quiet_sec);
    box.dataset.longestSec = String(s.longest_sec);
    fill(
      box,
      figures([
        ['Quiet streaks, last 24 h', String(s.count)],
        ['Quiet time', humanDuration(s.quiet_sec * 1000)],
        ['Longest', humanDuration(s.longest_sec * 1000)],
      ]),
      bar,
      el('p', { class: 'axis' }, el('span', {}, dateTime(s.from)), el('span', {}, dateTime(s.to))),
      table(
        'Quiet streaks in the last 24 hours',
        ['start', 'end', 'duration', 'average score', 'lowest score'],
        s.streaks.map((k) => [time(k.start), k.open ? 'ongoing' : time(k.end), humanDuration(k.duration_sec * 1000), k.avg_score, k.min_score]),
      ),
    );
  }

  private renderScheduler(state: LiveState): void {
    const s = state.scheduler;
    if (!s) {
      fill(byId('scheduler'), 'The scheduler is not running.');
      return;
    }
    const c = s.capacity;
    const addons = Object.entries(s.addons);
    fill(
      byId('scheduler'),
      figures([
        ['Capacity', `${c.used_units} of ${c.limit_units} units used (configured ${c.configured_units}, headroom ${c.headroom_units}, factor ${c.state_factor})`],
        ['Cool-down', s.cooldown.active ? `until ${time(s.cooldown.until)}` : 'none'],
        ['Leases', `${s.active.length} active of at most ${s.limits.max_leases}`],
      ]),
      table(
        'Active leases',
        ['lease', 'addon', 'job type', 'cost', 'priority', 'granted', 'expires'],
        s.active.map((l) => [l.lease_id, l.addon_id, l.job_type, l.cost_units, l.priority, time(l.granted_at), time(l.expires_at)]),
        (i) => ({ 'data-lease': s.active[i].lease_id }),
      ),
      table(
        'Queue',
        ['position', 'addon', 'job type', 'cost', 'priority', 'waiting', 'reason'],
        s.queue.map((q) => [q.position, q.addon_id, q.job_type, q.cost_units, q.priority, humanDuration(q.waiting_sec * 1000), q.reason]),
      ),
      table(
        'Recent decisions per addon',
        ['addon', 'requests', 'granted', 'denied', 'queued', 'last result', 'reason', 'at'],
        addons.map(([id, a]) => [id, a.requests, a.granted, a.denied, a.queued, a.last_result ?? '–', a.last_reason ?? '–', time(a.last_decision_at)]),
      ),
      table(
        'Recently ended leases',
        ['lease', 'addon', 'job type', 'state', 'ended', 'reason'],
        s.recent.map((l) => [l.lease_id, l.addon_id, l.job_type, l.state, time(l.ended_at), l.end_reason ?? '–']),
      ),
      table(
        'Decisions since start',
        ['result', 'reason', 'count'],
        s.decisions.map((d) => [d.result, d.reason, d.count]),
      ),
    );
  }

  private renderHealth(state: LiveState): void {
    const h = state.health;
    if (!h) fill(byId('health-status'), el('p', {}, 'Not assessed (the scheduler is not running).'));
    else {
      fill(
        byId('health-status'),
        el('p', { class: `badge state-${h.status}` }, `health: ${h.status}`),
        h.reasons.length ? el('ul', {}, ...h.reasons.map((r) => el('li', {}, r))) : el('p', {}, 'No reasons to worry.'),
      );
    }
    fill(
      byId('health-collectors'),
      state.errors.length
        ? table('Failing collectors (as `doctor` reports them)', ['collector', 'reason'], state.errors.map((e) => [e.collector, e.message]))
        : el('p', {}, 'Every collector produced its metrics in the latest collection.'),
    );
    // The export pipeline's own metrics, whatever the catalogue names under sysmon.export.
    const exportMetrics = state.metrics.filter((m) => m.name.startsWith('sysmon.export.'));
    fill(
      byId('health-export'),
      exportMetrics.length
        ? figures(exportMetrics.map((m) => [m.name.slice('sysmon.export.'.length), summarize(m)]))
        : el('p', {}, 'No OTLP export configured (the exporter is not otlp).'),
    );
  }
}

/**
 * The streaks as the agent would report them at `to`: the window's end moved on to it, its start with
 * it (streaks that ended before the start dropped), an open streak running on to it.
 */
function moveWindow(s: StreaksJson, to: string | null): StreaksJson {
  const toMs = to === null ? NaN : Date.parse(to);
  if (!(toMs > Date.parse(s.to))) return s;
  const fromMs = toMs - (Date.parse(s.to) - Date.parse(s.from));
  const streaks = s.streaks
    .filter((k) => k.end === null || Date.parse(k.end) >= fromMs)
    .map((k) => (k.end === null ? { ...k, duration_sec: Math.round((toMs - Date.parse(k.start)) / 1000) } : k));
  const spans = streaks.map((k) => ({ startMs: Date.parse(k.start), endMs: k.end === null ? undefined : Date.parse(k.end) }));
  return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), count: streaks.length, ...streakTotals(spans, fromMs, toMs), streaks };
}

/** A metric's points summed, with the split by attributes when there is one. */
function summarize(m: SnapshotMetric): string {
  const total = m.points.reduce((a, p) => a + p.value, 0);
  const parts = m.points
    .filter((p) => Object.keys(p.attributes).length > 0)
    .map((p) => `${Object.values(p.attributes).join(' ')} ${formatNumber(p.value)}`);
  return `${formatValue(total, m.unit)}${parts.length > 1 ? ` (${parts.join(', ')})` : ''}`;
}
