// `doctor` on fixture trees: the JSON shape, per-CPU source and reasons, perf privileges with an
// injected syscall layer, container/VM detection, PSI, swap and the OTLP endpoint check.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_LIVE_REASON } from '../../src/collectors/perf/source.js';
import type { LoadedConfig } from '../../src/config/load.js';
import { parseCapEff } from '../../src/doctor/capabilities.js';
import { checkTcp, endpointAddress } from '../../src/doctor/endpoint.js';
import { detectContainer, detectVm } from '../../src/doctor/environment.js';
import { formatDoctorText } from '../../src/doctor/format.js';
import { type DoctorConfig, runDoctor } from '../../src/doctor/report.js';
import { copyFixture, FIXTURES } from '../collectors/fixture-host.js';
import { FakePmu } from '../perf/fake-pmu.js';

const NOMINAL_NOTE =
  'cpu MHz from /proc/cpuinfo: the fixed boot-time nominal clock (no APERF/MPERF and no cpufreq, so the kernel prints cpu_khz)';

function configFor(root: string, overrides: Partial<DoctorConfig> = {}): DoctorConfig {
  return {
    procfs: join(root, 'proc'),
    sysfs: join(root, 'sys'),
    rootfs: root,
    frequencySources: ['sysfs', 'perf', 'cpuinfo'],
    origins: { frequencySources: 'default' } as LoadedConfig['origins'],
    exporter: ['otlp'],
    otlpEndpoint: 'http://127.0.0.1:1',
    otlpProtocol: 'grpc',
    ...overrides,
  };
}

/** An agent root: /.dockerenv, a docker cgroup and a status without CAP_PERFMON. */
function selfRootFixture(root: string): string {
  const self = join(root, 'self-root');
  mkdirSync(join(self, 'proc/self'), { recursive: true });
  writeFileSync(join(self, '.dockerenv'), '');
  writeFileSync(join(self, 'proc/self/cgroup'), `0::/system.slice/docker-${'ab12'.repeat(16)}.scope\n`);
  writeFileSync(join(self, 'proc/self/status'), 'Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t00000000a80425fb\n');
  return self;
}

let server: Server;
let openPort = 0;
beforeAll(async () => {
  server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  openPort = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('doctor report on a VM fixture', () => {
  it('has the issue’s JSON shape and a reason for every source not used', async () => {
    const vm = copyFixture('vm');
    try {
      const self = selfRootFixture(vm.root);
      mkdirSync(join(vm.root, 'sys/class/dmi/id'), { recursive: true });
      writeFileSync(join(vm.root, 'sys/class/dmi/id/sys_vendor'), 'QEMU\n');
      writeFileSync(join(vm.root, 'sys/class/dmi/id/product_name'), 'Standard PC (Q35 + ICH9, 2009)\n');
      mkdirSync(join(vm.root, 'proc/sys/kernel'), { recursive: true });
      writeFileSync(join(vm.root, 'proc/sys/kernel/perf_event_paranoid'), '2\n');
      const report = await runDoctor({
        config: configFor(vm.root, { otlpEndpoint: `http://127.0.0.1:${openPort}` }),
        windowMs: 20,
        selfRoot: self,
        perfSyscalls: () => new FakePmu({ events: [], missing: 13 }),
      });
      const doc = JSON.parse(JSON.stringify(report));
      expect(Object.keys(doc)).toEqual(expect.arrayContaining(['frequency', 'perf', 'psi', 'export']));
      expect(doc.frequency.cpus.length).toBe(2);
      for (const cpu of doc.frequency.cpus) {
        expect(Object.keys(cpu)).toEqual(['cpu', 'source', 'hz', 'tried', 'series']);
        expect(cpu.series).toBe('cpuinfo/nominal');
        expect(cpu.source).toBe('cpuinfo');
        expect(cpu.hz).toBe(2_596_146_000);
        expect(cpu.tried).toEqual([
          { source: 'sysfs', ok: false, reason: 'no cpufreq directory (VM or cpufreq driver not loaded)' },
          { source: 'perf', ok: false, reason: NOT_LIVE_REASON },
          { source: 'cpuinfo', ok: true, reason: NOMINAL_NOTE, variant: 'nominal' },
        ]);
      }
      expect(doc.frequency.degraded).toEqual([{ series: 'cpuinfo/nominal', used: true, cpus: [0, 1], reason: NOMINAL_NOTE }]);
      // perf: EACCES with the three fixes, capabilities decoded from CapEff.
      expect(doc.perf.usable).toBe(false);
      expect(doc.perf.paranoid).toBe(2);
      expect(doc.perf.capabilities).toEqual({ capEff: '00000000a80425fb', CAP_PERFMON: false, CAP_SYS_ADMIN: false });
      expect(doc.perf.reason).toMatch(/^EACCES opening cycles: not permitted \(perf_event_paranoid=2, no CAP_PERFMON/);
      expect(doc.perf.fixes.join('\n')).toMatch(/CAP_PERFMON[\s\S]*sysctl kernel\.perf_event_paranoid=0[\s\S]*docker run --cap-add PERFMON/);
      expect(doc.perf.events[0]).toMatchObject({ event: 'cpu-clock (software)', ok: false });
      // Host: container from the agent's root, VM from DMI and the CPUID flag, no swap, PSI without irq.
      expect(doc.host.live).toBe(false);
      expect(doc.host.tree).toMatchObject({ kind: 'other', live: false });
      expect(doc.host.tree.reason).toMatch(/^another tree: .*sys is not a mounted sysfs$/);
      expect(doc.host.container).toMatchObject({ detected: true, runtime: 'docker' });
      expect(doc.host.vm).toEqual({
        detected: true,
        hypervisor: 'QEMU',
        evidence: ['DMI says "QEMU"', 'CPUID hypervisor flag in /proc/cpuinfo'],
      });
      expect(doc.psi).toMatchObject({ available: true, resources: { cpu: true, memory: true, io: true, irq: false } });
      expect(doc.export).toMatchObject({ exporters: ['otlp'], protocol: 'grpc', reachable: true });
      const text = formatDoctorText(report);
      expect(text).toContain('cpu0-1  2.596 GHz from cpuinfo');
      expect(text).toContain(`    cpuinfo/nominal = 1  cpu0-1: ${NOMINAL_NOTE}`);
      expect(text).toContain(`    perf     cpu0-1     not used: ${NOT_LIVE_REASON}`);
      expect(text).toContain('fix: or allow unprivileged counters: sysctl kernel.perf_event_paranoid=0');
      expect(text).toContain(`OTLP grpc http://127.0.0.1:${openPort}: reachable`);
    } finally {
      vm.cleanup();
    }
  });
});

describe('doctor report on other fixtures', () => {
  it('64-CPU host: the disks, filesystems, interfaces, sensors and throttle counters found, and mounts skipped with why', async () => {
    const root = join(FIXTURES, 'host-64cpu');
    const report = await runDoctor({ config: configFor(root, { exporter: ['none'] }), windowMs: 5, selfRoot: root, platform: 'linux' });
    expect(report.sources.disks.devices).toEqual(['nvme0n1', 'sda', 'dm-0', 'md0']);
    expect(report.sources.network.interfaces).toEqual(['eno1', 'eno2', 'docker0', 'br-4f2e1d']);
    expect(report.sources.sensors.sensors).toHaveLength(10);
    expect(report.sources.sensors.sensors[1]).toEqual({ id: 'coretemp_coretemp.0_temp1', name: 'coretemp Package id 0' });
    expect(report.sources.throttle.reason).toBe('64 CPU(s) with thermal_throttle counters (cpu0-63)');
    // The fixture has no directory behind /boot/efi under its root: skipped with the errno, not an error.
    expect(report.sources.filesystems.skipped).toContainEqual({ mountPoint: '/boot/efi', fsType: 'vfat', reason: 'statfs failed: ENOENT' });
    expect(report.sources.filesystems.skipped).toContainEqual({ mountPoint: '/proc', fsType: 'proc', reason: 'type excluded' });
    const text = formatDoctorText(report);
    expect(text).toContain('  disks: nvme0n1, sda, dm-0, md0');
    expect(text).toContain('    skipped /boot/efi (vfat): statfs failed: ENOENT');
  });

  it('a VM: no sensors and no throttle counters, each with the reason', async () => {
    const root = join(FIXTURES, 'vm');
    const report = await runDoctor({ config: configFor(root, { exporter: ['none'] }), windowMs: 5, selfRoot: root, platform: 'linux' });
    expect(report.sources.sensors).toEqual({ sensors: [], reason: expect.stringMatching(/^no hwmon temperature sensor/) });
    expect(report.sources.throttle).toEqual({ cpus: [], reason: expect.stringMatching(/^no cpuN\/thermal_throttle directory/) });
    expect(report.sources.disks.devices).toEqual(['vda']);
  });

  it('bare metal: sysfs per CPU, offline CPU absent, perf method from the injected PMU', async () => {
    const root = join(FIXTURES, 'bare-metal');
    const report = await runDoctor({
      config: configFor(root, { exporter: ['prometheus'] }),
      windowMs: 20,
      selfRoot: join(FIXTURES, 'bare-metal'),
      perfSyscalls: () => new FakePmu({ events: ['cycles', 'ref-cycles'] }),
    });
    expect(report.frequency.cpus.map((c) => [c.cpu, c.source])).toEqual([
      [0, 'sysfs'],
      [1, 'sysfs'],
      [3, 'sysfs'],
    ]);
    expect(report.frequency.cpus.every((c) => c.hz! > 0 && c.tried.length === 1)).toBe(true);
    expect(report.perf).toMatchObject({ usable: true, method: 'ref-cycles', reason: 'perf counters work: nominal × Δcycles/Δref-cycles' });
    expect(report.export).toEqual({
      exporters: ['prometheus'],
      endpoint: null,
      protocol: null,
      reachable: null,
      reason: 'no OTLP exporter configured (--exporter prometheus)',
    });
    expect(report.host.container.detected).toBe(false);
    expect(report.psi.resources.irq).toBe(true);
  });

  it('no PSI and no swap: both say why and what it costs', async () => {
    const noPsi = await runDoctor({ config: configFor(join(FIXTURES, 'no-psi'), { exporter: ['none'] }), windowMs: 1, perfSyscalls: () => new FakePmu({ events: [] }) });
    expect(noPsi.psi.available).toBe(false);
    expect(noPsi.psi.reason).toMatch(/pressure does not exist \(kernel older than 4\.20, built without CONFIG_PSI, or booted with psi=0\): system\.\{cpu,memory,io,irq\}\.linux\.pressure\.\* have no points$/);
    const noSwap = await runDoctor({ config: configFor(join(FIXTURES, 'no-swap'), { exporter: ['none'] }), windowMs: 1, perfSyscalls: () => new FakePmu({ events: [] }) });
    expect(noSwap.host.swap).toEqual({
      present: false,
      devices: [],
      reason: 'no swap device configured: system.paging.usage has no points (add swap with mkswap/swapon if builds need it)',
    });
  });
});

describe('doctor off Linux', () => {
  it('says PSI, swap and perf are Linux only instead of blaming the kernel', async () => {
    const report = await runDoctor({ config: configFor(join(FIXTURES, 'vm'), { exporter: ['none'] }), windowMs: 1, platform: 'darwin' });
    expect(report.psi).toEqual({ available: false, resources: {}, reason: 'PSI is a Linux kernel feature (this is darwin)' });
    expect(report.host.swap.reason).toBe('not checked: /proc/swaps is Linux only (this is darwin)');
    expect(report.perf).toMatchObject({ usable: false, reason: 'perf counters are Linux only (this is darwin)' });
  });
});

describe('doctor building blocks', () => {
  it('decodes CapEff bits 38 (CAP_PERFMON) and 21 (CAP_SYS_ADMIN)', () => {
    expect(parseCapEff('CapEff:\t000001ffffffffff\n')).toEqual({ capEff: '000001ffffffffff', CAP_PERFMON: true, CAP_SYS_ADMIN: true });
    expect(parseCapEff('CapEff:\t0000004000000000\n')).toMatchObject({ CAP_PERFMON: true, CAP_SYS_ADMIN: false });
    expect(parseCapEff('CapEff:\t0000000000200000\n')).toMatchObject({ CAP_PERFMON: false, CAP_SYS_ADMIN: true });
    expect(parseCapEff('Name: x\n')).toBeUndefined();
  });

  it('detects podman, kubernetes and a bare host', () => {
    expect(detectContainer({ dockerenv: false, containerenv: true, cgroup: '0::/\n', mountinfo: '' })).toMatchObject({ detected: true, runtime: 'podman' });
    expect(
      detectContainer({ dockerenv: false, containerenv: false, cgroup: '0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-' + 'f'.repeat(64) + '.scope\n', mountinfo: '' }),
    ).toMatchObject({ detected: true, runtime: 'kubernetes' });
    expect(detectContainer({ dockerenv: false, containerenv: false, cgroup: '0::/init.scope\n', mountinfo: '' })).toEqual({ detected: false, runtime: null, evidence: [] });
  });

  it('names hypervisors from DMI and stays quiet on bare metal', () => {
    expect(detectVm({ sysVendor: 'VMware, Inc.\n', productName: 'VMware7,1\n' }).hypervisor).toBe('VMware');
    expect(detectVm({ sysVendor: 'Microsoft Corporation', productName: 'Virtual Machine' }).hypervisor).toBe('Hyper-V');
    expect(detectVm({ sysVendor: 'Dell Inc.', productName: 'PowerEdge R750', cpuinfo: 'flags\t: fpu vme\n' })).toEqual({ detected: false, hypervisor: null, evidence: [] });
    expect(detectVm({ hvVmmPresent: 1 })).toEqual({ detected: true, hypervisor: null, evidence: ['sysctl kern.hv_vmm_present=1'] });
  });

  it('reports a refused OTLP endpoint with what to do', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(endpointAddress(`http://127.0.0.1:${port}/v1/metrics`)).toEqual({ host: '127.0.0.1', port });
    expect(endpointAddress('https://collector.example')).toEqual({ host: 'collector.example', port: 443 });
    const check = await checkTcp('127.0.0.1', port, 2000);
    expect(check).toEqual({
      reachable: false,
      reason: `ECONNREFUSED connecting to 127.0.0.1:${port}: nothing listens there: start the OpenTelemetry Collector or point --otlp-endpoint at it`,
    });
  });
});
