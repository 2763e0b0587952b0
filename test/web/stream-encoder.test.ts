// The event stream's encoding: after the full state, metrics whose series are unchanged travel as
// values only, and the page's decoder gets back exactly the state the agent had.
import { describe, expect, it } from 'vitest';
import type { MetricName } from '../../src/catalogue.js';
import type { Attributes, Collection, Point } from '../../src/collectors/types.js';
import { decodeMessage, type LiveMessage } from '../../src/web/client/stream.js';
import { liveState, type LiveSources, StreamEncoder } from '../../src/web/live-state.js';

const cpu0: Attributes = { 'cpu.logical_number': 0 };
const cpu1: Attributes = { 'cpu.logical_number': 1 };

function collection(timeMs: number, points: Record<string, Point[]>): Collection {
  return { timeMs, points: new Map(Object.entries(points) as [MetricName, Point[]][]), errors: [] };
}

function sources(current: () => Collection): LiveSources {
  return {
    intervalMs: 1000,
    resource: { 'host.name': 'test-host' },
    latest: current,
    frequencyReports: () => [],
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
    expect(second.metrics).toEqual([
      { name: 'system.cpu.frequency', values: [2.6e9, 2.7e9] },
      { name: 'system.cpu.load_average.1m', values: [0.75] },
    ]);
    page = decodeMessage(second, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));

    // A CPU went away (its series changed): that metric goes out whole; a new metric too.
    c = collection(3000, {
      'system.cpu.frequency': [{ attributes: cpu1, value: 2.8e9 }],
      'system.memory.limit': [{ attributes: {}, value: 1024 }],
    });
    const third = JSON.parse(encoder.next()) as LiveMessage;
    expect(third.metrics.map((m) => ('values' in m ? 'values' : 'full'))).toEqual(['full', 'full']);
    page = decodeMessage(third, page);
    expect(page).toEqual(JSON.parse(JSON.stringify(liveState(s))));
  });
});
