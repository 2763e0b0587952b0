// The long-running agent: a collection loop on a fixed cadence, the MeterProvider with its readers
// (OTLP push, Prometheus pull, console), and the optional modules (API, builds, scheduler...).
import type { Histogram } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type MetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { type MetricName, SCHEMA_URL } from '../catalogue.js';
import { CollectionSink, HostCollection } from '../collectors/collect.js';
import { frequencyReports, hostCollectionFor, resolveHostPaths } from '../collectors/index.js';
import type { CpuFrequencyReport } from '../collectors/frequency/types.js';
import type { Collection, Collector, Point } from '../collectors/types.js';
import { prepareDataDir } from '../config/data-dir.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import { ConsoleTableExporter } from '../telemetry/console-exporter.js';
import { CatalogueProducer, mergeSameScopes, type ProducerScope } from '../telemetry/catalogue-producer.js';
import { type CatalogueInstruments, createCatalogueHistograms } from '../telemetry/instruments.js';
import { type PrometheusEndpoint, PullReader, startPrometheusEndpoint } from '../telemetry/prometheus-endpoint.js';
import { CollectionDrivenReader, type ExportOutcome, temporalityOf } from '../telemetry/push-reader.js';
import { detectResource, type ResourceAttributes } from '../telemetry/resource.js';
import { VERSION } from '../version.js';
import type { AgentContext, AgentModule, Producer } from './types.js';

/** The agent's metrics, observed and recorded, all go out under this scope. */
const SCOPE: ProducerScope = { name: 'otel-sysmon', version: VERSION, schemaUrl: SCHEMA_URL };

export interface AgentOptions {
  readonly config: LoadedConfig;
  readonly log: Logger;
  readonly modules?: readonly AgentModule[];
  /** Replaces the host collectors (tests, benchmarks). */
  readonly collectors?: readonly Collector[];
  /** The OTLP exporter (the durable exporter in `run`); required when the config exports OTLP. */
  readonly otlpExporter?: PushMetricExporter;
}

interface PushTarget {
  readonly name: string;
  readonly reader: CollectionDrivenReader;
}

export class Agent implements AgentContext {
  readonly config: LoadedConfig;
  readonly log: Logger;
  readonly dataDir: string;
  readonly resource: ResourceAttributes;
  private readonly host: HostCollection;
  private readonly provider: MeterProvider;
  private readonly instruments: CatalogueInstruments;
  private readonly pushTargets: PushTarget[] = [];
  private readonly pullReader: PullReader | undefined;
  private readonly producers: Producer[] = [];
  private readonly listeners: ((c: Collection) => void)[] = [];
  private readonly modules: readonly AgentModule[];
  private readonly started: AgentModule[] = [];
  private readonly exportErrors = new Map<string, string>();
  private prometheus: PrometheusEndpoint | undefined;
  private last: Collection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private nextTickAt = 0;
  private collections = 0;

  constructor(options: AgentOptions) {
    this.config = options.config;
    this.log = options.log;
    this.modules = options.modules ?? [];
    this.dataDir = this.config.dataDir;
    prepareDataDir(this.dataDir);
    this.resource = detectResource({
      serviceName: this.config.serviceName,
      rootfs: this.config.rootfs,
      dataDir: this.dataDir,
      extra: this.config.resource,
    });
    this.host = options.collectors
      ? new HostCollection({ paths: resolveHostPaths(this.config), log: this.log, collectors: options.collectors })
      : hostCollectionFor(this.config, this.log);

    // Each reader gets its own producer: temporality state (start times, delta baselines) is per reader.
    const latest = (): Collection | undefined => this.last;
    const readers: MetricReader[] = [];
    for (const name of this.config.exporter) {
      if (name === 'otlp' || name === 'console') {
        const exporter = name === 'console' ? new ConsoleTableExporter() : options.otlpExporter;
        if (!exporter) throw new Error('the otlp exporter needs an exporter instance (AgentOptions.otlpExporter)');
        const producer = new CatalogueProducer(latest, temporalityOf(exporter), SCOPE);
        const reader = new CollectionDrivenReader(exporter, this.config.exportTimeout, [producer], mergeSameScopes);
        this.pushTargets.push({ name, reader });
        readers.push(reader);
      } else if (name === 'prometheus') {
        this.pullReader = new PullReader([new CatalogueProducer(latest, PullReader.temporality, SCOPE)]);
        readers.push(this.pullReader);
      }
    }
    this.provider = new MeterProvider({ resource: resourceFromAttributes(this.resource, { schemaUrl: SCHEMA_URL }), readers });
    this.instruments = createCatalogueHistograms(this.provider.getMeter(SCOPE.name, SCOPE.version, { schemaUrl: SCHEMA_URL }));
  }

  addProducer(producer: Producer): void {
    this.producers.push(producer);
  }

  histogram(name: MetricName): Histogram {
    return this.instruments.histogram(name);
  }

  latest(): Collection | undefined {
    return this.last;
  }

  onCollection(listener: (collection: Collection) => void): void {
    this.listeners.push(listener);
  }

  frequencyReports(): readonly CpuFrequencyReport[] | undefined {
    return frequencyReports(this.host.collectors);
  }

  async start(): Promise<void> {
    for (const module of this.modules) {
      await module.start(this);
      this.started.push(module);
    }
    if (this.pullReader) {
      this.prometheus = await startPrometheusEndpoint(this.config.prometheusListen, this.pullReader, this.log);
      this.log.info('prometheus endpoint listening', { url: this.prometheus.url });
    }
    this.log.info('agent started', {
      version: VERSION,
      interval: `${this.config.interval}ms`,
      exporters: this.config.exporter.join(','),
      endpoint: this.config.exporter.includes('otlp') ? this.config.otlpEndpoint : undefined,
      protocol: this.config.exporter.includes('otlp') ? this.config.otlpProtocol : undefined,
      dataDir: this.dataDir,
    });
    this.nextTickAt = Date.now();
    this.tick();
  }

  /** Runs one collection now: host collectors, producers, listeners, then one export per push reader. */
  async collectOnce(): Promise<Collection> {
    const collection = await this.host.collect();
    const sink = new CollectionSink(collection.points as Map<MetricName, Point[]>);
    for (const producer of this.producers) {
      try {
        await producer(sink, collection);
      } catch (err) {
        this.log.warn('metric producer failed', { error: (err as Error).message });
      }
    }
    this.last = collection;
    this.collections++;
    for (const listener of this.listeners) {
      try {
        listener(collection);
      } catch (err) {
        this.log.warn('collection listener failed', { error: (err as Error).message });
      }
    }
    return collection;
  }

  private exportAll(): Promise<void>[] {
    return this.pushTargets.map(({ name, reader }) => reader.exportNow().then((outcome) => this.noteExport(name, outcome)));
  }

  private noteExport(target: string, outcome: ExportOutcome): void {
    if (outcome.skipped) {
      this.log.debug('export skipped: previous export still in flight', { exporter: target });
      return;
    }
    if (outcome.ok) {
      if (this.exportErrors.has(target)) {
        this.exportErrors.delete(target);
        this.log.info('export recovered', { exporter: target });
      }
      return;
    }
    const message = outcome.error?.message ?? 'unknown error';
    // Once per distinct error: a collector that is down must not flood the log.
    if (this.exportErrors.get(target) !== message) {
      this.exportErrors.set(target, message);
      this.log.warn('export failed', { exporter: target, error: message });
    }
  }

  private tick(): void {
    this.running = (async () => {
      try {
        await this.collectOnce();
        void Promise.all(this.exportAll());
      } catch (err) {
        this.log.error('collection failed', { error: (err as Error).message });
      }
    })();
    void this.running.finally(() => this.scheduleNext());
  }

  private scheduleNext(): void {
    if (this.stopping) return;
    const now = Date.now();
    // Fixed cadence: slots missed by a slow collection are skipped, not bunched up.
    this.nextTickAt += this.config.interval;
    while (this.nextTickAt <= now) this.nextTickAt += this.config.interval;
    this.timer = setTimeout(() => this.tick(), this.nextTickAt - now);
  }

  get collectionCount(): number {
    return this.collections;
  }

  get prometheusUrl(): string | undefined {
    return this.prometheus?.url;
  }

  /** Final collection and flush (bounded by the export timeout), then modules stop in reverse order. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, this.config.exportTimeout).unref());
    const final = (async () => {
      await Promise.all(this.pushTargets.map((t) => t.reader.idle()));
      await this.collectOnce();
      await Promise.all(this.exportAll());
    })();
    await Promise.race([final.catch((err) => this.log.warn('final export failed', { error: String(err) })), deadline]);
    await this.prometheus?.close();
    for (const module of [...this.started].reverse()) {
      try {
        await module.stop();
      } catch (err) {
        this.log.warn('module stop failed', { module: module.name, error: (err as Error).message });
      }
    }
    await Promise.race([this.provider.shutdown().catch(() => undefined), deadline]);
    this.host.close();
    this.log.info('agent stopped', { collections: this.collections });
  }
}
