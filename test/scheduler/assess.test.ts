import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Point } from '../../src/collectors/types.js';
import { loadConfig } from '../../src/config/load.js';
import { ALL_QUIET, assess, signalScore, thresholdsFromConfig } from '../../src/scheduler/assess.js';
import {
  CpuWindow,
  cpuBusyPercent,
  diskFreePercent,
  hostReadings,
  MIN_API_REQUESTS,
  type QuietInputs,
  quietInputs,
} from '../../src/scheduler/quiet-inputs.js';
import { collection } from './fixtures.js';

const T = thresholdsFromConfig(loadConfig({ argv: {}, env: {} }));
const calm: QuietInputs = {
  cpu_avg_2m: 10,
  load_per_cpu: 0.2,
  mem_pct: 40,
  swap_pct: 0,
  psi_cpu_some_avg10: 1,
  psi_cpu_some_avg60: 1,
  psi_memory_some_avg10: 0,
  psi_memory_some_avg60: 0,
  psi_io_some_avg10: 0.5,
  psi_io_some_avg60: 0.5,
  disk_free_pct: 60,
  api_requests: 100,
  api_rps: 1.7,
  api_error_pct: 0,
  api_p95_ms: 3,
};

describe('quiet assessment with the default thresholds', () => {
  const cases: [string, Partial<QuietInputs>, string, string[]][] = [
    ['a calm host', {}, 'QUIET', [ALL_QUIET]],
    ['memory over the panic bound', { mem_pct: 93 }, 'PANIC', ['memory 93% > 90% (PANIC)']],
    ['memory between quiet and busy', { mem_pct: 75 }, 'NORMAL', ['memory 75% > 70% (NORMAL)']],
    ['swap in use', { swap_pct: 55 }, 'BUSY', ['swap 55% > 40% (BUSY)']],
    ['load per cpu', { load_per_cpu: 1.2 }, 'NORMAL', ['load per cpu 1.20 > 0.70 (NORMAL)']],
    ['2-minute cpu average', { cpu_avg_2m: 80 }, 'BUSY', ['cpu 2m avg 80% > 75% (BUSY)']],
    ['cpu pressure takes the larger window', { psi_cpu_some_avg10: 2, psi_cpu_some_avg60: 30 }, 'BUSY', ['cpu pressure 30% > 25% (BUSY)']],
    ['memory pressure', { psi_memory_some_avg10: 12.5 }, 'BUSY', ['memory pressure 12.5% > 10% (BUSY)']],
    ['io pressure', { psi_io_some_avg60: 70 }, 'PANIC', ['io pressure 70% > 60% (PANIC)']],
    ['free disk is lower-is-worse', { disk_free_pct: 4 }, 'PANIC', ['disk free 4% < 5% (PANIC)']],
    ['free disk getting short', { disk_free_pct: 15 }, 'NORMAL', ['disk free 15% < 20% (NORMAL)']],
    ['busiest disk with I/O in flight', { disk_io_busy_pct: 65 }, 'BUSY', ['disk busy 65% > 60% (BUSY)']],
    ['API server errors', { api_error_pct: 6 }, 'BUSY', ['API errors 6% > 5% (BUSY)']],
    ['API latency', { api_p95_ms: 612 }, 'BUSY', ['API p95 612ms > 500ms (BUSY)']],
    [
      'several inputs, worst first',
      { mem_pct: 75, swap_pct: 85, cpu_avg_2m: 80 },
      'PANIC',
      ['swap 85% > 80% (PANIC)', 'cpu 2m avg 80% > 75% (BUSY)', 'memory 75% > 70% (NORMAL)'],
    ],
  ];
  it.each(cases)('%s', (_name, change, state, reasons) => {
    const a = assess({ ...calm, ...change }, T);
    expect(a.state).toBe(state);
    expect(a.reasons).toEqual(reasons);
  });

  it('counts only the inputs it has (no PSI, no swap: not a reason to be busy)', () => {
    const a = assess({ api_requests: 0, api_rps: 0, mem_pct: 30 }, T);
    expect(a.state).toBe('QUIET');
    expect(a.signals.map((s) => s.key)).toEqual(['memory']);
    expect(assess({ api_requests: 0, api_rps: 0 }, T).score).toBe(100);
  });

  it('bounds are exclusive: a value equal to a bound stays in the better class', () => {
    expect(assess({ ...calm, mem_pct: 90 }, T).state).toBe('BUSY');
    expect(assess({ ...calm, mem_pct: 70 }, T).state).toBe('QUIET');
    expect(assess({ ...calm, disk_free_pct: 20 }, T).state).toBe('QUIET');
  });

  it('scores each band: 100 at zero, 75 at quiet, 50 at busy, 25 at panic, 0 one band beyond', () => {
    const t = { quiet: 70, busy: 80, panic: 90 };
    expect([0, 35, 70, 75, 80, 90, 95, 100, 150].map((v) => signalScore(v, t))).toEqual([100, 87.5, 75, 62.5, 50, 25, 12.5, 0, 0]);
    const disk = { quiet: 20, busy: 10, panic: 5 };
    expect([100, 20, 10, 5, 2.5, 0].map((v) => signalScore(v, disk, true))).toEqual([100, 75, 50, 25, 12.5, 0]);
  });

  it('always gives a score inside its state band (property)', () => {
    const pct = fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: undefined });
    fc.assert(
      fc.property(pct, pct, pct, pct, fc.option(fc.double({ min: 0, max: 8, noNaN: true }), { nil: undefined }), (cpu, mem, swap, disk, load) => {
        const a = assess({ cpu_avg_2m: cpu, mem_pct: mem, swap_pct: swap, disk_free_pct: disk, load_per_cpu: load, api_requests: 0, api_rps: 0 }, T);
        const band = { QUIET: [75, 100], NORMAL: [50, 75], BUSY: [25, 50], PANIC: [0, 25] }[a.state];
        expect(a.score).toBeGreaterThanOrEqual(band[0]);
        expect(a.score).toBeLessThanOrEqual(band[1]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('quiet inputs', () => {
  const util = (cpu: number, idle: number, iowait: number, user: number): Point[] => [
    { attributes: { 'cpu.mode': 'idle', 'cpu.logical_number': cpu }, value: idle },
    { attributes: { 'cpu.mode': 'iowait', 'cpu.logical_number': cpu }, value: iowait },
    { attributes: { 'cpu.mode': 'user', 'cpu.logical_number': cpu }, value: user },
  ];

  it('takes CPU busy as everything but idle and iowait, averaged over the CPUs', () => {
    const c = collection({ 'system.cpu.utilization': [...util(0, 0.5, 0.2, 0.3), ...util(1, 0.9, 0, 0.1)] });
    expect(cpuBusyPercent(c)).toBeCloseTo(20, 6);
    expect(cpuBusyPercent(collection({}))).toBeUndefined();
  });

  it('reads load per cpu, memory, swap and PSI some avg10/avg60 from the collection', () => {
    const c = collection({
      'system.cpu.load_average.1m': [{ attributes: {}, value: 3 }],
      'system.cpu.logical.count': [{ attributes: {}, value: 4 }],
      'system.memory.utilization': [
        { attributes: { 'system.memory.state': 'free' }, value: 0.3 },
        { attributes: { 'system.memory.state': 'used' }, value: 0.62 },
      ],
      'system.paging.usage': [
        { attributes: { 'system.paging.state': 'used', 'system.device': 'a' }, value: 100 },
        { attributes: { 'system.paging.state': 'free', 'system.device': 'a' }, value: 300 },
      ],
      'system.io.linux.pressure.10s': [
        { attributes: { 'system.pressure.stall_type': 'some' }, value: 0.125 },
        { attributes: { 'system.pressure.stall_type': 'full' }, value: 0.5 },
      ],
      'system.cpu.linux.pressure.1m': [{ attributes: { 'system.pressure.stall_type': 'some' }, value: 0.02 }],
      'system.cpu.linux.pressure.5m': [{ attributes: { 'system.pressure.stall_type': 'some' }, value: 0.9 }],
    });
    const h = hostReadings(c);
    expect(h.load_per_cpu).toBe(0.75);
    expect(h.mem_pct).toBeCloseTo(62, 9);
    expect(h.swap_pct).toBe(25);
    expect(h.psi).toEqual({ psi_io_some_avg10: 12.5, psi_cpu_some_avg60: 2 });
  });

  it('averages CPU over the last 2 minutes only', () => {
    const w = new CpuWindow();
    w.add(0, 100);
    w.add(60_000, 50);
    w.add(90_000, undefined);
    expect(w.average()).toBe(75);
    w.add(120_000, 0);
    expect(w.average()).toBe(25);
  });

  it("reads the data directory's free space with statfs", () => {
    const fake = (() => ({ blocks: 1000, bavail: 123 })) as unknown as typeof import('node:fs').statfsSync;
    expect(diskFreePercent('/x', fake)).toBeCloseTo(12.3, 9);
    expect(diskFreePercent('/definitely/not/here')).toBeUndefined();
    expect(diskFreePercent(process.cwd())).toBeGreaterThan(0);
  });

  it('uses the API error rate and p95 only from enough requests', () => {
    const host = { psi: {} };
    const few = quietInputs(host, undefined, undefined, { requests: MIN_API_REQUESTS - 1, serverErrorRate: 0.5, clientErrorRate: 0, latencyP95Ms: 900 });
    expect(few.api_error_pct).toBeUndefined();
    expect(few.api_p95_ms).toBeUndefined();
    const many = quietInputs(host, undefined, undefined, { requests: 120, serverErrorRate: 0.1, clientErrorRate: 0.5, latencyP95Ms: 12 });
    expect(many).toMatchObject({ api_error_pct: 10, api_p95_ms: 12, api_rps: 2, api_requests: 120 });
  });
});
