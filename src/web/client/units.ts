// Values by their catalogue unit, for people: bytes, hertz, ratios, seconds, degrees, counts.
import { formatBytes, formatHz } from '../../ui/format.js';
import { humanDuration } from '../../ui/panel-format.js';

/** "{thread}" -> "threads"; annotation units are counts of something. */
function annotation(unit: string): string | undefined {
  const m = /^\{(.+)\}(\/\w+)?$/.exec(unit);
  return m ? `${m[1]}${m[2] ?? ""}` : undefined;
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  return v.toLocaleString('en-US', { maximumFractionDigits: abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3 });
}

export function formatValue(v: number, unit: string): string {
  switch (unit) {
    case 'By':
      return formatBytes(v);
    case 'By/s':
      return `${formatBytes(v)}/s`;
    case 'Hz':
      return formatHz(v);
    case '1':
      return `${(v * 100).toFixed(1)}%`;
    case '%':
      return `${v.toFixed(1)}%`;
    case 's':
      return v >= 120 ? humanDuration(v * 1000) : `${formatNumber(v)} s`;
    case 'Cel':
      return `${v.toFixed(1)} °C`;
    default: {
      const what = annotation(unit);
      return what ? `${formatNumber(v)} ${what}` : `${formatNumber(v)} ${unit}`;
    }
  }
}

/** A counter's unit per second ("By" -> "By/s", "{packet}" -> "{packet}/s", "s" -> "1": seconds per second). */
export function rateUnit(unit: string): string {
  if (unit === 's') return '1';
  return `${unit}/s`;
}
