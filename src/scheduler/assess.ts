// The quiet assessment proper (pure): inputs and thresholds in, score, raw state and reasons out.
//
// Each input is classified against its thresholds: at or below `quiet` QUIET, above it NORMAL,
// above `busy` BUSY, above `panic` PANIC (reversed for free disk, where lower is worse). The raw
// state is the worst class of any input. Each input also maps piecewise-linearly onto a score with
// its thresholds as band edges: 100 at zero (100% free for disk), 75 at `quiet`, 50 at `busy`,
// 25 at `panic` and 0 one busy-to-panic band beyond it. The score is the lowest input score, so it
// always agrees with the state: QUIET 75–100, NORMAL 50–75, BUSY 25–50, PANIC below 25.
import type { Thresholds } from '../config/values.js';
import type { QuietInputs } from './quiet-inputs.js';
import { type QuietState, stateRank } from './types.js';

export const SIGNAL_KEYS = [
  'cpu',
  'load',
  'memory',
  'swap',
  'psiCpu',
  'psiMemory',
  'psiIo',
  'diskFree',
  'diskIo',
  'apiErrors',
  'apiP95',
] as const;
export type SignalKey = (typeof SIGNAL_KEYS)[number];
export type QuietThresholds = Readonly<Record<SignalKey, Thresholds>>;

interface Signal {
  readonly key: SignalKey;
  readonly label: string;
  readonly unit: '%' | 'ms' | '';
  readonly lowerIsWorse?: boolean;
  value(inputs: QuietInputs): number | undefined;
}

/** The larger of two optional readings: avg10 reacts fast, avg60 keeps a calm spell honest. */
function worst(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.max(a, b);
}

const SIGNALS: readonly Signal[] = [
  { key: 'cpu', label: 'cpu 2m avg', unit: '%', value: (i) => i.cpu_avg_2m },
  { key: 'load', label: 'load per cpu', unit: '', value: (i) => i.load_per_cpu },
  { key: 'memory', label: 'memory', unit: '%', value: (i) => i.mem_pct },
  { key: 'swap', label: 'swap', unit: '%', value: (i) => i.swap_pct },
  { key: 'psiCpu', label: 'cpu pressure', unit: '%', value: (i) => worst(i.psi_cpu_some_avg10, i.psi_cpu_some_avg60) },
  {
    key: 'psiMemory',
    label: 'memory pressure',
    unit: '%',
    value: (i) => worst(i.psi_memory_some_avg10, i.psi_memory_some_avg60),
  },
  { key: 'psiIo', label: 'io pressure', unit: '%', value: (i) => worst(i.psi_io_some_avg10, i.psi_io_some_avg60) },
  { key: 'diskFree', label: 'disk free', unit: '%', lowerIsWorse: true, value: (i) => i.disk_free_pct },
  { key: 'diskIo', label: 'disk busy', unit: '%', value: (i) => i.disk_io_busy_pct },
  { key: 'apiErrors', label: 'API errors', unit: '%', value: (i) => i.api_error_pct },
  { key: 'apiP95', label: 'API p95', unit: 'ms', value: (i) => i.api_p95_ms },
];

export interface SignalResult {
  readonly key: SignalKey;
  readonly value: number;
  readonly level: QuietState;
  readonly score: number;
  /** Human-readable, e.g. "memory 93% > 90% (PANIC)"; undefined when the input is quiet. */
  readonly reason: string | undefined;
}

export interface RawAssessment {
  readonly score: number;
  readonly state: QuietState;
  /** Worst first; "all inputs within quiet thresholds" when there is nothing to say. */
  readonly reasons: readonly string[];
  readonly signals: readonly SignalResult[];
}

export const ALL_QUIET = 'all inputs within quiet thresholds';

function show(value: number, unit: Signal['unit']): string {
  if (unit === '') return value.toFixed(2);
  if (unit === 'ms') return `${Math.round(value)}ms`;
  const r = Math.round(value * 10) / 10;
  return `${Number.isInteger(r) ? r.toFixed(0) : r.toFixed(1)}%`;
}

function classify(v: number, t: Thresholds, lowerIsWorse: boolean): { level: QuietState; bound: number } {
  const worse = (a: number, b: number) => (lowerIsWorse ? a < b : a > b);
  if (worse(v, t.panic)) return { level: 'PANIC', bound: t.panic };
  if (worse(v, t.busy)) return { level: 'BUSY', bound: t.busy };
  if (worse(v, t.quiet)) return { level: 'NORMAL', bound: t.quiet };
  return { level: 'QUIET', bound: t.quiet };
}

function interpolate(x: number, a: number, b: number, sa: number, sb: number): number {
  if (b <= a) return x <= a ? sa : sb;
  const f = Math.min(1, Math.max(0, (x - a) / (b - a)));
  return sa + (sb - sa) * f;
}

/** Score of one input (see the header); lower-is-worse inputs are mirrored so one formula serves both. */
export function signalScore(v: number, t: Thresholds, lowerIsWorse = false): number {
  const s = lowerIsWorse ? -1 : 1;
  const [x, q, b, p, origin] = [s * v, s * t.quiet, s * t.busy, s * t.panic, lowerIsWorse ? -100 : 0];
  if (x <= q) return interpolate(x, Math.min(origin, q), q, 100, 75);
  if (x <= b) return interpolate(x, q, b, 75, 50);
  if (x <= p) return interpolate(x, b, p, 50, 25);
  return interpolate(x, p, p + Math.max(p - b, Number.EPSILON), 25, 0);
}

export function assess(inputs: QuietInputs, thresholds: QuietThresholds): RawAssessment {
  const signals: SignalResult[] = [];
  for (const signal of SIGNALS) {
    const value = signal.value(inputs);
    if (value === undefined || !Number.isFinite(value)) continue;
    const t = thresholds[signal.key];
    const lowerIsWorse = signal.lowerIsWorse ?? false;
    const { level, bound } = classify(value, t, lowerIsWorse);
    const reason =
      level === 'QUIET'
        ? undefined
        : `${signal.label} ${show(value, signal.unit)} ${lowerIsWorse ? '<' : '>'} ${show(bound, signal.unit)} (${level})`;
    signals.push({ key: signal.key, value, level, score: signalScore(value, t, lowerIsWorse), reason });
  }
  const state = signals.reduce<QuietState>((w, s) => (stateRank(s.level) > stateRank(w) ? s.level : w), 'QUIET');
  const reasons = signals
    .filter((s) => s.reason !== undefined)
    .sort((a, b) => stateRank(b.level) - stateRank(a.level) || a.score - b.score)
    .map((s) => s.reason!);
  const score = signals.length ? Math.round(Math.min(...signals.map((s) => s.score))) : 100;
  return { score, state, reasons: reasons.length ? reasons : [ALL_QUIET], signals };
}

/** The thresholds from the configuration table (option names quiet-cpu, quiet-load, ...). */
export function thresholdsFromConfig(config: {
  readonly quietCpu: Thresholds;
  readonly quietLoad: Thresholds;
  readonly quietMemory: Thresholds;
  readonly quietSwap: Thresholds;
  readonly quietPsiCpu: Thresholds;
  readonly quietPsiMemory: Thresholds;
  readonly quietPsiIo: Thresholds;
  readonly quietDiskFree: Thresholds;
  readonly quietDiskIo: Thresholds;
  readonly quietApiErrors: Thresholds;
  readonly quietApiP95: Thresholds;
}): QuietThresholds {
  return {
    cpu: config.quietCpu,
    load: config.quietLoad,
    memory: config.quietMemory,
    swap: config.quietSwap,
    psiCpu: config.quietPsiCpu,
    psiMemory: config.quietPsiMemory,
    psiIo: config.quietPsiIo,
    diskFree: config.quietDiskFree,
    diskIo: config.quietDiskIo,
    apiErrors: config.quietApiErrors,
    apiP95: config.quietApiP95,
  };
}
