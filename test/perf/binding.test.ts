// The real koffi perf_event_open binding on this kernel. A software event (TASK_CLOCK for this
// thread, allowed at perf_event_paranoid 2) must track a busy loop's CPU time; hardware events
// must either work or fail with a reason the perf source passes on (ENOENT in a VM without vPMU).
import { describe, expect, it } from 'vitest';
import {
  encodePerfEventAttr,
  PERF_ATTR_SIZE,
  PERF_COUNT_SW_TASK_CLOCK,
  PERF_TYPE_SOFTWARE,
  perfEventOpenSyscallNumber,
} from '../../native-bindings/linux-perf.js';
import { HostCollection } from '../../src/collectors/collect.js';
import { FrequencyCollector } from '../../src/collectors/frequency/index.js';
import { onlineCpus } from '../../src/collectors/linux/procstat.js';
import { explainPerfErrno } from '../../src/collectors/perf/errno.js';
import { CYCLES } from '../../src/collectors/perf/events.js';
import { PerfFrequencySource } from '../../src/collectors/perf/source.js';
import { isErrno, koffiPerfSyscalls, type PerfCount } from '../../src/collectors/perf/syscalls.js';

const linux = process.platform === 'linux' && perfEventOpenSyscallNumber() !== undefined;

function spin(ms: number): void {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
}

/** Busy-loops until this process used `ms` of CPU (the machine is shared), at most 10 s of wall time. */
function spinCpu(ms: number): void {
  const start = process.cpuUsage();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    spin(10);
    const used = process.cpuUsage(start);
    if (used.user + used.system >= ms * 1000) return;
  }
}

describe('perf_event_attr encoding', () => {
  it('lays out type, size, config, read_format and flag bits at the kernel offsets', () => {
    const buf = encodePerfEventAttr({ type: 1, config: 9, excludeKernel: true, excludeHv: true });
    expect(buf.length).toBe(PERF_ATTR_SIZE);
    expect(buf.readUInt32LE(0)).toBe(1);
    expect(buf.readUInt32LE(4)).toBe(112);
    expect(buf.readBigUInt64LE(8)).toBe(9n);
    expect(buf.readBigUInt64LE(32)).toBe(3n); // TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING
    expect(buf.readBigUInt64LE(40)).toBe(0b110_0001n); // disabled, exclude_kernel, exclude_hv
    expect(buf.subarray(48).every((b) => b === 0)).toBe(true);
  });

  it('knows the syscall number of the supported architectures', () => {
    expect(perfEventOpenSyscallNumber('x64')).toBe(298);
    expect(perfEventOpenSyscallNumber('arm64')).toBe(241);
    expect(perfEventOpenSyscallNumber('ia32')).toBeUndefined();
  });
});

describe.runIf(linux)('koffi perf binding on this kernel', () => {
  it('counts this thread’s CPU time with TASK_CLOCK within 20 % of process.cpuUsage', () => {
    const sys = koffiPerfSyscalls();
    const fd = sys.open({ type: PERF_TYPE_SOFTWARE, config: PERF_COUNT_SW_TASK_CLOCK, excludeKernel: false }, -1, 0);
    if (isErrno(fd)) throw new Error(explainPerfErrno(fd.errno, 'task-clock').reason);
    try {
      expect(sys.reset(fd)).toBeUndefined();
      expect(sys.enable(fd)).toBeUndefined();
      const before = process.cpuUsage();
      spinCpu(300);
      const used = process.cpuUsage(before);
      const count = sys.read(fd) as PerfCount;
      expect(isErrno(count)).toBe(false);
      const counterSeconds = count.value / 1e9;
      const cpuSeconds = (used.user + used.system) / 1e6;
      expect(cpuSeconds).toBeGreaterThan(0.2);
      expect(Math.abs(counterSeconds / cpuSeconds - 1)).toBeLessThan(0.2);
      // Software events are never multiplexed: running equals enabled, which spans the counted time.
      expect(count.running).toBe(count.enabled);
      expect(count.enabled).toBeGreaterThan(count.value * 0.99);

      expect(sys.disable(fd)).toBeUndefined();
      const stopped = (sys.read(fd) as PerfCount).value;
      spin(50);
      expect((sys.read(fd) as PerfCount).value).toBe(stopped);
      expect(sys.reset(fd)).toBeUndefined();
      expect((sys.read(fd) as PerfCount).value).toBe(0);
    } finally {
      sys.close(fd);
    }
  });

  it('reports the errno of a closed descriptor instead of throwing', () => {
    const sys = koffiPerfSyscalls();
    expect(sys.read(987_654)).toEqual({ errno: 9 });
    expect(sys.enable(987_654)).toEqual({ errno: 9 });
  });

  it('opens hardware cycles or reports why not, and the perf source passes that reason on', async () => {
    const sys = koffiPerfSyscalls();
    const probe = sys.open(CYCLES.attr, 0);
    const source = new PerfFrequencySource({ explicit: false });
    const chain = new FrequencyCollector([source], onlineCpus);
    const host = new HostCollection({ paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/', live: true }, collectors: [chain] });
    try {
      const first = await host.collect();
      expect(first.errors).toEqual([]);
      const [cpu0] = chain.lastReports();
      expect(cpu0.cpu).toBe(0);
      if (isErrno(probe)) {
        // This VM: no hardware counters. The reason names the errno and what it means.
        expect(cpu0.hz).toBeNull();
        expect(cpu0.tried[0].reason).toContain(explainPerfErrno(probe.errno, 'cycles').reason.split(':')[0]);
        if (probe.errno === 2) expect(cpu0.tried[0].reason).toContain('no hardware PMU (VM without vPMU)');
      } else {
        sys.close(probe);
        expect(cpu0.tried[0].reason).toMatch(/^warming up/);
        spin(300);
        await host.collect();
        expect(chain.lastReports()[0].tried[0].reason).toMatch(/perf|busy/);
      }
    } finally {
      host.close();
    }
  });
});
