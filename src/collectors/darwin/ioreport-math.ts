// Pure arithmetic of the macOS IOReport frequency: residency deltas of the "CPU Stats" performance
// states plus the pmgr DVFS tables -> Hz per logical CPU. No FFI here: tested with recorded samples.
import type { FrequencyReading } from '../frequency/types.js';

/** One IOReport state-channel from a sample delta: residency per named state, in table order. */
export interface IOReportChannel {
  readonly group: string;
  readonly subgroup: string;
  readonly channel: string;
  readonly states: readonly { readonly name: string; readonly residency: number }[];
}

export const CPU_STATS = 'CPU Stats';
export const CORE_STATES = 'CPU Core Performance States';
export const CLUSTER_STATES = 'CPU Complex Performance States';

/** Power-gated states: not DVFS steps, so outside the frequency table. */
const INACTIVE_STATES = new Set(['IDLE', 'DOWN', 'OFF']);

/** Efficiency or performance tier; M5's MCPU channels are the lower tier and use the E table. */
export type CoreTier = 'E' | 'P';

/** Frequency values from a pmgr `voltage-statesN-sram` property: 8-byte records {u32 freq, u32 volt}. */
export function decodeVoltageStates(bytes: Uint8Array): number[] {
  if (bytes.length === 0 || bytes.length % 8 !== 0) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const freqs: number[] = [];
  for (let i = 0; i < bytes.length; i += 8) freqs.push(view.getUint32(i, true));
  return freqs;
}

/** M1, M2, M3 and the A-series store the DVFS table in Hz; M4 and later in kHz. */
export function dvfsUnitForChip(brand: string | undefined): 'Hz' | 'kHz' | undefined {
  if (!brand) return undefined;
  if (/\bM[123]\b/.test(brand) || /\bA1\d\b/.test(brand)) return 'Hz';
  if (/\bM\d+\b/.test(brand)) return 'kHz';
  return undefined;
}

/**
 * The DVFS table in Hz. The unit follows the chip generation; for a chip we do not know, the
 * magnitude decides (no core runs below 100 MHz or above 100 GHz).
 */
export function dvfsTableHz(raw: readonly number[], brand: string | undefined): number[] {
  const max = Math.max(0, ...raw);
  const unit = dvfsUnitForChip(brand) ?? (max > 1e8 ? 'Hz' : 'kHz');
  return raw.map((v) => (unit === 'Hz' ? v : v * 1000));
}

/**
 * Which voltage-states properties hold the E and P tables on chips (M5 and later) that list them
 * in pmgr's `acc-clusters`: 8-byte entries, byte 0 the voltage-states index, byte 1 the cluster
 * tier (higher is faster). The two highest tiers are the P and E tables.
 */
export function accClusterTableKeys(bytes: Uint8Array): { E: string; P: string } | undefined {
  const entries: { tier: number; key: string }[] = [];
  for (let i = 0; i + 8 <= bytes.length; i += 8) entries.push({ tier: bytes[i + 1], key: `voltage-states${bytes[i]}-sram` });
  if (entries.length < 2) return undefined;
  entries.sort((a, b) => a.tier - b.tier);
  return { E: entries[entries.length - 2].key, P: entries[entries.length - 1].key };
}

/** Σ(residency_i × freq_i) / Σ(active residency): a core's mean clock while it was not idle. */
export function residencyWeightedHz(
  states: IOReportChannel['states'],
  tableHz: readonly number[],
): FrequencyReading {
  const active = states.filter((s) => !INACTIVE_STATES.has(s.name.toUpperCase()));
  if (tableHz.length === 0) return { reason: 'no DVFS frequency table for this core type in the pmgr entry' };
  if (active.length < tableHz.length) {
    return { reason: `${active.length} performance states but ${tableHz.length} DVFS table entries: cannot pair them` };
  }
  let weighted = 0;
  let total = 0;
  for (let i = 0; i < tableHz.length; i++) {
    const residency = active[i].residency;
    // A zero entry is a placeholder, not a clock the core can run at.
    if (tableHz[i] <= 0 || residency <= 0) continue;
    weighted += residency * tableHz[i];
    total += residency;
  }
  if (total === 0) return { reason: IDLE_WINDOW_REASON };
  return { hz: Math.round(weighted / total) };
}

/**
 * A core that never left IDLE/DOWN/OFF had no clock to measure: it gets no point, like any CPU
 * without a trustworthy value (macmon and oshi report the lowest DVFS state instead).
 */
export const IDLE_WINDOW_REASON =
  'core idle for the whole window (all residency in IDLE/DOWN/OFF): no point, as an idle core has no clock (not the lowest DVFS state, which macmon and oshi report)';

/** Variant of sysmon.cpu.frequency.source when only cluster channels exist. */
export const CLUSTER_VARIANT = 'cluster';

export interface CoreChannelName {
  readonly tier: CoreTier;
  /** M5's MCPU channels: the lower tier's table, numbered between E and P cores. */
  readonly mid: boolean;
  readonly die: number;
  readonly cluster: number;
  readonly core: number;
}

/**
 * A per-core channel of "CPU Core Performance States", in every form real machines publish:
 * - `ECPU000`, `PCPU130` (M1 family): cluster digit, core digit, a trailing 0;
 * - `ECPU00`, `PCPU13` (M2), `MCPU00`, `MCPU15` (M5): cluster digit, core digit;
 * - `ECPU0`, `PCPU5` (M3 Pro on macOS 26, M4, M5 Max's PCPU): the core within the tier's only cluster;
 * - `DIE_0_ECPU_CPU2`, `DIE_0_PCPU1_CPU0` (Ultra): die, cluster (none = 0), core;
 * - any of the first three after a `DIE_n_` prefix.
 */
export function parseCoreChannel(name: string): CoreChannelName | undefined {
  const ultra = /^DIE_(\d+)_([EPM])CPU(\d*)_CPU(\d+)$/.exec(name);
  if (ultra) return coreName(ultra[2], ultra[1], ultra[3] || '0', ultra[4]);
  const m = /^(?:DIE_(\d+)_)?([EPM])CPU(\d{1,3})$/.exec(name);
  if (!m) return undefined;
  const digits = m[3];
  if (digits.length === 1) return coreName(m[2], m[1], '0', digits);
  return coreName(m[2], m[1], digits[0], digits[1]);
}

function coreName(letter: string, die: string | undefined, cluster: string, core: string): CoreChannelName {
  return { tier: letter === 'P' ? 'P' : 'E', mid: letter === 'M', die: Number(die ?? 0), cluster: Number(cluster), core: Number(core) };
}

export interface ClusterChannelName {
  readonly tier: CoreTier;
  readonly mid: boolean;
  readonly die: number;
  readonly cluster: number;
}

/** "ECPU", "PCPU", "PCPU1", "MCPU0", "DIE_0_ECPU": a cluster channel of CPU Complex Performance States. */
export function parseClusterChannel(name: string): ClusterChannelName | undefined {
  const m = /^(?:DIE_(\d+)_)?([EPM])CPU(\d?)$/.exec(name);
  if (!m) return undefined;
  return { tier: m[2] === 'P' ? 'P' : 'E', mid: m[2] === 'M', die: Number(m[1] ?? 0), cluster: Number(m[3] || 0) };
}

type Ordered = { tier: CoreTier; mid: boolean; die: number; cluster: number; core?: number };
const tierRank = (c: Ordered): number => (c.tier === 'P' ? 2 : c.mid ? 1 : 0);

/**
 * macOS numbers logical CPUs from the slowest tier up (hw.perflevel1 before hw.perflevel0), then
 * by die, cluster and core.
 */
function order(a: Ordered, b: Ordered): number {
  return tierRank(a) - tierRank(b) || a.die - b.die || a.cluster - b.cluster || (a.core ?? 0) - (b.core ?? 0);
}

export interface IOReportInputs {
  /** Channels of one sample delta (both subgroups may be present). */
  readonly channels: readonly IOReportChannel[];
  /** DVFS tables in Hz per tier. */
  readonly tables: Readonly<Record<CoreTier, readonly number[]>>;
  /** Logical CPUs per tier (sysctl hw.perflevelN.logicalcpu), used when only clusters are reported. */
  readonly tierCpus?: Readonly<Record<CoreTier, number>>;
}

type Core = CoreChannelName & { readonly channel: IOReportChannel };

/**
 * The core channels that map one to one onto each tier's logical CPUs, or why they do not. A chip
 * with disabled cores may still list their channels: those never count a tick (not even IDLE) and
 * are dropped while a tier has more channels than hw.perflevelN.logicalcpu says it has CPUs.
 */
function matchTiers(cores: readonly Core[], tierCpus: IOReportInputs['tierCpus']): Core[] | string {
  const kept: Core[] = [];
  const problems: string[] = [];
  for (const [tier, level] of [['E', 1], ['P', 0]] as const) {
    let mine = cores.filter((c) => c.tier === tier);
    const want = tierCpus?.[tier] ?? 0;
    if (want > 0 && mine.length > want) {
      let excess = mine.length - want;
      mine = mine.filter((c) => !(excess > 0 && c.channel.states.every((s) => s.residency === 0) && excess-- > 0));
    }
    if (want > 0 && mine.length !== want) problems.push(`${mine.length} ${tier} core channels for ${want} logical CPUs (hw.perflevel${level}.logicalcpu)`);
    kept.push(...mine);
  }
  return problems.length > 0 ? problems.join(', ') : kept.sort(order);
}

/**
 * Hz per logical CPU: per core from "CPU Core Performance States" when that subgroup has channels
 * that match the tiers' CPU counts, else each CPU gets its cluster's value from "CPU Complex
 * Performance States" (a tier's CPUs are split evenly, in order, across that tier's clusters).
 */
export function ioreportFrequencies(inputs: IOReportInputs): Map<number, FrequencyReading> {
  const result = new Map<number, FrequencyReading>();
  const cores = inputs.channels
    .filter((c) => c.group === CPU_STATS && c.subgroup === CORE_STATES)
    .flatMap((c) => {
      const name = parseCoreChannel(c.channel);
      return name ? [{ ...name, channel: c }] : [];
    })
    .sort(order);
  const matched = cores.length > 0 ? matchTiers(cores, inputs.tierCpus) : 'no per-core channels';
  if (typeof matched !== 'string') {
    matched.forEach((core, cpu) => result.set(cpu, note(residencyWeightedHz(core.channel.states, inputs.tables[core.tier]), 'core')));
    return result;
  }
  const clusters = inputs.channels
    .filter((c) => c.group === CPU_STATS && c.subgroup === CLUSTER_STATES)
    .flatMap((c) => {
      const name = parseClusterChannel(c.channel);
      return name ? [{ ...name, channel: c }] : [];
    })
    .sort(order);
  if (clusters.length === 0 && cores.length > 0) {
    // Core channels that cannot be mapped and no cluster to fall back on: a reason per CPU.
    const total = (inputs.tierCpus?.E ?? 0) + (inputs.tierCpus?.P ?? 0);
    for (let cpu = 0; cpu < total; cpu++) result.set(cpu, { reason: `IOReport core channels do not match the CPUs: ${matched}` });
    return result;
  }
  let cpu = 0;
  for (const tier of ['E', 'P'] as const) {
    const mine = clusters.filter((c) => c.tier === tier);
    const count = inputs.tierCpus?.[tier] ?? 0;
    mine.forEach((cluster, i) => {
      const reading = clusterNote(residencyWeightedHz(cluster.channel.states, inputs.tables[tier]), cluster.channel.channel, matched);
      const share = Math.floor(count / mine.length) + (i < count % mine.length ? 1 : 0);
      for (let k = 0; k < share; k++) result.set(cpu++, reading);
    });
  }
  return result;
}

function note(reading: FrequencyReading, scope: string): FrequencyReading {
  return 'hz' in reading ? { hz: reading.hz, note: `IOReport residency-weighted DVFS clock (${scope})` } : reading;
}

/** A cluster's value given to each of its CPUs: degraded, every core reads the cluster's clock. */
function clusterNote(reading: FrequencyReading, channel: string, why: string): FrequencyReading {
  if (!('hz' in reading)) return reading;
  return {
    hz: reading.hz,
    note: `IOReport residency-weighted DVFS clock of cluster ${channel}: ${why}, so every core of the cluster reads the cluster's clock`,
    variant: CLUSTER_VARIANT,
  };
}
