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
  return (sink) => {
    const s = service.stats();
    const t = service.repo.totals();
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
    sink.add('cicd.worker.count', s.activeWorkers, BUSY);
    sink.add('cicd.worker.count', Math.max(0, s.dynMaxWorkers - s.activeWorkers), AVAILABLE);
    sink.add('sysmon.build.cpu.time', t.cpuSeconds);
    for (const outcome of ['success', 'failed', 'ignored', 'skipped'] as const) sink.add('sysmon.build.count', t[outcome], OUTCOME[outcome]);
    sink.add('sysmon.build.rate', s.rate);
    sink.add('sysmon.build.impulse', s.impulse);
    sink.add('sysmon.build.queue', s.remaining);
    sink.add('sysmon.workers.dynamic_max', s.dynMaxWorkers);
    sink.add('sysmon.workers.max', s.maxWorkers);
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
