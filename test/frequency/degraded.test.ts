// Degraded frequency paths are never silent: a synthetic PMU gives no frequency but is published as
// sysmon.cpu.frequency.source{source="perf/synthetic"} = 0 and listed by doctor with its reason.
import { afterEach, describe, expect, it } from 'vitest';
import { HostCollection } from '../../src/collectors/collect.js';
import { FrequencyCollector } from '../../src/collectors/frequency/index.js';
import type { FrequencySource } from '../../src/collectors/frequency/types.js';
import { onlineCpus } from '../../src/collectors/linux/procstat.js';
import { PerfFrequencySource } from '../../src/collectors/perf/source.js';
import { degradedPaths } from '../../src/doctor/report.js';
import { FakeHost, FakePmu } from '../perf/fake-pmu.js';

const hosts: FakeHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.cleanup();
});

describe('synthetic PMU', () => {
  it('no frequency point, source perf/synthetic = 0 per CPU, and doctor lists it with the reason', async () => {
    const pmu = new FakePmu({ events: ['cycles'], synthetic: true });
    const host = new FakeHost(2);
    hosts.push(host);
    const chain = new FrequencyCollector([new PerfFrequencySource({ explicit: true }, { syscalls: () => pmu }) as FrequencySource], onlineCpus);
    const collection = new HostCollection({ paths: host.paths, collectors: [chain] });
    await collection.collect();
    const activity = (cpu: number) => ({ hz: 3.2e9, busy: [1, 0.4][cpu] });
    pmu.advance(10, activity);
    host.advance(10, activity);
    const c = await collection.collect();
    expect(c.points.get('system.cpu.frequency') ?? []).toEqual([]);
    expect(c.points.get('sysmon.cpu.frequency.source')).toEqual([
      { attributes: { 'cpu.logical_number': 0, source: 'perf/synthetic' }, value: 0 },
      { attributes: { 'cpu.logical_number': 1, source: 'perf/synthetic' }, value: 0 },
    ]);
    const [path] = degradedPaths(chain.lastReports());
    expect(path).toMatchObject({ series: 'perf/synthetic', used: false, cpus: [0, 1] });
    expect(path.reason).toMatch(/^synthetic PMU: every core reads 1\.000 GHz/);
    collection.close();
  });
});
