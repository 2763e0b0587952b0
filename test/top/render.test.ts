// `top`'s model and rendering from collections built by hand: what a user sees per CPU and in the
// summary line, in the full-screen and the plain view.
import { describe, expect, it } from 'vitest';
import type { MetricName } from '../../src/catalogue.js';
import type { Attributes, Collection, Point } from '../../src/collectors/types.js';
import { bar, cpuRanges, formatBytes, formatHz, sparkline } from '../../src/ui/format.js';
import { TopModel } from '../../src/ui/top-model.js';
import { renderTopLines, renderTopScreen } from '../../src/ui/top-render.js';

function collection(timeMs: number, points: [MetricName, number, Attributes?][]): Collection {
  const map = new Map<MetricName, Point[]>();
  for (const [name, value, attributes = {}] of points) map.set(name, [...(map.get(name) ?? []), { value, attributes }]);
  return { timeMs, points: map, errors: [] };
}

const util = (cpu: number, mode: string, v: number): [MetricName, number, Attributes] => [
  'system.cpu.utilization',
  v,
  { 'cpu.mode': mode, 'cpu.logical_number': cpu },
];
const freq = (cpu: number, hz: number, source: string): [MetricName, number, Attributes][] => [
  ['system.cpu.frequency', hz, { 'cpu.logical_number': cpu }],
  ['sysmon.cpu.frequency.source', 1, { 'cpu.logical_number': cpu, source }],
];

function sample(timeMs: number, hz0: number): Collection {
  return collection(timeMs, [
    util(0, 'user', 0.5),
    util(0, 'system', 0.25),
    util(0, 'idle', 0.2),
    util(0, 'iowait', 0.05),
    util(1, 'user', 0),
    util(1, 'idle', 1),
    ...freq(0, hz0, 'perf'),
    ['system.cpu.load_average.1m', 1.5],
    ['system.cpu.load_average.5m', 0.75],
    ['system.cpu.load_average.15m', 0.25],
    ['system.memory.usage', 2 * 1024 ** 3, { 'system.memory.state': 'used' }],
    ['system.memory.usage', 6 * 1024 ** 3, { 'system.memory.state': 'free' }],
    ['system.memory.limit', 8 * 1024 ** 3],
    ['system.paging.usage', 256 * 1024 ** 2, { 'system.paging.state': 'used', 'system.device': '/dev/sda2' }],
    ['system.paging.usage', 768 * 1024 ** 2, { 'system.paging.state': 'free', 'system.device': '/dev/sda2' }],
    ['system.cpu.linux.pressure.10s', 0.125, { 'system.pressure.stall_type': 'some' }],
    ['system.cpu.linux.pressure.1m', 0.5, { 'system.pressure.stall_type': 'some' }],
    ['system.io.linux.pressure.10s', 0.01, { 'system.pressure.stall_type': 'full' }],
  ]);
}

describe('top model', () => {
  it('derives busy, clock, source, history, load, memory, swap and PSI', () => {
    const model = new TopModel(3);
    model.next(sample(0, 1.2e9));
    model.next(sample(1000, 2.4e9));
    model.next(sample(2000, 3.6e9));
    const frame = model.next(sample(3000, 4.8e9));
    expect(frame.cpus).toEqual([
      { cpu: 0, busy: 0.75, hz: 4.8e9, source: 'perf', history: [2.4e9, 3.6e9, 4.8e9] },
      { cpu: 1, busy: 0, hz: undefined, source: undefined, history: [undefined, undefined, undefined] },
    ]);
    expect(frame.load).toEqual([1.5, 0.75, 0.25]);
    expect(frame.memory).toEqual({ used: 2 * 1024 ** 3, limit: 8 * 1024 ** 3 });
    expect(frame.swap).toEqual({ used: 256 * 1024 ** 2, total: 1024 ** 3 });
    expect(frame.psi).toEqual({ cpu: 0.125 });
  });
});

describe('top rendering', () => {
  it('draws bars, clocks with their source and a shared-scale sparkline', () => {
    const model = new TopModel();
    model.next(sample(Date.UTC(2025, 0, 1, 12, 0, 0), 1.2e9));
    const frame = model.next(sample(Date.UTC(2025, 0, 1, 12, 0, 1), 3.6e9));
    const screen = renderTopScreen(frame, { columns: 80, rows: 24 }).split('\n');
    expect(screen[0]).toBe(`otel-sysmon top  2 CPUs  12:00:01 UTC${' '.repeat(36)}q: quit`);
    expect(screen[1]).toBe('load 1.50 0.75 0.25   mem 2.00 GiB / 8.00 GiB (25.0%)   swap 256 MiB / 1.00 GiB   psi some10 cpu 12.5%'.slice(0, 80));
    // 80 columns: 39 fixed, bar 16, history 21.
    expect(screen[3]).toBe(`${' CPU'}  ${'busy'.padEnd(16)}  ${'      %'}  ${'clock'.padEnd(11)}  ${'source'.padEnd(9)}  history`);
    expect(screen[4]).toBe(`   0  ${'█'.repeat(12)}${' '.repeat(4)}    75.0%  3.600 GHz    perf       ▁█`);
    expect(screen[5]).toBe(`   1  ${' '.repeat(16)}     0.0%  —            —`);
  });

  it('says how many CPUs did not fit', () => {
    const frame = new TopModel().next(sample(0, 2e9));
    expect(renderTopScreen(frame, { columns: 80, rows: 5 })).toContain('… 1 more CPUs (enlarge the terminal)');
  });

  it('prints plain lines for pipes', () => {
    const frame = new TopModel().next(sample(Date.UTC(2025, 0, 1), 2.5e9));
    expect(renderTopLines(frame)).toBe(
      '2025-01-01T00:00:00.000Z load 1.50 0.75 0.25 | mem 2.00 GiB / 8.00 GiB (25.0%) | swap 256 MiB / 1.00 GiB | psi some10 cpu 12.5%\n' +
        'cpu0 busy 75.0% clock 2.500 GHz (perf)\n' +
        'cpu1 busy 0.0% clock no clock\n',
    );
  });
});

describe('top: disks, network and temperature', () => {
  const hostIo = (timeMs: number, diskRead: number, netRx: number): Collection =>
    collection(timeMs, [
      ...freq(0, 2e9, 'sysfs'),
      ...freq(1, 3e9, 'sysfs'),
      ['system.disk.io', diskRead, { 'system.device': 'sda', 'disk.io.direction': 'read' }],
      ['system.disk.io', diskRead / 2, { 'system.device': 'nvme0n1', 'disk.io.direction': 'read' }],
      ['system.disk.io', 1000, { 'system.device': 'sda', 'disk.io.direction': 'write' }],
      ['system.network.io', netRx, { 'network.interface.name': 'eth0', 'network.io.direction': 'receive' }],
      ['system.network.io', 5000, { 'network.interface.name': 'eth0', 'network.io.direction': 'transmit' }],
      ['hw.temperature', 71, { 'hw.id': 'coretemp_coretemp.0_temp1', 'hw.name': 'coretemp Package id 0', 'hw.type': 'temperature' }],
      ['hw.temperature', 93, { 'hw.id': 'coretemp_coretemp.0_temp3', 'hw.name': 'coretemp Core 1', 'hw.type': 'temperature' }],
    ]);

  it('rates over all disks and interfaces between frames; the hottest sensor next to the average clock', () => {
    const model = new TopModel();
    const first = model.next(hostIo(0, 1_000_000, 2_000_000));
    expect(first.io).toEqual({ disk: undefined, network: undefined });
    const frame = model.next(hostIo(2000, 1_000_000 + 2 * 1024 ** 2, 2_000_000 + 4 * 1024 ** 2));
    expect(frame.io).toEqual({ disk: { read: 1.5 * 1024 ** 2, write: 0 }, network: { receive: 2 * 1024 ** 2, transmit: 0 } });
    expect(frame.hottest).toEqual({ name: 'coretemp Core 1', celsius: 93 });
    const screen = renderTopScreen(frame, { columns: 160, rows: 24 }).split('\n');
    expect(screen[2]).toBe('disk read 1.50 MiB/s write 0 B/s   net rx 2.00 MiB/s tx 0 B/s   clock avg 2.500 GHz, hottest 93.0 °C (coretemp Core 1)');
    expect(renderTopLines(frame).split('\n')[0]).toContain(' | disk read 1.50 MiB/s write 0 B/s | net rx 2.00 MiB/s tx 0 B/s | clock avg 2.500 GHz, hottest 93.0 °C');
  });

  it('a counter that falls (a disk removed) gives no rate for that frame; no sensors, no temperature', () => {
    const model = new TopModel();
    model.next(hostIo(0, 5_000_000, 1));
    expect(model.next(hostIo(1000, 1_000, 1)).io.disk).toBeUndefined();
    const bare = new TopModel().next(sample(0, 2e9));
    expect(bare.hottest).toBeUndefined();
    expect(renderTopScreen(bare, { columns: 80, rows: 24 }).split('\n')[2]).toBe('');
  });
});

describe('formatters', () => {
  it('format clocks, sizes and CPU lists', () => {
    expect(formatHz(2_596_146_000)).toBe('2.596 GHz');
    expect(formatHz(800e6)).toBe('800 MHz');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(25.5 * 1024 ** 3)).toBe('25.5 GiB');
    expect(cpuRanges([3, 0, 1, 2, 5, 7, 8])).toBe('0-3,5,7-8');
  });
  it('draw bars with eighth cells and sparklines with gaps', () => {
    expect(bar(0.5, 4)).toBe('██  ');
    expect(bar(0.0625, 2)).toBe('▏ ');
    expect(bar(2, 3)).toBe('███');
    expect(sparkline([1, 2, undefined, 8])).toBe('▁▂ █');
    expect(sparkline([5, 5])).toBe('██');
    expect(sparkline([undefined])).toBe(' ');
  });
});
