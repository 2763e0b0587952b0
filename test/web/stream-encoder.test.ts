// The event stream's encoding: after the full state, metrics whose series are unchanged travel as
// values only (as the name alone when the values are unchanged too, as a list lined up with the
// previous message's metrics when all are), frequency reports and collector errors only when they
// changed, and the page's decoder gets back exactly the state the agent had.
import { describe, expect, it } from 'vitest';
import type { MetricName } from '../../src/catalogue.js';
import type { CpuFrequencyReport } from '../../src/collectors/frequency/types.js';
import type { Attributes, Collection, CollectorError, Point } from '../../src/collectors/types.js';
import { decodeMessage, type LiveMessage } from '../../src/web/client/stream.js';
import { liveState, type LiveSources, StreamEncoder } from '../../src/web/live-state.js';

const cpu0: Attributes = { 'cpu.logical_number': 0 };
const cpu1: Attributes = { 'cpu.logical_number': 1 };

function collection(timeMs: number, points: Record<string, Point[]>, errors: CollectorError[] = []): Collection {
  return { timeMs, points: new Map(Object.entries(points) as [MetricName, Point[]][]), errors };
}

function sources(current: () => Collection, frequency: () => CpuFrequencyReport[] = () => []): LiveSources {
  return {
    intervalMs: 1000,
    resource: { 'host.name': 'test-host' },
    latest: current,
    frequencyReports: frequency,
    builds: () => undefined,
    scheduler: () => undefined,
    assessment: () => undefined,
    now: () => 1_700_000_000_000,
  };
}

describe('StreamEncoder and decodeMessage', () => {
  it('sends values only for unchanged series, the full metric when its series change, and decodes to the agent state', () => {
    let c = collection(1000, {
      'system.cpu.frequency': [{ attributes: cpu0, value: 2.4e9 }, { attributes: cpu1, value: 2.5e9 }],
      'system.cpu.load_average.1m': [{ attributes: {}, value: 0.5 }],
    });
    const s = sources(() => c);
    const encoder = new StreamEncoder(s);
    let page = decodeMessage(JSON.parse(encoder.full()) as LiveMessage, undefined);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));

    // Same attribute objects: values only.
    c = collection(2000, {
      'system.cpu.frequency': [{ attributes: cpu0, value: 2.6e9 }, { attributes: cpu1, value: 2.7e9 }],
      'system.cpu.load_average.1m': [{ attributes: c.points.get('system.cpu.load_average.1m' as MetricName)![0].attributes, value: 0.75 }],
    });
    const second = JSON.parse(encoder.next()) as LiveMessage;
    expect(second.resource).toBeUndefined();
    // The same metrics in the same order: values lined up with the previous message's metrics, no names.
    expect(second.metrics).toBeUndefined();
    expect(second.values).toEqual([[2.6e9, 2.7e9], [0.75]]);
    page = decodeMessage(second, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));

    // A CPU went away (its series changed): that metric goes out whole; a new metric too.
    c = collection(3000, {
      'system.cpu.frequency': [{ attributes: cpu1, value: 2.8e9 }],
      'system.memory.limit': [{ attributes: {}, value: 1024 }],
    });
    const third = JSON.parse(encoder.next()) as LiveMessage;
    expect(third.values).toBeUndefined();
    expect(third.metrics!.map((m) => (typeof m === 'string' ? 'name' : 'values' in m ? 'values' : 'full'))).toEqual(['full', 'full']);
    page = decodeMessage(third, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));
  });

  it('sends the name alone for unchanged values, and frequency reports and errors only when they change', () => {
    const load: Attributes = {};
    const report = (hz: number): CpuFrequencyReport => ({ cpu: 0, source: 'cpuinfo', hz, tried: [{ source: 'cpuinfo', ok: true, reason: 'cpu MHz from /proc/cpuinfo' }], series: 'cpuinfo' });
    let reports = [report(2.4e9)];
    let c = collection(1000, {
      'system.cpu.frequency': [{ attributes: cpu0, value: 2.4e9 }],
      'system.cpu.load_average.1m': [{ attributes: load, value: 0.5 }],
    });
    const s = sources(
      () => c,
      () => reports,
    );
    const encoder = new StreamEncoder(s);
    let page = decodeMessage(JSON.parse(encoder.full()) as LiveMessage, undefined);

    // The frequency unchanged (a new but equal report), the load changed.
    reports = [report(2.4e9)];
    c = collection(2000, {
      'system.cpu.frequency': [{ attributes: cpu0, value: 2.4e9 }],
      'system.cpu.load_average.1m': [{ attributes: load, value: 0.75 }],
    });
    const second = JSON.parse(encoder.next()) as LiveMessage;
    expect(second.values).toEqual([0, [0.75]]);
    expect(second.frequency).toBeUndefined();
    expect(second.errors).toBeUndefined();
    page = decodeMessage(second, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));
    expect(page.frequency[0].hz).toBe(2.4e9);

    // The frequency changed, a collector failed: both go out.
    reports = [report(2.6e9)];
    c = collection(
      3000,
      {
        'system.cpu.frequency': [{ attributes: cpu0, value: 2.6e9 }],
        'system.cpu.load_average.1m': [{ attributes: load, value: 0.75 }],
      },
      [{ collector: 'pressure', message: 'no /proc/pressure' }],
    );
    const third = JSON.parse(encoder.next()) as LiveMessage;
    expect(third.values).toEqual([[2.6e9], 0]);
    expect(third.frequency?.[0].hz).toBe(2.6e9);
    expect(third.errors).toEqual([{ collector: 'pressure', message: 'no /proc/pressure' }]);
    page = decodeMessage(third, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));

    // The collector recovered: the empty error list goes out, so the page stops showing the failure.
    c = collection(4000, {
      'system.cpu.frequency': [{ attributes: cpu0, value: 2.6e9 }],
      'system.cpu.load_average.1m': [{ attributes: load, value: 0.75 }],
    });
    const fourth = JSON.parse(encoder.next()) as LiveMessage;
    expect(fourth.errors).toEqual([]);
    expect(fourth.frequency).toBeUndefined();
    page = decodeMessage(fourth, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));

    // A metric appears: the list goes out by name, unchanged ones as the name alone.
    c = collection(5000, {
      'system.cpu.frequency': [{ attributes: cpu0, value: 2.6e9 }],
      'system.cpu.load_average.1m': [{ attributes: load, value: 0.8 }],
      'system.memory.limit': [{ attributes: {}, value: 1024 }],
    });
    const fifth = JSON.parse(encoder.next()) as LiveMessage;
    expect(fifth.metrics).toEqual([
      'system.cpu.frequency',
      { name: 'system.cpu.load_average.1m', values: [0.8] },
      { name: 'system.memory.limit', unit: 'By', type: 'sum', monotonic: false, points: [{ attributes: {}, value: 1024 }] },
    ]);
    page = decodeMessage(fifth, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));
  });
});
