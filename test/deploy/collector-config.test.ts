// The OpenTelemetry Collector configurations in otel-collector-config/: each file parses, documents itself,
// wires every component it defines into a pipeline (and defines every one it wires), never lets resource
// detection overwrite the agent's host attributes, and has what its store needs. The Proton files under
// otel-collector-config/proton/ belong to the bridge and are tested with it.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { readRepoFile, repoPath } from './tools.js';

const DIR = 'otel-collector-config';
const KINDS = ['receivers', 'processors', 'exporters', 'connectors', 'extensions'] as const;
type Kind = (typeof KINDS)[number];

// Component types of otelcol-contrib these files may use; a misspelt type would otherwise only show at start.
const KNOWN_TYPES: Record<Kind, string[]> = {
  receivers: ['otlp'],
  processors: ['memory_limiter', 'batch', 'resourcedetection', 'transform'],
  exporters: ['otlp', 'otlphttp', 'prometheus', 'prometheusremotewrite', 'clickhouse', 'debug'],
  connectors: [],
  extensions: ['health_check', 'file_storage'],
};

interface Pipeline {
  receivers?: string[];
  processors?: string[];
  exporters?: string[];
}
type Components = Record<string, Record<string, unknown> | null>;
interface CollectorConfig {
  receivers?: Components;
  processors?: Components;
  exporters?: Components;
  connectors?: Components;
  extensions?: Components;
  service: { extensions?: string[]; pipelines: Record<string, Pipeline> };
}

const files = readdirSync(repoPath(DIR))
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

function load(file: string): { text: string; config: CollectorConfig } {
  const text = readRepoFile(DIR, file);
  const doc = parseDocument(text, { uniqueKeys: true });
  expect(doc.errors.map((e) => e.message)).toEqual([]);
  return { text, config: doc.toJS() as CollectorConfig };
}

const get = (obj: unknown, path: string[]): unknown =>
  path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);

it('has the gateway, its store variants and the agent-side collector', () => {
  expect(files).toEqual(['agent.yaml', 'gateway-clickhouse.yaml', 'gateway-prometheusremotewrite.yaml', 'gateway.yaml']);
});

describe.each(files)('%s', (file) => {
  const { text, config } = load(file);
  const pipelines = Object.entries(config.service.pipelines);

  it('starts with a header saying what it is for and how to run it', () => {
    const header = text.slice(0, text.search(/^[a-z]/m));
    expect(header).toMatch(/^# otel-sysmon /);
    expect(header).toContain('What it is for');
    expect(header).toContain('How to run it');
    expect(header).toMatch(/otelcol-contrib --config otel-collector-config\//);
  });

  it('defines every component a pipeline uses, with a known type', () => {
    expect(pipelines.length).toBeGreaterThan(0);
    for (const [name, p] of pipelines) {
      expect(p.receivers?.length, name).toBeGreaterThan(0);
      expect(p.exporters?.length, name).toBeGreaterThan(0);
      for (const kind of ['receivers', 'processors', 'exporters'] as const) {
        for (const id of p[kind] ?? []) {
          const defined = Object.keys(config[kind] ?? {}).concat(kind === 'processors' ? [] : Object.keys(config.connectors ?? {}));
          expect(defined, `${name}.${kind}`).toContain(id);
        }
      }
    }
    for (const kind of KINDS) {
      for (const id of Object.keys(config[kind] ?? {})) expect(KNOWN_TYPES[kind], `${kind} ${id}`).toContain(id.split('/')[0]);
    }
  });

  it('uses every component it defines', () => {
    const used = (kind: 'receivers' | 'processors' | 'exporters') => new Set(pipelines.flatMap(([, p]) => p[kind] ?? []));
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      for (const id of Object.keys(config[kind] ?? {})) expect([...used(kind)], `${kind} ${id}`).toContain(id);
    }
    expect([...(config.service.extensions ?? [])].sort()).toEqual(Object.keys(config.extensions ?? {}).sort());
  });

  it('limits memory first and batches before exporting', () => {
    for (const [name, p] of pipelines) {
      expect(p.processors?.[0], name).toBe('memory_limiter');
      const batchProcessorLast = p.processors?.at(-1)?.split('/')[0] === 'batch';
      const exportersBatch = (p.exporters ?? []).every((e) => get(config.exporters?.[e], ['sending_queue', 'batch']));
      expect(batchProcessorLast || exportersBatch, name).toBe(true);
    }
  });

  it('never lets resource detection overwrite the attributes the agent sends', () => {
    for (const [id, settings] of Object.entries(config.processors ?? {})) {
      if (id.split('/')[0] === 'resourcedetection') expect(get(settings, ['override']), id).toBe(false);
    }
  });

  it('points every persistent queue at a defined storage extension', () => {
    for (const [id, settings] of Object.entries(config.exporters ?? {})) {
      const storage = get(settings, ['sending_queue', 'storage']);
      if (storage !== undefined) {
        expect(Object.keys(config.extensions ?? {}), id).toContain(storage);
        expect(String(storage).split('/')[0]).toBe('file_storage');
      }
    }
  });

  it('reads the environment only with the ${env:NAME} or ${env:NAME:-default} syntax', () => {
    for (const m of text.matchAll(/\$\{[^}]*\}/g)) expect(m[0]).toMatch(/^\$\{env:[A-Z_][A-Z0-9_]*(:-[^}]*)?\}$/);
  });
});

describe('gateways', () => {
  const gateways = files.filter((f) => f.startsWith('gateway'));

  it.each(gateways)('%s receives OTLP on gRPC 4317 and HTTP 4318 on all interfaces', (file) => {
    const { config } = load(file);
    expect(get(config.receivers, ['otlp', 'protocols', 'grpc', 'endpoint'])).toBe('0.0.0.0:4317');
    expect(get(config.receivers, ['otlp', 'protocols', 'http', 'endpoint'])).toBe('0.0.0.0:4318');
  });

  it('gateway.yaml points to the Proton route, which exists', () => {
    const { text } = load('gateway.yaml');
    expect(text).toMatch(/proton\/gateway-proton\.yaml\s+Timeplus Proton/);
    expect(existsSync(new URL('../../otel-collector-config/proton/gateway-proton.yaml', import.meta.url))).toBe(true);
  });

  it('prometheusremotewrite keeps a write-ahead log and has no sending_queue', () => {
    const { config } = load('gateway-prometheusremotewrite.yaml');
    const prw = config.exporters!.prometheusremotewrite as Record<string, unknown>;
    expect(get(prw, ['wal', 'directory'])).toMatch(/^\//);
    expect(prw.sending_queue).toBeUndefined();
    expect(String(prw.endpoint)).toContain('/api/v1/write');
  });

  it('clickhouse expires rows and queues on disk', () => {
    const { config } = load('gateway-clickhouse.yaml');
    const ch = config.exporters!.clickhouse as Record<string, unknown>;
    expect(ch.ttl).toMatch(/^\d+h$/);
    expect(get(ch, ['sending_queue', 'storage'])).toBe('file_storage/queue');
    expect(get(ch, ['metrics_tables', 'gauge', 'name'])).toBe('otel_metrics_gauge');
    expect(get(ch, ['metrics_tables', 'sum', 'name'])).toBe('otel_metrics_sum');
  });

  it('the Prometheus-facing gateways put host.name on every data point (the host_name label)', () => {
    for (const file of ['gateway.yaml', 'gateway-prometheusremotewrite.yaml']) {
      const { config } = load(file);
      const statements = get(config.processors, ['transform/host_label', 'metric_statements']) as string[];
      expect(statements.join('\n'), file).toContain('set(datapoint.attributes["host.name"], resource.attributes["host.name"])');
      expect(config.service.pipelines.metrics.processors, file).toContain('transform/host_label');
    }
  });
});

it('the agent-side collector listens on loopback only and forwards through a persistent queue', () => {
  const { config } = load('agent.yaml');
  expect(get(config.receivers, ['otlp', 'protocols', 'grpc', 'endpoint'])).toBe('127.0.0.1:4317');
  expect(get(config.receivers, ['otlp', 'protocols', 'http', 'endpoint'])).toBe('127.0.0.1:4318');
  expect(get(config.exporters, ['otlp/gateway', 'sending_queue', 'storage'])).toBe('file_storage/queue');
  expect(get(config.processors, ['resourcedetection', 'detectors'])).toEqual(['env', 'system']);
});
