// Prometheus names of catalogue metrics, following the Collector's OTLP->Prometheus translation
// (dots -> underscores, unit suffix appended, `_total` on monotonic sums, `{..}` units dropped).
// Dashboards, alert rules and the /metrics endpoint all use these names.
import { CATALOGUE, type MetricDef, isMonotonic } from './catalogue.js';

const UNIT_WORDS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  Hz: 'hertz',
  '%': 'percent',
};

// Singular words for the denominator of a rate unit ("{build}/h" -> "per_hour").
const PER_UNIT_WORDS: Record<string, string> = {
  s: 'second',
  min: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

function unitWord(unit: string): string {
  if (unit.startsWith('{')) return '';
  return UNIT_WORDS[unit] ?? unit.replace(/[^A-Za-z0-9]+/g, '_');
}

/** The suffix words a unit adds to a Prometheus name, e.g. "By" -> "bytes", "{build}/h" -> "per_hour". */
export function unitSuffix(def: Pick<MetricDef, 'unit' | 'instrument'>): string {
  const unit = def.unit;
  if (unit === '1') return def.instrument === 'Gauge' ? 'ratio' : '';
  const slash = unit.indexOf('/');
  if (slash >= 0) {
    const main = unitWord(unit.slice(0, slash));
    const perRaw = unit.slice(slash + 1);
    const per = perRaw.startsWith('{') ? '' : (PER_UNIT_WORDS[perRaw] ?? unitWord(perRaw));
    return [main, per ? `per_${per}` : ''].filter(Boolean).join('_');
  }
  return unitWord(unit);
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_:]/g, '_').replace(/_+/g, '_');
}

/** Base name of a metric in Prometheus (histograms add _bucket/_sum/_count to this). */
export function prometheusName(def: MetricDef): string {
  let name = sanitize(def.name);
  const suffix = unitSuffix(def);
  if (suffix && !`_${name}_`.includes(`_${suffix}_`)) name = `${name}_${suffix}`;
  if (def.instrument === 'Counter' && isMonotonic(def) && !name.endsWith('_total')) name = `${name}_total`;
  return name;
}

/** Every series name a catalogue metric can appear under in Prometheus. */
export function prometheusSeriesNames(def: MetricDef): string[] {
  const base = prometheusName(def);
  if (def.instrument === 'Histogram') return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
  return [base];
}

/** Prometheus label name of an OpenTelemetry attribute key. */
export function prometheusLabel(key: string): string {
  const label = key.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(label) ? `key_${label}` : label;
}

/** All series names the catalogue can produce, mapped back to their metric. */
export function prometheusNameIndex(): Map<string, MetricDef> {
  const index = new Map<string, MetricDef>();
  for (const def of CATALOGUE) for (const series of prometheusSeriesNames(def)) index.set(series, def);
  return index;
}
