// The table `npm run freq-check` prints: per core, the reference clock and each source's value
// with its error; the first source with a value is the one the chain would pick.
import type { CpuFrequencyReport } from '../collectors/frequency/types.js';
import type { FrequencySourceName } from '../config/options.js';
import { formatHz } from './format.js';

export interface FrequencyComparison {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Largest |error| of the picked source over all cores (0 when none picked). */
  readonly worst: number;
}

export function compareFrequencies(
  reference: ReadonlyMap<number, number>,
  sources: readonly FrequencySourceName[],
  reports: ReadonlyMap<FrequencySourceName, readonly CpuFrequencyReport[]>,
  target: number,
): FrequencyComparison {
  const rows: string[][] = [];
  let worst = 0;
  for (const [cpu, refHz] of [...reference].sort((a, b) => a[0] - b[0])) {
    let picked: string | undefined;
    const cells = sources.map((s) => {
      const hz = reports.get(s)?.find((r) => r.cpu === cpu)?.hz;
      if (hz === null || hz === undefined) return 'no value';
      const error = hz / refHz - 1;
      if (picked === undefined) {
        picked = `${s} ${Math.abs(error) <= target ? 'ok' : 'MISSED'}`;
        worst = Math.max(worst, Math.abs(error));
      }
      return `${formatHz(hz)} (${error >= 0 ? '+' : ''}${(error * 100).toFixed(1)} %)`;
    });
    rows.push([`cpu${cpu}`, formatHz(refHz), ...cells, picked ?? 'none']);
  }
  return { header: ['cpu', 'reference', ...sources.map((s) => `${s} (error)`), 'chain picks'], rows, worst };
}
