// CPU collector (/proc/stat): system.cpu.time, system.cpu.utilization, system.cpu.logical.count and
// system.processes.count and system.process.created. Also the shared, once-per-collection /proc/stat parse other collectors use.
import type { CollectContext, Collector, PointSink } from '../types.js';
import { parseCpuList } from './cpu-list.js';
import { type CpuWindow, CpuWindowTracker } from './cpu-window.js';
import { CPU_MODES, parseProcStat, type ProcStat } from './procstat-parser.js';

export type { CpuWindow } from './cpu-window.js';

/** Linux reports /proc/stat in USER_HZ ticks, fixed at 100 for user space on every architecture. */
export const USER_HZ = 100;

/** /proc/stat parsed once per collection (cpu, load and the perf frequency source share it). */
export function procStat(ctx: CollectContext): ProcStat {
  return ctx.memo('linux.procstat', () => parseProcStat(ctx.readProc('stat'), ctx.procPath('stat')));
}

/**
 * Online logical CPUs: sysfs devices/system/cpu/online when present (it also names CPUs that are
 * online but idle-hidden in containers), else the cpuN lines of /proc/stat.
 */
export function onlineCpus(ctx: CollectContext): readonly number[] {
  return ctx.memo('linux.online-cpus', () => {
    const relative = 'devices/system/cpu/online';
    const text = ctx.readSysOptional(relative);
    if (text === undefined) return procStat(ctx).cpus.map((c) => c.cpu);
    // The list rarely changes: parse it again only when its text does.
    if (text !== lastOnline.text) lastOnline = { text, cpus: parseCpuList(text, ctx.sysPath(relative)) };
    return lastOnline.cpus;
  });
}

let lastOnline: { text: string | undefined; cpus: readonly number[] } = { text: undefined, cpus: [] };

/**
 * Each CPU's activity over the window since this instance's previous call (see CpuWindowTracker).
 * Each user keeps its own instance so the window matches its own readings: the perf frequency
 * source divides cycles by busy time over exactly its counting window.
 */
export class CpuTicksWindow {
  private readonly tracker = new CpuWindowTracker(1 / USER_HZ);
  private lastCtx: CollectContext | undefined;
  private lastResult: ReadonlyMap<number, CpuWindow> = new Map();

  advance(ctx: CollectContext): ReadonlyMap<number, CpuWindow> {
    if (ctx !== this.lastCtx) {
      this.lastResult = this.tracker.next(procStat(ctx).cpus);
      this.lastCtx = ctx;
    }
    return this.lastResult;
  }
}

const WINDOW_KEY = 'linux.procstat.cpu-window';

/**
 * The per-CPU busy/total seconds the cpu collector measured in this collection (between this
 * collection and the previous one), or undefined when it has not run yet in this collection or
 * has no previous reading. The cpu collector runs before the frequency chain in
 * createHostCollectors, so a frequency source can rely on it there.
 */
export function cpuBusySeconds(ctx: CollectContext): ReadonlyMap<number, CpuWindow> | undefined {
  return ctx.memo(WINDOW_KEY, () => ({ window: undefined as ReadonlyMap<number, CpuWindow> | undefined })).window;
}

type Attrs = { readonly 'cpu.mode': string; readonly 'cpu.logical_number': number };

export class ProcStatCollector implements Collector {
  readonly name = 'cpu';
  private readonly window = new CpuTicksWindow();
  // Attribute objects are reused across collections: one allocation per CPU and mode, ever.
  private readonly attrs = new Map<number, readonly Attrs[]>();

  collect(ctx: CollectContext, sink: PointSink): void {
    const stat = procStat(ctx);
    for (const cpu of stat.cpus) {
      const attrs = this.attributes(cpu.cpu);
      for (let m = 0; m < cpu.modes; m++) sink.add('system.cpu.time', cpu.ticks[m] / USER_HZ, attrs[m]);
    }
    const windows = this.window.advance(ctx);
    ctx.memo(WINDOW_KEY, () => ({ window: windows })).window = windows;
    for (const cpu of stat.cpus) {
      const w = windows.get(cpu.cpu);
      if (!w) continue;
      const attrs = this.attributes(cpu.cpu);
      for (let m = 0; m < cpu.modes; m++) sink.add('system.cpu.utilization', w.modeSeconds[m] / w.totalSeconds, attrs[m]);
    }
    sink.add('system.cpu.logical.count', onlineCpus(ctx).length);
    if (stat.procsRunning !== undefined) sink.add('system.processes.count', stat.procsRunning, RUNNING);
    if (stat.procsBlocked !== undefined) sink.add('system.processes.count', stat.procsBlocked, BLOCKED);
    if (stat.processesCreated !== undefined) sink.add('system.process.created', stat.processesCreated);
  }

  private attributes(cpu: number): readonly Attrs[] {
    let list = this.attrs.get(cpu);
    if (!list) {
      list = CPU_MODES.map((mode) => ({ 'cpu.mode': mode, 'cpu.logical_number': cpu }));
      this.attrs.set(cpu, list);
    }
    return list;
  }
}

const RUNNING = { status: 'running' } as const;
const BLOCKED = { status: 'blocked' } as const;
