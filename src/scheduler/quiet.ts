// The quiet monitor: each collection's inputs -> assessment -> hysteresis, and the sysmon.quiet.*
// metrics. The policy reads its QuietView; history and the API read its assessment.
import type { RequestStatsSnapshot } from '../api/request-stats.js';
import type { Collection, PointSink } from '../collectors/types.js';
import { assess, type QuietThresholds } from './assess.js';
import { Hysteresis, type Pending } from './hysteresis.js';
import { CpuWindow, hostReadings, type HostReadings, HostRateTracker, type QuietInputs, quietInputs } from './quiet-inputs.js';
import { QUIET_STATES, type QuietState, type QuietView } from './types.js';

export interface Assessment {
  readonly atMs: number;
  readonly score: number;
  /** The state in force (after hysteresis). */
  readonly state: QuietState;
  /** The state this collection alone would give. */
  readonly rawState: QuietState;
  readonly sinceMs: number;
  readonly pending: Pending | undefined;
  readonly reasons: readonly string[];
  readonly inputs: QuietInputs;
  readonly host: HostReadings;
}

export interface Observation {
  readonly collection: Collection;
  readonly diskFreePct: number | undefined;
  readonly api: RequestStatsSnapshot;
}

export class QuietMonitor {
  private readonly cpu = new CpuWindow();
  private readonly rates = new HostRateTracker();
  private readonly hysteresis: Hysteresis;
  private last: Assessment | undefined;

  constructor(
    private readonly thresholds: QuietThresholds,
    private readonly holdMs: number,
  ) {
    this.hysteresis = new Hysteresis(holdMs);
  }

  observe(o: Observation): Assessment {
    const at = o.collection.timeMs;
    const host = hostReadings(o.collection, this.rates.next(o.collection));
    this.cpu.add(at, host.cpu_pct);
    const inputs = quietInputs(host, this.cpu.average(), o.diskFreePct, o.api);
    const raw = assess(inputs, this.thresholds);
    const step = this.hysteresis.update(raw.state, at);
    const pending = this.hysteresis.pending;
    const reasons = [...raw.reasons];
    if (pending) {
      const left = Math.max(0, this.holdMs - (at - pending.sinceMs));
      reasons.push(`holding ${step.state} for ${Math.ceil(left / 1000)}s more (inputs say ${raw.state})`);
    }
    this.last = {
      atMs: at,
      score: raw.score,
      state: step.state,
      rawState: raw.state,
      sinceMs: this.hysteresis.sinceMs,
      pending,
      reasons,
      inputs,
      host,
    };
    return this.last;
  }

  current(): Assessment | undefined {
    return this.last;
  }

  view(nowMs: number): QuietView | undefined {
    const a = this.last;
    return a && { state: a.state, score: a.score, msUntilQuiet: this.hysteresis.msUntilQuiet(nowMs) };
  }
}

const STATE_ATTRIBUTES = Object.fromEntries(QUIET_STATES.map((state) => [state, { state }])) as Record<QuietState, { state: string }>;

/** sysmon.quiet.score, and sysmon.quiet.state as 1 for the state in force and 0 for the others. */
export function emitQuiet(sink: PointSink, a: Assessment | undefined): void {
  if (!a) return;
  sink.add('sysmon.quiet.score', a.score);
  for (const state of QUIET_STATES) sink.add('sysmon.quiet.state', state === a.state ? 1 : 0, STATE_ATTRIBUTES[state]);
}

/** The seed's QuietAssessment as the API and history show it. */
export function assessmentJson(a: Assessment) {
  return {
    quiet_score: a.score,
    state: a.state,
    raw_state: a.rawState,
    state_since: new Date(a.sinceMs).toISOString(),
    pending: a.pending ? { state: a.pending.state, since: new Date(a.pending.sinceMs).toISOString() } : null,
    reasons: a.reasons,
    inputs: a.inputs,
    assessed_at: new Date(a.atMs).toISOString(),
  };
}
