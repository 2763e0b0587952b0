// Prometheus names of OpenTelemetry metrics: the official OTLP->Prometheus translation as
// prometheus/otlptranslator implements it (metric_namer.go normalizeName/addUnitTokens, unit_namer.go
// buildUnitSuffixes/cleanUpUnit, label_namer.go), with suffixes on and UTF-8 escaping to underscores,
// which is what the Collector's prometheus and prometheusremotewrite exporters produce by default.
// Dashboards, alert rules, the README table and our own /metrics endpoint all use these names.
import { CATALOGUE, type MetricDef } from './catalogue.js';

/** The OTLP point kinds that decide the suffixes (otlptranslator's MetricType). */
export type OtlpMetricType = 'gauge' | 'monotonic_counter' | 'non_monotonic_counter' | 'histogram';

// otlptranslator unitMap: OTLP (UCUM) unit -> Prometheus base unit word.
const UNIT_WORDS: Readonly<Record<string, string>> = {
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
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};

// otlptranslator perUnitMap: the denominator of "x/y" units, singular ("{build}/h" -> "per_hour").
const PER_UNIT_WORDS: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

const INVALID_NAME_CHAR = /[^A-Za-z0-9:]/;

/** Splits on every character outside [A-Za-z0-9:] (underscores too), dropping empty tokens (Go's FieldsFunc). */
function tokens(text: string): string[] {
  return text.split(INVALID_NAME_CHAR).filter((t) => t !== '');
}

/** cleanUpUnit: invalid characters to `_`, runs of `_` collapsed, one leading `_` removed. */
function cleanUpUnit(unit: string): string {
  return unit
    .replace(/[^A-Za-z0-9:]/g, '_')
    .replace(/__+/g, '_')
    .replace(/^_/, '');
}

/** buildUnitSuffixes: the main unit word and the `per_` word of a unit; `{…}` annotations give none. */
export function unitSuffixes(unit: string): { main: string; per: string } {
  const slash = unit.indexOf('/');
  const mainOtel = (slash >= 0 ? unit.slice(0, slash) : unit).trim();
  const perOtel = slash >= 0 ? unit.slice(slash + 1).trim() : '';
  const main = mainOtel !== '' && !/[{}]/.test(mainOtel) ? (UNIT_WORDS[mainOtel] ?? mainOtel) : '';
  const perWord = perOtel !== '' && !/[{}]/.test(perOtel) ? (PER_UNIT_WORDS[perOtel] ?? perOtel) : '';
  return { main, per: perWord ? `per_${perWord}` : '' };
}

/** normalizeName: the Prometheus metric name of an OTLP metric (histograms add _bucket/_sum/_count). */
export function translateMetricName(name: string, unit: string, type: OtlpMetricType): string {
  let nameTokens = tokens(name);
  const suffixes = unitSuffixes(unit);
  let main = cleanUpUnit(suffixes.main);
  let per = cleanUpUnit(suffixes.per);
  // addUnitTokens: a unit word already among the name's tokens is not added again.
  if (nameTokens.includes(main)) main = '';
  if (per === 'per_') per = '';
  else {
    per = per.replace(/_$/, '');
    if (nameTokens.includes(per)) per = '';
  }
  if (per !== '') main = main.replace(/_$/, '');
  if (main !== '') nameTokens.push(main);
  if (per !== '') nameTokens.push(per);
  // Every `total` token goes, and counters get exactly one at the end.
  if (type === 'monotonic_counter') nameTokens = [...nameTokens.filter((t) => t !== 'total'), 'total'];
  // `_ratio` only for gauges of unit "1" (receivers misuse "1" for counts of things).
  if (unit === '1' && type === 'gauge') nameTokens = [...nameTokens.filter((t) => t !== 'ratio'), 'ratio'];
  const joined = nameTokens.join('_');
  return /^[0-9]/.test(joined) ? `_${joined}` : joined;
}

/** The OTLP point kind a catalogue instrument produces. */
export function otlpMetricType(def: Pick<MetricDef, 'instrument'>): OtlpMetricType {
  switch (def.instrument) {
    case 'Counter':
      return 'monotonic_counter';
    case 'UpDownCounter':
      return 'non_monotonic_counter';
    case 'Histogram':
      return 'histogram';
    case 'Gauge':
      return 'gauge';
  }
}

/** Base name of a catalogue metric in Prometheus (histograms add _bucket/_sum/_count to this). */
export function prometheusName(def: MetricDef): string {
  return translateMetricName(def.name, def.unit, otlpMetricType(def));
}

/** Every series name a catalogue metric can appear under in Prometheus. */
export function prometheusSeriesNames(def: MetricDef): string[] {
  const base = prometheusName(def);
  if (def.instrument === 'Histogram') return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
  return [base];
}

/** Prometheus label name of an OpenTelemetry attribute key (label_namer.go, non-permissive). */
export function prometheusLabel(key: string): string {
  const label = key.replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9]/.test(label)) return `key_${label}`;
  if (label.startsWith('_') && !label.startsWith('__')) return `key${label}`;
  return label;
}

/** All series names the catalogue can produce, mapped back to their metric. */
export function prometheusNameIndex(): Map<string, MetricDef> {
  const index = new Map<string, MetricDef>();
  for (const def of CATALOGUE) for (const series of prometheusSeriesNames(def)) index.set(series, def);
  return index;
}
