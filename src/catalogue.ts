// THE metric catalogue: every metric otel-sysmon emits is declared here once. Instruments, the
// Prometheus endpoint, `snapshot`, the README table and the dashboard/alert tests derive from it.

export type InstrumentKind = 'Counter' | 'UpDownCounter' | 'Gauge' | 'Histogram';

export interface MetricDef {
  readonly name: string;
  readonly instrument: InstrumentKind;
  readonly unit: string;
  readonly description: string;
  readonly attributes: readonly string[];
  /** Where the value comes from on Linux (or the subsystem that produces it). */
  readonly source: string;
  /** The module that produces the points, relative to the repository root. */
  readonly module: string;
}

const PROCSTAT = 'src/collectors/linux/procstat.ts';
const MEMINFO = 'src/collectors/linux/meminfo.ts';
const SWAPS = 'src/collectors/linux/swaps.ts';
const VMSTAT = 'src/collectors/linux/vmstat.ts';
const LOADAVG = 'src/collectors/linux/loadavg.ts';
const PRESSURE = 'src/collectors/linux/pressure.ts';
const FREQUENCY = 'src/collectors/frequency/index.ts';
const BUILDS = 'src/builds/metrics.ts';
const QUIET = 'src/scheduler/quiet.ts';
const SCHEDULER = 'src/scheduler/metrics.ts';
const EXPORT = 'src/telemetry/spool-metrics.ts';

export const CATALOGUE = [
  // --- CPU -------------------------------------------------------------------------------------
  {
    name: 'system.cpu.time',
    instrument: 'Counter',
    unit: 's',
    description: 'Seconds each logical CPU spent in each mode.',
    attributes: ['cpu.mode', 'cpu.logical_number'],
    source: '/proc/stat cpuN ticks / USER_HZ',
    module: PROCSTAT,
  },
  {
    name: 'system.cpu.utilization',
    instrument: 'Gauge',
    unit: '1',
    description: 'Fraction of time each logical CPU spent in each mode since the previous collection.',
    attributes: ['cpu.mode', 'cpu.logical_number'],
    source: 'delta of /proc/stat between collections',
    module: PROCSTAT,
  },
  {
    name: 'system.cpu.frequency',
    instrument: 'Gauge',
    unit: 'Hz',
    description: 'Current frequency of each logical CPU, from the first trustworthy source.',
    attributes: ['cpu.logical_number'],
    source: 'sysfs cpufreq, perf counters, IOReport, /proc/cpuinfo',
    module: FREQUENCY,
  },
  {
    name: 'sysmon.cpu.frequency.source',
    instrument: 'Gauge',
    unit: '{source}',
    description: 'Which frequency source served each logical CPU (value 1 for the source in use).',
    attributes: ['cpu.logical_number', 'source'],
    source: 'frequency source chain',
    module: FREQUENCY,
  },
  {
    name: 'system.cpu.logical.count',
    instrument: 'UpDownCounter',
    unit: '{cpu}',
    description: 'Number of logical CPUs online.',
    attributes: [],
    source: '/sys/devices/system/cpu/online',
    module: PROCSTAT,
  },
  {
    name: 'system.process.count',
    instrument: 'UpDownCounter',
    unit: '{process}',
    description: 'Processes running or blocked on I/O.',
    attributes: ['process.state'],
    source: '/proc/stat procs_running, procs_blocked',
    module: PROCSTAT,
  },
  {
    name: 'system.cpu.load_average.1m',
    instrument: 'Gauge',
    unit: '{thread}',
    description: 'Load average over 1 minute.',
    attributes: [],
    source: '/proc/loadavg',
    module: LOADAVG,
  },
  {
    name: 'system.cpu.load_average.5m',
    instrument: 'Gauge',
    unit: '{thread}',
    description: 'Load average over 5 minutes.',
    attributes: [],
    source: '/proc/loadavg',
    module: LOADAVG,
  },
  {
    name: 'system.cpu.load_average.15m',
    instrument: 'Gauge',
    unit: '{thread}',
    description: 'Load average over 15 minutes.',
    attributes: [],
    source: '/proc/loadavg',
    module: LOADAVG,
  },
  {
    name: 'sysmon.cpu.load_average.adjusted.1m',
    instrument: 'Gauge',
    unit: '{thread}',
    description: '1-minute load plus tasks blocked on I/O (the Linux analogue of dsynth adjusted load).',
    attributes: [],
    source: '/proc/loadavg + /proc/stat procs_blocked',
    module: LOADAVG,
  },
  // --- Memory and paging -----------------------------------------------------------------------
  {
    name: 'system.memory.usage',
    instrument: 'UpDownCounter',
    unit: 'By',
    description: 'Memory in use by state; used = MemTotal - MemAvailable.',
    attributes: ['system.memory.state'],
    source: '/proc/meminfo',
    module: MEMINFO,
  },
  {
    name: 'system.memory.utilization',
    instrument: 'Gauge',
    unit: '1',
    description: 'Fraction of memory by state.',
    attributes: ['system.memory.state'],
    source: '/proc/meminfo',
    module: MEMINFO,
  },
  {
    name: 'system.memory.limit',
    instrument: 'UpDownCounter',
    unit: 'By',
    description: 'Total memory available to the system (MemTotal).',
    attributes: [],
    source: '/proc/meminfo MemTotal',
    module: MEMINFO,
  },
  {
    name: 'system.memory.linux.available',
    instrument: 'UpDownCounter',
    unit: 'By',
    description: 'Memory available for starting new applications without swapping (MemAvailable).',
    attributes: [],
    source: '/proc/meminfo MemAvailable',
    module: MEMINFO,
  },
  {
    name: 'system.paging.usage',
    instrument: 'UpDownCounter',
    unit: 'By',
    description: 'Swap space used and free, per swap device.',
    attributes: ['system.paging.state', 'system.device'],
    source: '/proc/swaps',
    module: SWAPS,
  },
  {
    name: 'system.paging.utilization',
    instrument: 'Gauge',
    unit: '1',
    description: 'Fraction of swap space used and free, per swap device.',
    attributes: ['system.paging.state', 'system.device'],
    source: '/proc/swaps',
    module: SWAPS,
  },
  {
    name: 'system.paging.operations',
    instrument: 'Counter',
    unit: '{operation}',
    description: 'Pages swapped in and out.',
    attributes: ['system.paging.direction'],
    source: '/proc/vmstat pswpin, pswpout',
    module: VMSTAT,
  },
  {
    name: 'system.paging.faults',
    instrument: 'Counter',
    unit: '{fault}',
    description: 'Page faults by type; minor = pgfault - pgmajfault.',
    attributes: ['system.paging.fault.type'],
    source: '/proc/vmstat pgfault, pgmajfault',
    module: VMSTAT,
  },
  // --- Pressure stall information --------------------------------------------------------------
  {
    name: 'system.linux.psi.total_time',
    instrument: 'Counter',
    unit: 's',
    description: 'Total time tasks stalled on a resource (PSI total=).',
    attributes: ['psi.resource', 'psi.stall'],
    source: '/proc/pressure/{cpu,memory,io,irq} total',
    module: PRESSURE,
  },
  {
    name: 'system.linux.psi.pressure',
    instrument: 'Gauge',
    unit: '1',
    description: 'Share of time tasks stalled on a resource, averaged over a window (PSI avgN / 100).',
    attributes: ['psi.resource', 'psi.stall', 'psi.window'],
    source: '/proc/pressure/{cpu,memory,io,irq} avg10/avg60/avg300',
    module: PRESSURE,
  },
  // --- Agent self-observation ------------------------------------------------------------------
  {
    name: 'sysmon.collector.errors',
    instrument: 'Counter',
    unit: '{error}',
    description: 'Collections in which a collector failed (missing, unreadable or malformed source).',
    attributes: ['collector'],
    source: 'collection loop',
    module: 'src/collectors/collect.ts',
  },
  // --- Disks -----------------------------------------------------------------------------------
  {
    name: 'system.disk.io',
    instrument: 'Counter',
    unit: 'By',
    description: 'Bytes read from and written to each disk (whole devices by default).',
    attributes: ['system.device', 'disk.io.direction'],
    source: '/proc/diskstats sectors read/written × 512',
    module: 'src/collectors/linux/diskstats.ts',
  },
  {
    name: 'system.disk.operations',
    instrument: 'Counter',
    unit: '{operation}',
    description: 'Reads and writes completed by each disk.',
    attributes: ['system.device', 'disk.io.direction'],
    source: '/proc/diskstats reads/writes completed',
    module: 'src/collectors/linux/diskstats.ts',
  },
  {
    name: 'system.disk.io_time',
    instrument: 'Counter',
    unit: 's',
    description: 'Time each disk had I/O in flight (wall time; parallel requests counted once).',
    attributes: ['system.device'],
    source: '/proc/diskstats field 13 (ms doing I/O)',
    module: 'src/collectors/linux/diskstats.ts',
  },
  {
    name: 'system.disk.operation_time',
    instrument: 'Counter',
    unit: 's',
    description: 'Sum of the time each read and write took (parallel requests each count).',
    attributes: ['system.device', 'disk.io.direction'],
    source: '/proc/diskstats fields 7 and 11 (ms reading/writing)',
    module: 'src/collectors/linux/diskstats.ts',
  },
  {
    name: 'system.disk.merged',
    instrument: 'Counter',
    unit: '{operation}',
    description: 'Adjacent reads and writes merged into one disk access.',
    attributes: ['system.device', 'disk.io.direction'],
    source: '/proc/diskstats reads/writes merged',
    module: 'src/collectors/linux/diskstats.ts',
  },
  // --- Filesystems -----------------------------------------------------------------------------
  {
    name: 'system.filesystem.usage',
    instrument: 'UpDownCounter',
    unit: 'By',
    description: 'Space of each mounted filesystem by state (used, free to unprivileged users, reserved for root).',
    attributes: ['system.device', 'system.filesystem.state', 'system.filesystem.type', 'system.filesystem.mode', 'system.filesystem.mountpoint'],
    source: 'host mountinfo + statfs (bounded per mount)',
    module: 'src/collectors/linux/filesystem.ts',
  },
  {
    name: 'system.filesystem.utilization',
    instrument: 'Gauge',
    unit: '1',
    description: 'Fraction of each filesystem in use, as df shows it: used / (used + free), reserved blocks left out.',
    attributes: ['system.device', 'system.filesystem.type', 'system.filesystem.mode', 'system.filesystem.mountpoint'],
    source: 'host mountinfo + statfs (bounded per mount)',
    module: 'src/collectors/linux/filesystem.ts',
  },
  {
    name: 'system.filesystem.limit',
    instrument: 'UpDownCounter',
    unit: 'By',
    description: 'Total size of each mounted filesystem.',
    attributes: ['system.device', 'system.filesystem.type', 'system.filesystem.mode', 'system.filesystem.mountpoint'],
    source: 'host mountinfo + statfs (bounded per mount)',
    module: 'src/collectors/linux/filesystem.ts',
  },
  // --- Network interfaces ----------------------------------------------------------------------
  {
    name: 'system.network.io',
    instrument: 'Counter',
    unit: 'By',
    description: 'Bytes received and transmitted per network interface.',
    attributes: ['network.interface.name', 'network.io.direction'],
    source: '/proc/net/dev (the host namespace: <procfs>/1/net/dev under another root)',
    module: 'src/collectors/linux/netdev.ts',
  },
  {
    name: 'system.network.packet.count',
    instrument: 'Counter',
    unit: '{packet}',
    description: 'Packets received and transmitted per network interface (semconv names the interface system.device here).',
    attributes: ['system.device', 'network.io.direction'],
    source: '/proc/net/dev packets',
    module: 'src/collectors/linux/netdev.ts',
  },
  {
    name: 'system.network.packet.dropped',
    instrument: 'Counter',
    unit: '{packet}',
    description: 'Packets dropped without an error per network interface.',
    attributes: ['network.interface.name', 'network.io.direction'],
    source: '/proc/net/dev drop',
    module: 'src/collectors/linux/netdev.ts',
  },
  {
    name: 'system.network.errors',
    instrument: 'Counter',
    unit: '{error}',
    description: 'Receive and transmit errors per network interface.',
    attributes: ['network.interface.name', 'network.io.direction'],
    source: '/proc/net/dev errs',
    module: 'src/collectors/linux/netdev.ts',
  },
  // --- Uptime, processes created, shared and slab memory ---------------------------------------
  {
    name: 'system.uptime',
    instrument: 'Gauge',
    unit: 's',
    description: 'Time since the system booted.',
    attributes: [],
    source: '/proc/uptime',
    module: 'src/collectors/linux/uptime.ts',
  },
  {
    name: 'system.process.created',
    instrument: 'Counter',
    unit: '{process}',
    description: 'Processes and threads created since boot (forks).',
    attributes: [],
    source: '/proc/stat processes',
    module: 'src/collectors/linux/procstat.ts',
  },
  {
    name: 'system.memory.linux.shared',
    instrument: 'UpDownCounter',
    unit: 'By',
    description: 'Shared memory (mostly tmpfs), as free(1) shows it.',
    attributes: [],
    source: '/proc/meminfo Shmem',
    module: 'src/collectors/linux/meminfo.ts',
  },
  {
    name: 'system.memory.linux.slab.usage',
    instrument: 'UpDownCounter',
    unit: 'By',
    description: 'Kernel slab memory, reclaimable and unreclaimable.',
    attributes: ['system.memory.linux.slab.state'],
    source: '/proc/meminfo SReclaimable, SUnreclaim',
    module: 'src/collectors/linux/meminfo.ts',
  },
  // --- The agent's own process -----------------------------------------------------------------
  {
    name: 'process.cpu.time',
    instrument: 'Counter',
    unit: 's',
    description: "CPU time the agent's own process used, by mode (user, system).",
    attributes: ['cpu.mode'],
    source: 'process.cpuUsage() (getrusage)',
    module: 'src/collectors/process-self.ts',
  },
  {
    name: 'process.memory.usage',
    instrument: 'UpDownCounter',
    unit: 'By',
    description: "Resident memory (RSS) of the agent's own process.",
    attributes: [],
    source: 'process.memoryUsage.rss()',
    module: 'src/collectors/process-self.ts',
  },
  {
    name: 'process.thread.count',
    instrument: 'UpDownCounter',
    unit: '{thread}',
    description: "Threads of the agent's own process.",
    attributes: [],
    source: '/proc/self/stat num_threads',
    module: 'src/collectors/process-self.ts',
  },
  {
    name: 'process.unix.file_descriptor.count',
    instrument: 'UpDownCounter',
    unit: '{file_descriptor}',
    description: "Open file descriptors of the agent's own process (semconv's successor of process.open_file_descriptor.count).",
    attributes: [],
    source: '/proc/self/fd (macOS: /dev/fd)',
    module: 'src/collectors/process-self.ts',
  },
  // --- Why a clock dropped: thermal throttling and temperatures --------------------------------
  {
    name: 'sysmon.cpu.thermal_throttle.count',
    instrument: 'Counter',
    unit: '{event}',
    description: 'Times each logical CPU was thermally throttled, at core or package scope (package counts repeat on every CPU of the package).',
    attributes: ['cpu.logical_number', 'scope'],
    source: 'sysfs cpuN/thermal_throttle/{core,package}_throttle_count',
    module: 'src/collectors/linux/thermal-throttle.ts',
  },
  {
    name: 'sysmon.cpu.thermal_throttle.time',
    instrument: 'Counter',
    unit: 's',
    description: 'Time each logical CPU spent thermally throttled, at core or package scope, where the kernel reports it.',
    attributes: ['cpu.logical_number', 'scope'],
    source: 'sysfs cpuN/thermal_throttle/{core,package}_throttle_total_time_ms',
    module: 'src/collectors/linux/thermal-throttle.ts',
  },
  {
    name: 'hw.temperature',
    instrument: 'Gauge',
    unit: 'Cel',
    description: 'Temperature of each hwmon sensor (coretemp, k10temp, zenpower, cpu_thermal, ...).',
    attributes: ['hw.id', 'hw.name', 'hw.type', 'hw.sensor_location'],
    source: 'sysfs class/hwmon/hwmonN/tempK_input (+ tempK_label, name)',
    module: 'src/collectors/linux/hwmon.ts',
  },
  // --- Builds (CICD semantic conventions where they fit) ---------------------------------------
  {
    name: 'cicd.pipeline.run.duration',
    instrument: 'Histogram',
    unit: 's',
    description: 'Duration of finished builds (started to finished).',
    attributes: ['cicd.pipeline.result'],
    source: 'build tracker',
    module: BUILDS,
  },
  {
    name: 'cicd.pipeline.run.active',
    instrument: 'UpDownCounter',
    unit: '{run}',
    description: 'Builds queued (pending) or running (executing).',
    attributes: ['cicd.pipeline.run.state'],
    source: 'build tracker',
    module: BUILDS,
  },
  {
    name: 'cicd.worker.count',
    instrument: 'UpDownCounter',
    unit: '{count}',
    description: 'Build workers by state.',
    attributes: ['cicd.worker.state'],
    source: 'build tracker',
    module: BUILDS,
  },
  {
    name: 'sysmon.build.cpu.time',
    instrument: 'Counter',
    unit: 's',
    description: 'CPU-seconds consumed by finished builds.',
    attributes: [],
    source: 'build tracker (kernel per-process times, or integrated snapshots)',
    module: BUILDS,
  },
  {
    name: 'sysmon.build.count',
    instrument: 'Counter',
    unit: '{build}',
    description: 'Finished builds by outcome.',
    attributes: ['outcome'],
    source: 'build tracker',
    module: BUILDS,
  },
  {
    name: 'sysmon.build.rate',
    instrument: 'Gauge',
    unit: '{build}/h',
    description: 'Builds finished (built + failed) per hour since the run started (dsynth Pkg/hour).',
    attributes: [],
    source: 'build tracker',
    module: BUILDS,
  },
  {
    name: 'sysmon.build.impulse',
    instrument: 'Gauge',
    unit: '{build}/h',
    description: 'Builds finished per hour over the last 10 minutes (dsynth Impulse).',
    attributes: [],
    source: 'build tracker',
    module: BUILDS,
  },
  {
    name: 'sysmon.build.queue',
    instrument: 'UpDownCounter',
    unit: '{build}',
    description: 'Builds remaining in the current run.',
    attributes: [],
    source: 'build tracker',
    module: BUILDS,
  },
  {
    name: 'sysmon.workers.dynamic_max',
    instrument: 'Gauge',
    unit: '{worker}',
    description: 'Dynamic max-workers hint from load, swap and memory (dsynth DynMax).',
    attributes: [],
    source: 'build tracker',
    module: BUILDS,
  },
  {
    name: 'sysmon.workers.max',
    instrument: 'Gauge',
    unit: '{worker}',
    description: 'Configured maximum build workers (--max-workers, M in the dynamic max-workers formula).',
    attributes: [],
    source: 'configuration',
    module: BUILDS,
  },
  // --- Quiet windows and lease scheduler -------------------------------------------------------
  {
    name: 'sysmon.quiet.score',
    instrument: 'Gauge',
    unit: '{score}',
    description: 'Host quietness score, 0 (panic) to 100 (idle).',
    attributes: [],
    source: 'quiet assessment',
    module: QUIET,
  },
  {
    name: 'sysmon.quiet.state',
    instrument: 'Gauge',
    unit: '{state}',
    description: 'Current quiet state (value 1 for the state in force: QUIET, NORMAL, BUSY, PANIC).',
    attributes: ['state'],
    source: 'quiet assessment',
    module: QUIET,
  },
  {
    name: 'sysmon.scheduler.capacity.limit',
    instrument: 'Gauge',
    unit: '{unit}',
    description: 'Lease capacity available in cost units after headroom and the current assessment.',
    attributes: [],
    source: 'lease scheduler',
    module: SCHEDULER,
  },
  {
    name: 'sysmon.scheduler.capacity.used',
    instrument: 'Gauge',
    unit: '{unit}',
    description: 'Cost units held by active leases.',
    attributes: [],
    source: 'lease scheduler',
    module: SCHEDULER,
  },
  {
    name: 'sysmon.scheduler.leases.active',
    instrument: 'UpDownCounter',
    unit: '{lease}',
    description: 'Leases currently granted and not released or expired.',
    attributes: [],
    source: 'lease scheduler',
    module: SCHEDULER,
  },
  {
    name: 'sysmon.scheduler.decisions',
    instrument: 'Counter',
    unit: '{decision}',
    description: 'Lease decisions by result and reason.',
    attributes: ['result', 'reason'],
    source: 'lease scheduler',
    module: SCHEDULER,
  },
  // --- Export pipeline -------------------------------------------------------------------------
  {
    name: 'sysmon.export.sent',
    instrument: 'Counter',
    unit: '{request}',
    description: 'OTLP export requests accepted by the collector (replayed: sent from the durable spool).',
    attributes: ['replayed'],
    source: 'export pipeline',
    module: EXPORT,
  },
  {
    name: 'sysmon.export.failed',
    instrument: 'Counter',
    unit: '{request}',
    description: 'OTLP export attempts that failed, by reason (unavailable, timeout, throttled, rejected).',
    attributes: ['reason'],
    source: 'export pipeline',
    module: EXPORT,
  },
  {
    name: 'sysmon.export.dropped',
    instrument: 'Counter',
    unit: '{request}',
    description: 'OTLP export requests given up on, by reason (non_retryable, spool_bytes, spool_age, spool_error).',
    attributes: ['reason'],
    source: 'export pipeline',
    module: EXPORT,
  },
  {
    name: 'sysmon.export.rejected_points',
    instrument: 'Counter',
    unit: '{point}',
    description: 'Data points the collector rejected in OTLP partial-success responses.',
    attributes: [],
    source: 'export pipeline',
    module: EXPORT,
  },
  {
    name: 'sysmon.export.spool.bytes',
    instrument: 'UpDownCounter',
    unit: 'By',
    description: 'Bytes of serialized OTLP requests waiting in the durable spool.',
    attributes: [],
    source: 'durable spool',
    module: EXPORT,
  },
  {
    name: 'sysmon.export.spool.requests',
    instrument: 'UpDownCounter',
    unit: '{request}',
    description: 'OTLP requests waiting in the durable spool.',
    attributes: [],
    source: 'durable spool',
    module: EXPORT,
  },
] as const satisfies readonly MetricDef[];

export type MetricName = (typeof CATALOGUE)[number]['name'];

const BY_NAME: ReadonlyMap<string, MetricDef> = new Map(CATALOGUE.map((m) => [m.name, m]));

export function metricDef(name: MetricName): MetricDef {
  const def = BY_NAME.get(name);
  if (!def) throw new Error(`metric ${name} is not in the catalogue`);
  return def;
}

export function findMetric(name: string): MetricDef | undefined {
  return BY_NAME.get(name);
}

/** OTLP data type a metric arrives as: Counter/UpDownCounter are Sums, Gauges are Gauges. */
export function otlpType(def: MetricDef): 'sum' | 'gauge' | 'histogram' {
  if (def.instrument === 'Gauge') return 'gauge';
  if (def.instrument === 'Histogram') return 'histogram';
  return 'sum';
}

export function isMonotonic(def: MetricDef): boolean {
  return def.instrument === 'Counter';
}
