// Formatting for the build panel, summary.json and `stats`: dsynth clocks and totals for people.

/** dsynth's elapsed clock: HH:MM:SS (hours grow past 99 as needed). */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor(s / 60) % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** The Build Phase of a running build: dsynth's word for a running worker (otel-sysmon builds have no port phases). */
export const RUNNING_PHASE = 'Running';

/** dsynth's elapsed field in summary.json and at the panel's top right: " HH:MM:SS", or "HHH:MM:SS" past 99 h. */
export function elapsedField(seconds: number): string {
  const text = clock(seconds);
  return text.length > 8 ? text.padStart(9) : ` ${text}`;
}

/**
 * C's printf("%.Nf"): like toFixed, but an exact binary tie rounds to even as glibc and the BSD libc do
 * (load averages such as 2.25 are exact ties: "%5.1f" prints "  2.2", toFixed(1) "2.3").
 */
export function cFixed(x: number, digits: number): string {
  const scale = 10 ** digits;
  const scaled = x * scale;
  if (Number.isFinite(scaled) && !Number.isInteger(scaled) && Number.isInteger(scaled * 2)) {
    const down = Math.floor(scaled);
    return ((down % 2 === 0 ? down : down + 1) / scale).toFixed(digits);
  }
  return x.toFixed(digits);
}

/** dsynth's load field ("%5.1f", or "%5.0f" above 999.9: ncurses.c and html.c). */
export function loadField(load: number): string {
  return (load > 999.9 ? cFixed(load, 0) : cFixed(load, 1)).padStart(5);
}

const UNITS: readonly [string, number][] = [
  ['y', 365 * 86_400],
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** A duration in its two largest units: `2y 280d`, `3d 4h`, `12m 5s`, `45s`. */
export function humanDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const lead = UNITS.findIndex(([, size]) => total >= size);
  if (lead < 0) return '0s';
  const [unit, size] = UNITS[lead];
  const first = `${Math.floor(total / size)}${unit}`;
  if (lead === UNITS.length - 1) return first;
  const [nextUnit, nextSize] = UNITS[lead + 1];
  const second = Math.floor((total % size) / nextSize);
  return second > 0 ? `${first} ${second}${nextUnit}` : first;
}

const SUFFIXES: readonly [string, number][] = [
  ['T', 1e12],
  ['B', 1e9],
  ['M', 1e6],
  ['K', 1e3],
];

/** A count with K/M/B/T suffixes and three significant digits: 9.60B, 12.3M, 950. */
export function humanCount(n: number): string {
  const abs = Math.abs(n);
  for (const [suffix, size] of SUFFIXES) {
    if (abs >= size * 0.9995) {
      const v = n / size;
      return `${Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)}${suffix}`;
    }
  }
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** 1234567 -> "1,234,567". */
export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
