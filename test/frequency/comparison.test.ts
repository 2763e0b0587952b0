// The freq-check table: errors per source against the reference, and the source the chain picks.
import { describe, expect, it } from 'vitest';
import type { CpuFrequencyReport } from '../../src/collectors/frequency/types.js';
import { compareFrequencies } from '../../src/ui/frequency-comparison.js';

const report = (cpu: number, hz: number | null): CpuFrequencyReport => ({ cpu, hz, source: hz === null ? null : 'perf', tried: [], series: hz === null ? null : 'perf' });

describe('compareFrequencies', () => {
  it('judges the first source with a value against the target', () => {
    const reference = new Map([
      [1, 3.0e9],
      [0, 2.0e9],
    ]);
    const reports = new Map([
      ['sysfs', [report(0, null), report(1, 3.3e9)]],
      ['perf', [report(0, 2.06e9), report(1, 3.03e9)]],
    ] as const);
    const c = compareFrequencies(reference, ['sysfs', 'perf'], reports, 0.05);
    expect(c.header).toEqual(['cpu', 'reference', 'sysfs (error)', 'perf (error)', 'chain picks']);
    expect(c.rows).toEqual([
      ['cpu0', '2.000 GHz', 'no value', '2.060 GHz (+3.0 %)', 'perf ok'],
      ['cpu1', '3.000 GHz', '3.300 GHz (+10.0 %)', '3.030 GHz (+1.0 %)', 'sysfs MISSED'],
    ]);
    expect(c.worst).toBeCloseTo(0.1, 9);
  });
});
