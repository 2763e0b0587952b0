// The build catalogue metrics: observable points from the tracker at every collection, and the
// cicd.pipeline.run.duration histogram recorded as builds finish.
import type { Histogram } from '@opentelemetry/api';
import type { AgentContext, Producer } from '../agent/types.js';
import type { Build } from '../store/builds.js';
import type { BuildService } from './service.js';

export function buildsProducer(service: BuildService): Producer {
  return (sink) => {
    const s = service.stats();
    const t = service.repo.totals();
    sink.add('cicd.pipeline.run.active', s.waiting, { 'cicd.pipeline.run.state': 'pending' });
    sink.add('cicd.pipeline.run.active', s.activeWorkers, { 'cicd.pipeline.run.state': 'executing' });
    sink.add('cicd.worker.count', s.activeWorkers, { 'cicd.worker.state': 'busy' });
    sink.add('cicd.worker.count', Math.max(0, s.dynMaxWorkers - s.activeWorkers), { 'cicd.worker.state': 'available' });
    sink.add('sysmon.build.cpu.time', t.cpuSeconds);
    sink.add('sysmon.build.count', t.success, { outcome: 'success' });
    sink.add('sysmon.build.count', t.failed, { outcome: 'failed' });
    sink.add('sysmon.build.count', t.ignored, { outcome: 'ignored' });
    sink.add('sysmon.build.count', t.skipped, { outcome: 'skipped' });
    sink.add('sysmon.build.rate', s.rate);
    sink.add('sysmon.build.impulse', s.impulse);
    sink.add('sysmon.build.queue', s.remaining);
    sink.add('sysmon.workers.dynamic_max', s.dynMaxWorkers);
    sink.add('sysmon.workers.max', s.maxWorkers);
  };
}

/** CICD semconv result values for the builds that ran. */
const RESULT = { success: 'success', failed: 'failure' } as const;

/** Records each finished build's duration in the catalogue histogram. */
export function durationRecorder(agent: Pick<AgentContext, 'histogram'>): (build: Build) => void {
  const histogram = agent.histogram('cicd.pipeline.run.duration');
  return (build) => recordDuration(histogram, build);
}

export function recordDuration(histogram: Histogram, build: Build): void {
  if ((build.status !== 'success' && build.status !== 'failed') || build.startedAt === null || build.finishedAt === null) {
    return;
  }
  histogram.record(Math.max(0, build.finishedAt - build.startedAt) / 1000, {
    'cicd.pipeline.result': RESULT[build.status],
  });
}
