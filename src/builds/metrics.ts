// The build catalogue metrics: observable points from the tracker at every collection, and the
// cicd.pipeline.run.duration histogram recorded as builds finish.
import type { Histogram } from '@opentelemetry/api';
import type { AgentContext, Producer } from '../agent/types.js';
import type { Build } from '../store/builds.js';
import { type BuildService, round1 } from './service.js';

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
    sink.add('cicd.pipeline.run.active', run.waiting, PENDING);
    sink.add('cicd.pipeline.run.active', run.running, EXECUTING);
    sink.add('cicd.worker.count', run.running, BUSY);
    sink.add('cicd.worker.count', Math.max(0, dynMax - run.running), AVAILABLE);
    sink.add('sysmon.build.cpu.time', t.cpuSeconds);
    for (const outcome of ['success', 'failed', 'ignored', 'skipped'] as const) sink.add('sysmon.build.count', t[outcome], OUTCOME[outcome]);
    sink.add('sysmon.build.rate', round1(run.rate));
    sink.add('sysmon.build.impulse', round1(run.impulse));
    sink.add('sysmon.build.queue', run.remaining);
    sink.add('sysmon.workers.dynamic_max', dynMax);
    sink.add('sysmon.workers.max', service.dynMax.max);
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
