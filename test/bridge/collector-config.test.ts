// otel-collector-config/proton/gateway-proton.yaml: the gateway route to `otel-sysmon bridge`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { resolveBridgeConfig } from '../../src/bridge/config.js';
import { protonConfigDir } from '../../src/bridge/streams.js';

const text = readFileSync(join(protonConfigDir(), 'gateway-proton.yaml'), 'utf8');
const doc = parseDocument(text, { uniqueKeys: true });
const config = doc.toJS() as {
  extensions: Record<string, unknown>;
  receivers: Record<string, unknown>;
  processors: Record<string, unknown>;
  exporters: Record<string, Record<string, unknown>>;
  service: { extensions: string[]; pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> };
};

describe('gateway-proton.yaml', () => {
  it('parses and wires exactly the components it defines', () => {
    expect(doc.errors).toEqual([]);
    const used = Object.values(config.service.pipelines);
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      const wired = new Set(used.flatMap((p) => p[kind]));
      expect([...wired].sort(), kind).toEqual(Object.keys(config[kind]).sort());
    }
    expect([...config.service.extensions].sort()).toEqual(Object.keys(config.extensions).sort());
  });

  it('exports OTLP/gRPC to the bridge address its run line gives, through a persistent queue, retrying forever', () => {
    const exporter = config.exporters['otlp/proton'];
    const run = /otel-sysmon bridge --listen (\S+)/.exec(text);
    expect(run).not.toBeNull();
    // The bridge accepts the address of the run line; the exporter's default endpoint is that address.
    const listen = resolveBridgeConfig({ listen: run![1] }, {}).grpc;
    expect(exporter.endpoint).toBe(`\${env:SYSMON_BRIDGE_ENDPOINT:-${listen.host}:${listen.port}}`);
    expect(exporter).toMatchObject({
      compression: 'gzip',
      headers: { authorization: 'Bearer ${env:SYSMON_BRIDGE_TOKEN:-none}' },
      sending_queue: { enabled: true, storage: 'file_storage/queue' },
      retry_on_failure: { enabled: true, max_elapsed_time: '0s' },
    });
    expect(Object.keys(config.extensions)).toContain('file_storage/queue');
    // A batch processor would acknowledge before the persistent queue has the data.
    expect(Object.keys(config.processors)).not.toContain('batch');
  });

  it('never lets resource detection replace the agent host attributes', () => {
    expect(config.processors.resourcedetection).toMatchObject({ override: false });
  });
});
