// How the long-running agent (`otel-sysmon run`) is put together: host collection and telemetry are
// the core; builds, scheduler, API, spool and the like are modules that start and stop with it.
import type { Histogram } from '@opentelemetry/api';
import type { MetricName } from '../catalogue.js';
import type { LoadedConfig } from '../config/load.js';
import type { CpuFrequencyReport } from '../collectors/frequency/types.js';
import type { Collection, PointSink } from '../collectors/types.js';
import type { Logger } from '../log.js';
import type { ResourceAttributes } from '../telemetry/resource.js';

/**
 * Adds points for the agent's own metrics; called once per collection, right after the host
 * collectors, with that collection's host points (the quiet assessment reads them, so its score is
 * exported with the collection it describes rather than one interval late).
 */
export type Producer = (sink: PointSink, collection: Collection) => void | Promise<void>;

export interface AgentContext {
  readonly config: LoadedConfig;
  readonly log: Logger;
  /** The data directory, created with mode 0700 before modules start. */
  readonly dataDir: string;
  /** Registers a producer for observable catalogue metrics. */
  addProducer(producer: Producer): void;
  /** A synchronous histogram instrument for a catalogue metric of kind Histogram. */
  histogram(name: MetricName): Histogram;
  /** The most recent host collection, if any. */
  latest(): Collection | undefined;
  /** Called after every host collection (for rate, dynamic max workers, quiet assessment). */
  onCollection(listener: (collection: Collection) => void): void;
  /** The resource attributes every metric carries (host.name, service.version, ...). */
  readonly resource?: ResourceAttributes;
  /** The frequency chain's last per-CPU outcome with each source's reason (what `doctor` shows). */
  frequencyReports?(): readonly CpuFrequencyReport[] | undefined;
}

export interface AgentModule {
  readonly name: string;
  start(agent: AgentContext): Promise<void>;
  /** Stops serving and flushes state; called once on shutdown, in reverse start order. */
  stop(): Promise<void>;
}
