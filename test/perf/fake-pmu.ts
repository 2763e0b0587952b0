// A scripted PMU behind the PerfSyscalls interface, and a host tree whose /proc/stat advances with
// it, so the perf estimate is tested end to end without hardware counters.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PerfEventName } from '../../src/collectors/perf/events.js';
import type { Errno, PerfCount, PerfEventAttr, PerfSyscalls } from '../../src/collectors/perf/syscalls.js';
import type { HostPaths } from '../../src/collectors/types.js';

export const MSR_TYPE = 9;

/** What one CPU does during an advance: its clock, busy fraction and share of time on the PMU. */
export interface CpuActivity {
  readonly hz: number;
  readonly busy: number;
  /** Fraction of enabled time the counters were scheduled on the PMU (multiplexing); 1 by default. */
  readonly running?: number;
}

interface Counter {
  readonly cpu: number;
  readonly event: PerfEventName;
  enabled: boolean;
  value: number;
  timeEnabled: number;
  timeRunning: number;
}

export interface FakePmuOptions {
  /** Events that open; others fail with `missing` (ENOENT by default). */
  readonly events: readonly PerfEventName[];
  readonly missing?: number;
  readonly nominalHz?: number;
  /** Emulated counters tick at a constant 1 GHz whether the CPU runs or not (QEMU + HVF). */
  readonly synthetic?: boolean;
}

export class FakePmu implements PerfSyscalls {
  readonly counters = new Map<number, Counter>();
  readonly opened: { event: PerfEventName; cpu: number }[] = [];
  private nextFd = 100;
  private readonly nominal: number;

  constructor(private readonly options: FakePmuOptions) {
    this.nominal = options.nominalHz ?? 2.5e9;
  }

  private identify(attr: PerfEventAttr): PerfEventName | undefined {
    const config = Number(attr.config);
    if (attr.type === 0) return config === 0 ? 'cycles' : config === 9 ? 'ref-cycles' : undefined;
    if (attr.type === MSR_TYPE) return (['tsc', 'aperf', 'mperf'] as const)[config];
    return undefined;
  }

  open(attr: PerfEventAttr, cpu: number): number | Errno {
    const event = this.identify(attr);
    if (!event || !this.options.events.includes(event)) return { errno: this.options.missing ?? 2 };
    const fd = this.nextFd++;
    this.counters.set(fd, { cpu, event, enabled: !(attr.disabled ?? true), value: 0, timeEnabled: 0, timeRunning: 0 });
    this.opened.push({ event, cpu });
    return fd;
  }

  enable(fd: number): void {
    this.counters.get(fd)!.enabled = true;
  }

  disable(fd: number): void {
    this.counters.get(fd)!.enabled = false;
  }

  reset(fd: number): void {
    this.counters.get(fd)!.value = 0;
  }

  read(fd: number): PerfCount | Errno {
    const c = this.counters.get(fd);
    if (!c) return { errno: 9 };
    return { value: Math.round(c.value), enabled: Math.round(c.timeEnabled), running: Math.round(c.timeRunning) };
  }

  close(fd: number): void {
    this.counters.delete(fd);
  }

  /** Lets `seconds` pass with each CPU doing what `activity(cpu)` says. */
  advance(seconds: number, activity: (cpu: number) => CpuActivity): void {
    for (const c of this.counters.values()) {
      if (!c.enabled) continue;
      const a = activity(c.cpu);
      const share = a.running ?? 1;
      c.timeEnabled += seconds * 1e9;
      c.timeRunning += seconds * 1e9 * share;
      c.value += this.increase(c.event, a, seconds) * share;
    }
  }

  private increase(event: PerfEventName, a: CpuActivity, seconds: number): number {
    if (this.options.synthetic && event === 'cycles') return 1e9 * seconds;
    switch (event) {
      case 'cycles':
      case 'aperf':
        return a.hz * a.busy * seconds;
      case 'ref-cycles':
      case 'mperf':
        return this.nominal * a.busy * seconds;
      case 'tsc':
        return this.nominal * seconds;
    }
  }
}

/** A host tree with per-CPU /proc/stat ticks that advance with the fake PMU. */
export class FakeHost {
  readonly root = mkdtempSync(join(tmpdir(), 'sysmon-perf-'));
  readonly paths: HostPaths;
  private readonly ticks: { user: number; idle: number; steal: number }[];

  constructor(
    readonly cpus: number,
    options: { cpuinfo?: string; msrEvents?: readonly string[]; paranoid?: number } = {},
  ) {
    this.paths = { procfs: join(this.root, 'proc'), sysfs: join(this.root, 'sys'), rootfs: this.root, live: false };
    this.ticks = Array.from({ length: cpus }, () => ({ user: 1000, idle: 5000, steal: 0 }));
    this.write('sys/devices/system/cpu/online', cpus === 1 ? '0\n' : `0-${cpus - 1}\n`);
    this.write('proc/sys/kernel/perf_event_paranoid', `${options.paranoid ?? 2}\n`);
    this.write('proc/cpuinfo', options.cpuinfo ?? '');
    if (options.msrEvents) {
      this.write('sys/bus/event_source/devices/msr/type', `${MSR_TYPE}\n`);
      const configs: Record<string, string> = { tsc: 'event=0x00', aperf: 'event=0x01', mperf: 'event=0x02' };
      for (const e of options.msrEvents) this.write(`sys/bus/event_source/devices/msr/events/${e}`, `${configs[e]}\n`);
    }
    this.writeStat();
  }

  write(relative: string, text: string): void {
    const file = join(this.root, relative);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }

  /** Advances /proc/stat by `seconds` (USER_HZ 100) with each CPU's busy and steal fractions. */
  advance(seconds: number, activity: (cpu: number) => { busy: number; steal?: number }): void {
    this.ticks.forEach((t, cpu) => {
      const a = activity(cpu);
      const total = Math.round(seconds * 100);
      const busy = Math.round(a.busy * total);
      const steal = Math.round((a.steal ?? 0) * total);
      t.user += busy;
      t.steal += steal;
      t.idle += total - busy - steal;
    });
    this.writeStat();
  }

  private writeStat(): void {
    const lines = this.ticks.map((t, cpu) => `cpu${cpu} ${t.user} 0 0 ${t.idle} 0 0 0 ${t.steal} 0 0`);
    this.write('proc/stat', ['cpu  0 0 0 0 0 0 0 0 0 0', ...lines, 'procs_running 1', 'procs_blocked 0', ''].join('\n'));
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
