import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { parseBytes, parseDuration, parseKeyValues, parseListen } from '../../src/config/values.js';

function configFile(text: string, mode = 0o600): string {
  const dir = mkdtempSync(join(tmpdir(), 'sysmon-config-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

function loadError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a ConfigError');
}

describe('value parsers', () => {
  it('parses durations into milliseconds', () => {
    expect(parseDuration('20ms')).toBe(20);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('90d')).toBe(90 * 86_400_000);
    expect(() => parseDuration('10')).toThrow(/duration/);
    expect(() => parseDuration('abc')).toThrow(/duration/);
    expect(() => parseDuration('10s junk')).toThrow(/duration/);
  });
  it('parses sizes, listen addresses and key=value lists', () => {
    expect(parseBytes('256MiB')).toBe(268_435_456);
    expect(parseBytes('1GB')).toBe(1e9);
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseListen('127.0.0.1:70000')).toThrow(/port from 0 to 65535/);
    expect(parseKeyValues('a=1, b=x%20y')).toEqual({ a: '1', b: 'x y' });
  });
});

describe('loadConfig precedence: flags > env > file > defaults', () => {
  it('uses defaults when nothing is given', () => {
    const c = loadConfig({ argv: {}, env: {} });
    expect(c.interval).toBe(10_000);
    expect(c.exporter).toEqual(['otlp']);
    expect(c.otlpEndpoint).toBe('http://localhost:4317');
    expect(c.procfs).toBe('/proc');
    expect(c.serviceName).toBe('otel-sysmon');
    expect(c.origins.interval).toBe('default');
  });

  it('lets env override the file and flags override env', () => {
    const file = configFile('interval: 30s\nservice-name: from-file\nexporter: [prometheus, console]\n');
    const fromFile = loadConfig({ argv: { config: file }, env: {} });
    expect(fromFile.interval).toBe(30_000);
    expect(fromFile.exporter).toEqual(['prometheus', 'console']);
    const fromEnv = loadConfig({ argv: { config: file }, env: { OTEL_METRIC_EXPORT_INTERVAL: '5000', OTEL_SERVICE_NAME: 'env-name' } });
    expect(fromEnv.interval).toBe(5000);
    expect(fromEnv.serviceName).toBe('env-name');
    expect(fromEnv.origins.interval).toBe('env');
    const fromFlag = loadConfig({ argv: { config: file, interval: '20ms' }, env: { OTEL_METRIC_EXPORT_INTERVAL: '5000' } });
    expect(fromFlag.interval).toBe(20);
    expect(fromFlag.origins.interval).toBe('flag');
  });

  it('honours the standard OTLP variables', () => {
    const c = loadConfig({
      argv: {},
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s3cret,x-tenant=a%20b',
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta',
        OTEL_METRIC_EXPORT_TIMEOUT: '2500',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=ci,host.name=h1',
      },
    });
    expect(c.otlpProtocol).toBe('http/protobuf');
    expect(c.otlpEndpoint).toBe('https://collector.example:4318/v1/metrics');
    expect(c.otlpHeaders).toEqual({ 'api-key': 's3cret', 'x-tenant': 'a b' });
    expect(c.temporality).toBe('delta');
    expect(c.exportTimeout).toBe(2500);
    expect(c.resource).toEqual({ 'deployment.environment': 'ci', 'host.name': 'h1' });
  });

  it('takes the metrics-specific endpoint as is', () => {
    const c = loadConfig({
      argv: {},
      env: {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318/custom/path',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
      },
    });
    expect(c.otlpEndpoint).toBe('http://c:4318/custom/path');
  });

  it('merges resource attributes across sources, flags winning per key', () => {
    const file = configFile('resource:\n  team: infra\n  site: a\n');
    const c = loadConfig({ argv: { config: file, resource: ['site=b'] }, env: { OTEL_RESOURCE_ATTRIBUTES: 'site=c,rack=7' } });
    expect(c.resource).toEqual({ team: 'infra', site: 'b', rack: '7' });
  });

  it('derives procfs and sysfs from rootfs (HOST_ROOT)', () => {
    const c = loadConfig({ argv: {}, env: { HOST_ROOT: '/host' } });
    expect(c.procfs).toBe('/host/proc');
    expect(c.sysfs).toBe('/host/sys');
    expect(loadConfig({ argv: { procfs: '/p' }, env: { HOST_ROOT: '/host' } }).procfs).toBe('/p');
  });
});

describe('invalid configuration: one line naming key, value and what is allowed', () => {
  it('rejects a bad duration', () => {
    expect(loadError(() => loadConfig({ argv: { interval: 'soon' }, env: {} }))).toBe(
      'invalid interval="soon" (from --interval): expected a duration such as 500ms, 10s, 5m, 1h30m or 90d',
    );
  });
  it('rejects an interval below 10ms', () => {
    expect(loadError(() => loadConfig({ argv: { interval: '5ms' }, env: {} }))).toMatch(/interval="5ms".*at least 10ms/);
  });
  it('rejects a bad URL from the environment', () => {
    expect(loadError(() => loadConfig({ argv: {}, env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' } }))).toMatch(
      /^invalid otlp-endpoint="not a url" \(from OTEL_EXPORTER_OTLP_ENDPOINT\): expected a URL/,
    );
  });
  it('rejects a bad port', () => {
    expect(loadError(() => loadConfig({ argv: { prometheusListen: '127.0.0.1:99999' }, env: {} }))).toMatch(
      /prometheus-listen="127.0.0.1:99999".*port from 0 to 65535/,
    );
  });
  it('rejects a pipeline name limit that is not a whole number from 1, and takes a good one from the file', () => {
    expect(loadError(() => loadConfig({ argv: { pipelineNameLimit: '0' }, env: {} }))).toMatch(/^invalid pipeline-name-limit="0" \(from --pipeline-name-limit\): /);
    expect(loadConfig({ argv: { config: configFile('pipeline-name-limit: 20\n') }, env: {} }).pipelineNameLimit).toBe(20);
    expect(loadConfig({ argv: {}, env: {} }).pipelineNameLimit).toBe(100);
  });
  it('rejects a disk, mount or interface pattern that is not a regular expression', () => {
    expect(loadError(() => loadConfig({ argv: { diskExclude: '^(sd' }, env: {} }))).toBe(
      'invalid disk-exclude="^(sd" (from --disk-exclude): expected a regular expression',
    );
    expect(loadError(() => loadConfig({ argv: { config: configFile('network-include: "[eth"\n') }, env: {} }))).toMatch(
      /^invalid network-include="\[eth" \(in .*\): expected a regular expression$/,
    );
  });
  it('host filters: node_exporter defaults, replaced by flags or the file', () => {
    const d = loadConfig({ argv: {}, env: {} });
    expect(d.diskExclude.test('sda1') && !d.diskExclude.test('sda')).toBe(true);
    expect(d.networkExclude.test('veth12ab') && !d.networkExclude.test('docker0')).toBe(true);
    expect(d.filesystemTypesExclude.test('overlay')).toBe(true);
    expect(d.filesystemTimeout).toBe(1000);
    expect(d.diskInclude).toBeUndefined();
    const c = loadConfig({ argv: { config: configFile('disk-include: ^nvme\nfilesystem-timeout: 250ms\nquiet-disk-io: 10,50,80\n') }, env: {} });
    expect(c.diskInclude!.test('nvme0n1')).toBe(true);
    expect(c.filesystemTimeout).toBe(250);
    expect(c.quietDiskIo).toEqual({ quiet: 10, busy: 50, panic: 80 });
  });
  it('rejects an unknown key in the file', () => {
    const file = configFile('intervall: 10s\n');
    expect(loadError(() => loadConfig({ argv: { config: file }, env: {} }))).toMatch(/unknown key "intervall"/);
  });
  it('rejects an unknown protocol and exporter', () => {
    expect(loadError(() => loadConfig({ argv: {}, env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' } }))).toMatch(
      /otlp-protocol="http\/xml".*one of grpc, http\/protobuf/,
    );
    expect(loadError(() => loadConfig({ argv: { exporter: ['otlp', 'kafka'] }, env: {} }))).toMatch(/exporter="otlp,kafka"/);
  });
  it('reports a bad file value even when a flag overrides it', () => {
    const file = configFile('interval: never\n');
    expect(loadError(() => loadConfig({ argv: { config: file, interval: '1s' }, env: {} }))).toMatch(/interval="never" \(in /);
  });
  it('never prints header values', () => {
    const msg = loadError(() => loadConfig({ argv: {}, env: { OTEL_EXPORTER_OTLP_HEADERS: 'novalue-s3cret' } }));
    expect(msg).not.toContain('s3cret');
  });
  it('refuses a world-writable config file and warns about a readable one holding secrets', () => {
    const writable = configFile('interval: 1s\n', 0o666);
    expect(loadError(() => loadConfig({ argv: { config: writable }, env: {} }))).toMatch(/writable by everyone/);
    const readable = configFile('otlp-headers:\n  api-key: abc\n', 0o644);
    const warnings: string[] = [];
    loadConfig({ argv: { config: readable }, env: {}, warn: (m) => warnings.push(m) });
    expect(warnings[0]).toMatch(/holds secrets and is readable by group or others/);
  });
  it('reports invalid YAML on one line', () => {
    const file = configFile('interval: [1s\n');
    expect(loadError(() => loadConfig({ argv: { config: file }, env: {} }))).toMatch(/is not valid YAML/);
  });
});
