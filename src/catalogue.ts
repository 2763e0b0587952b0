// THE metric catalogue: every metric otel-sysmon emits is declared here once. Instruments, the
// Prometheus endpoint, `snapshot`, the README table and the dashboard/alert tests derive from it.

export type InstrumentKind = 'Counter' | 'UpDownCounter' | 'Gauge' | 'Histogram';

/** The semantic conventions release the catalogue follows, declared as schema_url on resource and scope. */
export const SEMCONV_VERSION = '1.44.0';
export const SCHEMA_URL = `https://opentelemetry.io/schemas/${SEMCONV_VERSION}`;

export interface MetricDef {
  readonly name: string;
  readonly instrument: InstrumentKind;
  readonly unit: string;
  readonly description: string;
  readonly attributes: readonly string[];
  /** 'int' where semantic conventions (or the Collector) send whole numbers: bytes, counts. Default double. */
  readonly valueType?: 'int' | 'double';
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
    description:
      'Which frequency source served each logical CPU: value 1 for the source in use, named <source>/<variant> on a degraded path (sysfs/legacy, ioreport/cluster, cpuinfo/nominal); value 0 for a degraded source refused (perf/synthetic).',
    attributes: ['cpu.logical_number', 'source'],
    source: 'frequency source chain',
    module: FREQUENCY,
  },
  {
    name: 'system.cpu.logical.count',
    instrument: 'UpDownCounter',
    unit: '{cpu}',
    valueType: 'int',
    description: 'Number of logical CPUs online.',
    attributes: [],
    source: '/sys/devices/system/cpu/online',
    module: PROCSTAT,
  },
  {
    name: 'system.processes.count',
    instrument: 'UpDownCounter',
    unit: '{processes}',
    valueType: 'int',
    description: 'Tasks runnable (running) and blocked on I/O (blocked), as the Collector\'s processes scraper reports them.',
    attributes: ['status'],
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
    description: 'dsynth adjusted load, Linux analogue: the larger of the 1-minute load and the runnable plus blocked tasks now (Linux load already counts blocked tasks).',
    attributes: [],
    source: '/proc/loadavg + /proc/stat procs_running, procs_blocked',
    module: LOADAVG,
  },
  // --- Memory and paging -----------------------------------------------------------------------
  {
    name: 'system.memory.usage',
    instrument: 'UpDownCounter',
    unit: 'By',
    valueType: 'int',
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
    valueType: 'int',
    description: 'Total memory available to the system (MemTotal).',
    attributes: [],
    source: '/proc/meminfo MemTotal',
    module: MEMINFO,
  },
  {
    name: 'system.memory.linux.available',
    instrument: 'UpDownCounter',
    unit: 'By',
    valueType: 'int',
    description: 'Memory available for starting new applications without swapping (MemAvailable).',
    attributes: [],
    source: '/proc/meminfo MemAvailable',
    module: MEMINFO,
  },
  {
    name: 'system.paging.usage',
    instrument: 'UpDownCounter',
    unit: 'By',
    valueType: 'int',
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
    valueType: 'int',
    description: 'Pages swapped in and out (swap operations are major faults).',
    attributes: ['system.paging.direction', 'system.paging.fault.type'],
    source: '/proc/vmstat pswpin, pswpout',
    module: VMSTAT,
  },
  {
    name: 'system.paging.faults',
    instrument: 'Counter',
    unit: '{fault}',
    valueType: 'int',
    description: 'Page faults by type; minor = pgfault - pgmajfault.',
    attributes: ['system.paging.fault.type'],
    source: '/proc/vmstat pgfault, pgmajfault',
    module: VMSTAT,
  },
  // --- Pressure stall information (the Collector's pressure scraper names) ---------------------
  {
    name: 'system.cpu.linux.pressure.total',
    instrument: 'Counter',
    unit: 's',
    description: 'Total system CPU pressure (delayed execution due to a lack of resource).',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/cpu total (µs)',
    module: PRESSURE,
  },
  {
    name: 'system.cpu.linux.pressure.10s',
    instrument: 'Gauge',
    unit: '1',
    description: 'Average system CPU pressure (delayed execution due to a lack of resource) over the last 10 seconds.',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/cpu avg10 / 100',
    module: PRESSURE,
  },
  {
    name: 'system.cpu.linux.pressure.1m',
    instrument: 'Gauge',
    unit: '1',
    description: 'Average system CPU pressure (delayed execution due to a lack of resource) over the last 1 minute.',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/cpu avg60 / 100',
    module: PRESSURE,
  },
  {
    name: 'system.cpu.linux.pressure.5m',
    instrument: 'Gauge',
    unit: '1',
    description: 'Average system CPU pressure (delayed execution due to a lack of resource) over the last 5 minutes.',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/cpu avg300 / 100',
    module: PRESSURE,
  },
  {
    name: 'system.memory.linux.pressure.total',
    instrument: 'Counter',
    unit: 's',
    description: 'Total system memory pressure (delayed execution due to a lack of resource).',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/memory total (µs)',
    module: PRESSURE,
  },
  {
    name: 'system.memory.linux.pressure.10s',
    instrument: 'Gauge',
    unit: '1',
    description: 'Average system memory pressure (delayed execution due to a lack of resource) over the last 10 seconds.',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/memory avg10 / 100',
    module: PRESSURE,
  },
  {
    name: 'system.memory.linux.pressure.1m',
    instrument: 'Gauge',
    unit: '1',
    description: 'Average system memory pressure (delayed execution due to a lack of resource) over the last 1 minute.',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/memory avg60 / 100',
    module: PRESSURE,
  },
  {
    name: 'system.memory.linux.pressure.5m',
    instrument: 'Gauge',
    unit: '1',
    description: 'Average system memory pressure (delayed execution due to a lack of resource) over the last 5 minutes.',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/memory avg300 / 100',
    module: PRESSURE,
  },
  {
    name: 'system.io.linux.pressure.total',
    instrument: 'Counter',
    unit: 's',
    description: 'Total system IO pressure (delayed execution due to a lack of resource).',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/io total (µs)',
    module: PRESSURE,
  },
  {
    name: 'system.io.linux.pressure.10s',
    instrument: 'Gauge',
    unit: '1',
    description: 'Average system IO pressure (delayed execution due to a lack of resource) over the last 10 seconds.',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/io avg10 / 100',
    module: PRESSURE,
  },
  {
    name: 'system.io.linux.pressure.1m',
    instrument: 'Gauge',
    unit: '1',
    description: 'Average system IO pressure (delayed execution due to a lack of resource) over the last 1 minute.',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/io avg60 / 100',
    module: PRESSURE,
  },
  {
    name: 'system.io.linux.pressure.5m',
    instrument: 'Gauge',
    unit: '1',
    description: 'Average system IO pressure (delayed execution due to a lack of resource) over the last 5 minutes.',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/io avg300 / 100',
    module: PRESSURE,
  },
  {
    name: 'system.irq.linux.pressure.total',
    instrument: 'Counter',
    unit: 's',
    description: 'Total system IRQ pressure (delayed execution due to a lack of resource).',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/irq total (µs)',
    module: PRESSURE,
  },
  {
    name: 'system.irq.linux.pressure.10s',
    instrument: 'Gauge',
    unit: '1',
    description: 'Average system IRQ pressure (delayed execution due to a lack of resource) over the last 10 seconds.',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/irq avg10 / 100',
    module: PRESSURE,
  },
  {
    name: 'system.irq.linux.pressure.1m',
    instrument: 'Gauge',
    unit: '1',
    description: 'Average system IRQ pressure (delayed execution due to a lack of resource) over the last 1 minute.',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/irq avg60 / 100',
    module: PRESSURE,
  },
  {
    name: 'system.irq.linux.pressure.5m',
    instrument: 'Gauge',
    unit: '1',
    description: 'Average system IRQ pressure (delayed execution due to a lack of resource) over the last 5 minutes.',
    attributes: ['system.pressure.stall_type'],
    source: '/proc/pressure/irq avg300 / 100',
    module: PRESSURE,
  },
  // --- Agent self-observation ------------------------------------------------------------------
  {
    name: 'sysmon.collector.errors',
    instrument: 'Counter',
    unit: '{error}',
    valueType: 'int',
    description: 'Collections in which a collector failed (missing, unreadable or malformed source).',
    attributes: ['collector'],
    source: 'collection loop',
    module: 'src/collectors/collect.ts',
  },
  // --- Builds (CICD semantic conventions where they fit) ---------------------------------------
  {
    name: 'cicd.pipeline.run.duration',
    instrument: 'Histogram',
    unit: 's',
    description: 'Duration of builds per state: pending (queued to started) and executing (started to finished, with its result).',
    attributes: ['cicd.pipeline.name', 'cicd.pipeline.run.state', 'cicd.pipeline.result', 'error.type', 'otel.metric.overflow'],
    source: 'build tracker',
    module: BUILDS,
  },
  {
    name: 'cicd.pipeline.run.active',
    instrument: 'UpDownCounter',
    unit: '{run}',
    valueType: 'int',
    description: 'Builds queued (pending) or running (executing), per build name (--pipeline-name-limit caps the names).',
    attributes: ['cicd.pipeline.name', 'cicd.pipeline.run.state', 'otel.metric.overflow'],
    source: 'build tracker',
    module: BUILDS,
  },
  {
    name: 'cicd.worker.count',
    instrument: 'UpDownCounter',
    unit: '{worker}',
    valueType: 'int',
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
    valueType: 'int',
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
    valueType: 'int',
    description: 'Builds remaining in the current run.',
    attributes: [],
    source: 'build tracker',
    module: BUILDS,
  },
  {
    name: 'sysmon.workers.dynamic_max',
    instrument: 'Gauge',
    unit: '{worker}',
    valueType: 'int',
    description: 'Dynamic max-workers hint from load, swap and memory (dsynth DynMax).',
    attributes: [],
    source: 'build tracker',
    module: BUILDS,
  },
  {
    name: 'sysmon.workers.max',
    instrument: 'Gauge',
    unit: '{worker}',
    valueType: 'int',
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
    valueType: 'int',
    description: 'Leases currently granted and not released or expired.',
    attributes: [],
    source: 'lease scheduler',
    module: SCHEDULER,
  },
  {
    name: 'sysmon.scheduler.decisions',
    instrument: 'Counter',
    unit: '{decision}',
    valueType: 'int',
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
    valueType: 'int',
    description: 'OTLP export requests accepted by the collector (replayed: sent from the durable spool).',
    attributes: ['replayed'],
    source: 'export pipeline',
    module: EXPORT,
  },
  {
    name: 'sysmon.export.failed',
    instrument: 'Counter',
    unit: '{request}',
    valueType: 'int',
    description: 'OTLP export attempts that failed, by reason (unavailable, timeout, throttled, rejected).',
    attributes: ['reason'],
    source: 'export pipeline',
    module: EXPORT,
  },
  {
    name: 'sysmon.export.dropped',
    instrument: 'Counter',
    unit: '{request}',
    valueType: 'int',
    description: 'OTLP export requests given up on, by reason (non_retryable, spool_bytes, spool_age, spool_error).',
    attributes: ['reason'],
    source: 'export pipeline',
    module: EXPORT,
  },
  {
    name: 'sysmon.export.rejected_points',
    instrument: 'Counter',
    unit: '{point}',
    valueType: 'int',
    description: 'Data points the collector rejected in OTLP partial-success responses.',
    attributes: [],
    source: 'export pipeline',
    module: EXPORT,
  },
  {
    name: 'sysmon.export.spool.bytes',
    instrument: 'UpDownCounter',
    unit: 'By',
    valueType: 'int',
    description: 'Bytes of serialized OTLP requests waiting in the durable spool.',
    attributes: [],
    source: 'durable spool',
    module: EXPORT,
  },
  {
    name: 'sysmon.export.spool.requests',
    instrument: 'UpDownCounter',
    unit: '{request}',
    valueType: 'int',
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
