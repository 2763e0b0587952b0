// Degraded frequency paths are never silent: a synthetic PMU gives no frequency but is published as
// sysmon.cpu.frequency.source{source="perf/synthetic"} = 0 and listed by doctor with its reason.
import { afterEach, describe, expect, it } from 'vitest';
import { HostCollection } from '../../src/collectors/collect.js';
import { FrequencyCollector } from '../../src/collectors/frequency/index.js';
import type { FrequencySource } from '../../src/collectors/frequency/types.js';
import { onlineCpus } from '../../src/collectors/linux/procstat.js';
import { PerfFrequencySource } from '../../src/collectors/perf/source.js';
import { join } from 'node:path';
import type { LoadedConfig } from '../../src/config/load.js';
import { formatDoctorText } from '../../src/doctor/format.js';
import { degradedPaths, runDoctor } from '../../src/doctor/report.js';
import { FIXTURES } from '../collectors/fixture-host.js';
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

describe('a core idle for the whole window (IOReport)', () => {
  it('doctor states the decision whenever ioreport is a configured source: no point, not the lowest DVFS state', async () => {
    const root = join(FIXTURES, 'vm');
    const report = await runDoctor({
      config: {
        procfs: join(root, 'proc'),
        sysfs: join(root, 'sys'),
        rootfs: root,
        frequencySources: ['ioreport', 'sysctl'],
        origins: { frequencySources: 'file' } as LoadedConfig['origins'],
        exporter: ['none'],
        otlpEndpoint: 'http://127.0.0.1:1',
        otlpProtocol: 'grpc',
      },
      windowMs: 1,
      platform: 'darwin',
    });
    const note =
      'ioreport: core idle for the whole window (all residency in IDLE/DOWN/OFF): no point, as an idle core has no clock (not the lowest DVFS state, which macmon and oshi report)';
    expect(report.frequency.notes).toEqual([note]);
    expect(formatDoctorText(report)).toContain(`  note: ${note}`);
  });
});
