// The build catalogue metrics: observable points from the tracker at every collection, and the
// cicd.pipeline.run.duration histogram recorded as builds start and finish. cicd.pipeline.name is the
// build name, bounded by PipelineNames (--pipeline-name-limit).
import type { Histogram } from '@opentelemetry/api';
import type { AgentContext, Producer } from '../agent/types.js';
import type { Build } from '../store/builds.js';
import type { PipelineNames } from './pipeline-names.js';
import type { BuildService } from './service.js';

// Attribute objects shared by every collection (exporters key series by attribute object first).
const PENDING = { 'cicd.pipeline.run.state': 'pending' } as const;
const EXECUTING = { 'cicd.pipeline.run.state': 'executing' } as const;
const BUSY = { 'cicd.worker.state': 'busy' } as const;
const AVAILABLE = { 'cicd.worker.state': 'available' } as const;
const OUTCOME = {
  success: { outcome: 'success' },
  failed: { outcome: 'failed' },
  ignored: { outcome: 'ignored' },
  skipped: { outcome: 'skipped' },
} as const;

export function buildsProducer(service: BuildService): Producer {
  // The run's view and the store's totals (cached until a write) once per collection, not the API's
  // whole StatsView: that would read the totals a second time and format dates nobody exports.
  return (sink) => {
    const run = service.runView();
    const t = service.repo.totals();
    const dynMax = service.dynMax.value;
    // Names past the limit fold into one `_other` series per state.
    const byReported = new Map<string, { pending: number; executing: number }>();
    for (const [name, counts] of service.activeByName()) {
      const reported = service.pipelineNames.nameOf(name);
      const sum = byReported.get(reported);
      if (sum) {
        sum.pending += counts.pending;
        sum.executing += counts.executing;
      } else byReported.set(reported, { ...counts });
    }
    for (const [name, counts] of byReported) {
      if (counts.pending > 0) sink.add('cicd.pipeline.run.active', counts.pending, service.pipelineNames.attributes(name, PENDING));
      if (counts.executing > 0) {
        sink.add('cicd.pipeline.run.active', counts.executing, service.pipelineNames.attributes(name, EXECUTING));
      }
    }
    sink.add('cicd.worker.count', run.running, BUSY);
    sink.add('cicd.worker.count', Math.max(0, dynMax - run.running), AVAILABLE);
    sink.add('sysmon.build.cpu.time', t.cpuSeconds);
    for (const outcome of ['success', 'failed', 'ignored', 'skipped'] as const) sink.add('sysmon.build.count', t[outcome], OUTCOME[outcome]);
    sink.add('sysmon.build.rate', run.rate);
    sink.add('sysmon.build.impulse', run.impulse);
    sink.add('sysmon.build.queue', run.remaining);
    sink.add('sysmon.workers.dynamic_max', dynMax);
    sink.add('sysmon.workers.max', service.dynMax.max);
  };
}

/** CICD semconv result values for the builds that ran. */
const RESULT = { success: 'success', failed: 'failure' } as const;

/** Records a build's time in each state it went through: pending at its start, executing at its finish. */
export function durationRecorder(agent: Pick<AgentContext, 'histogram'>, names: PipelineNames): (build: Build) => void {
  const histogram = agent.histogram('cicd.pipeline.run.duration');
  return (build) => recordDuration(histogram, names, build);
}

export function recordDuration(histogram: Histogram, names: PipelineNames, build: Build): void {
  if (build.startedAt === null) return;
  if (build.status === 'running') {
    histogram.record(Math.max(0, build.startedAt - build.queuedAt) / 1000, names.attributes(build.name, PENDING));
    return;
  }
  if ((build.status !== 'success' && build.status !== 'failed') || build.finishedAt === null) return;
  const extra: Record<string, string> = { ...EXECUTING, 'cicd.pipeline.result': RESULT[build.status] };
  // error.type on failures: the exit code (low cardinality, like HTTP's status code), else _OTHER.
  if (build.status === 'failed') extra['error.type'] = build.exitCode === null ? '_OTHER' : String(build.exitCode);
  histogram.record(Math.max(0, build.finishedAt - build.startedAt) / 1000, names.attributes(build.name, extra));
}
