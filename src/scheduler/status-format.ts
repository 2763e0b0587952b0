// `otel-sysmon lease status` for people: the quiet state and why, capacity, leases, queue, addons.
import { humanDuration } from '../ui/panel-format.js';
import { renderTable } from '../util/table.js';
import type { assessmentJson } from './quiet.js';
import type { leaseJson, statusJson } from './json.js';

export type StatusAnswer = ReturnType<typeof statusJson> & { quiet: ReturnType<typeof assessmentJson> | null };

const since = (iso: string | null, nowMs: number): string => (iso ? humanDuration(nowMs - Date.parse(iso)) : '-');
const until = (iso: string | null, nowMs: number): string => (iso ? humanDuration(Date.parse(iso) - nowMs) : '-');

function leaseRows(leases: readonly ReturnType<typeof leaseJson>[], nowMs: number, ended: boolean): string[][] {
  return leases.map((l) => [
    l.lease_id.slice(0, 8),
    l.addon_id,
    l.job_type,
    String(l.cost_units),
    l.priority,
    ended ? l.state : since(l.granted_at, nowMs),
    ended ? `${since(l.ended_at, nowMs)} ago` : until(l.expires_at, nowMs),
    ended ? (l.end_reason ?? '') : l.report?.progress_pct !== undefined ? `${l.report.progress_pct}%` : '',
  ]);
}

export function formatStatus(s: StatusAnswer, nowMs: number): string {
  const out: string[] = [];
  const q = s.quiet;
  if (q) {
    const pending = q.pending ? `; ${q.pending.state} pending since ${since(q.pending.since, nowMs)}` : '';
    out.push(`Quiet: ${q.state} (score ${q.quiet_score}) for ${since(q.state_since, nowMs)}${pending}`);
    for (const r of q.reasons) out.push(`  - ${r}`);
  } else {
    out.push('Quiet: not assessed yet');
  }
  const c = s.capacity;
  out.push(
    `Capacity: ${c.used_units}/${c.limit_units} units used (${c.configured_units} configured - ${c.headroom_units} headroom, x${c.state_factor} for the state)`,
  );
  out.push(
    `Leases: ${s.active.length} active (max ${s.limits.max_leases}, ${s.limits.max_per_addon} per addon), TTL ${s.limits.heartbeat_ttl_sec}s` +
      (s.cooldown.active ? `; cooling down after PANIC for ${until(s.cooldown.until, nowMs)}` : ''),
  );
  const header = ['LEASE', 'ADDON', 'JOB', 'COST', 'PRIORITY'];
  if (s.active.length) {
    out.push('', 'Active');
    out.push(renderTable([...header, 'AGE', 'EXPIRES IN', 'PROGRESS'], leaseRows(s.active, nowMs, false)).trimEnd());
  }
  if (s.queue.length) {
    out.push('', 'Queue');
    const rows = s.queue.map((e) => [
      String(e.position),
      e.queue_id.slice(0, 10),
      e.addon_id,
      e.job_type,
      String(e.cost_units),
      e.priority,
      humanDuration(e.waiting_sec * 1000),
      e.reason,
    ]);
    out.push(renderTable(['POS', 'QUEUE ID', 'ADDON', 'JOB', 'COST', 'PRIORITY', 'WAITING', 'REASON'], rows).trimEnd());
  }
  if (s.recent.length) {
    out.push('', 'Recent');
    out.push(renderTable([...header, 'STATE', 'ENDED', 'WHY'], leaseRows(s.recent.slice(0, 10), nowMs, true)).trimEnd());
  }
  const addons = Object.entries(s.addons);
  if (addons.length) {
    out.push('', 'Addons');
    const rows = addons.map(([id, a]) => [
      id,
      String(a.granted),
      String(a.denied),
      String(a.queued),
      `${a.active} (${a.active_units}u)`,
      a.last_result,
      a.cooldown_until ? `in ${until(a.cooldown_until, nowMs)}` : '-',
      a.last_reason,
    ]);
    out.push(renderTable(['ADDON', 'GRANTED', 'DENIED', 'QUEUED', 'ACTIVE', 'LAST', 'RETRY', 'LAST REASON'], rows).trimEnd());
  }
  return out.join('\n') + '\n';
}
