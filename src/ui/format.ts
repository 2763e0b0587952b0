// Small formatters for terminal output (doctor, top): clocks, sizes, CPU lists, bars, sparklines.

/** 2_596_146_000 -> "2.596 GHz"; 800_000_000 -> "800 MHz". */
export function formatHz(hz: number): string {
  if (hz >= 1e9) return `${(hz / 1e9).toFixed(3)} GHz`;
  return `${Math.round(hz / 1e6)} MHz`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 -> "1.5 KiB"; binary units, three significant digits. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${BYTE_UNITS[unit]}`;
}

/** 0.4567 -> "45.7%". */
export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** [0,1,2,3,5,7,8] -> "0-3,5,7-8" (the kernel's CPU list format). */
export function cpuRanges(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar `width` cells wide filled to `fraction` (0..1), with eighth-cell resolution. */
export function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const partial = EIGHTHS[eighths % 8];
  return ('█'.repeat(full) + partial).padEnd(width, ' ');
}

const SPARKS = '▁▂▃▄▅▆▇█';

/**
 * One character per value between `min` and `max` (the series' own range when not given);
 * undefined values (no reading) are blanks.
 */
export function sparkline(values: readonly (number | undefined)[], min?: number, max?: number): string {
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (known.length === 0) return ' '.repeat(values.length);
  const lo = min ?? Math.min(...known);
  const hi = max ?? Math.max(...known);
  return values
    .map((v) => {
      if (v === undefined || !Number.isFinite(v)) return ' ';
      if (hi <= lo) return SPARKS[SPARKS.length - 1];
      const idx = Math.round(((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * (SPARKS.length - 1));
      return SPARKS[idx];
    })
    .join('');
}
