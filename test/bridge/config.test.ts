import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBridgeConfig } from '../../src/bridge/config.js';
import { ConfigError } from '../../src/config/load.js';
import { makeTestPki, type TestPki } from '../helpers/tls.js';

let dir: string;
let pki: TestPki;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sysmon-bridge-config-'));
  pki = makeTestPki();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

function secretFile(name: string, text: string, mode = 0o600): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

const configError = (argv: Record<string, unknown>, env: Record<string, string> = {}): string => {
  try {
    resolveBridgeConfig(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('resolveBridgeConfig', () => {
  it('has loopback defaults and no credentials', () => {
    const c = resolveBridgeConfig({}, {});
    expect(c).toMatchObject({
      grpc: { host: '127.0.0.1', port: 4317 },
      http: { host: '127.0.0.1', port: 4318 },
      database: 'default',
      protonUser: 'default',
      protonPassword: undefined,
      createStreams: false,
      batchRows: 5000,
      batchDelayMs: 500,
      token: undefined,
      tls: undefined,
    });
    expect(c.protonUrl.href).toBe('http://127.0.0.1:3218/');
    expect(c.protonQueryUrl.href).toBe('http://127.0.0.1:3218/');
  });

  it('takes flags over environment, and secrets from files or the environment', () => {
    const pw = secretFile('pw', 'from-file-pw\n');
    const c = resolveBridgeConfig(
      { listen: '127.0.0.1:5317', 'http-listen': 'off', 'proton-url': 'http://proton:3218', 'proton-password-file': pw, 'create-streams': true },
      { SYSMON_BRIDGE_LISTEN: '127.0.0.1:6000', PROTON_DATABASE: 'metrics', PROTON_PASSWORD: 'env-pw', PROTON_QUERY_URL: 'http://proton:8123' },
    );
    expect(c).toMatchObject({ grpc: { port: 5317 }, http: undefined, database: 'metrics', protonPassword: 'from-file-pw', createStreams: true });
    expect(c.protonQueryUrl.href).toBe('http://proton:8123/');
    expect(resolveBridgeConfig({}, { PROTON_PASSWORD: 'env-pw' }).protonPassword).toBe('env-pw');
  });

  it('names the key, the value and what is allowed', () => {
    expect(configError({ listen: '127.0.0.1:99999' })).toBe(
      'invalid listen="127.0.0.1:99999" (from --listen): expected host:port with a port from 0 to 65535, e.g. 127.0.0.1:9464',
    );
    expect(configError({}, { SYSMON_BRIDGE_BATCH_ROWS: '0' })).toBe(
      'invalid batch-rows="0" (from SYSMON_BRIDGE_BATCH_ROWS): expected an integer from 1 to 1000000',
    );
    expect(configError({ 'batch-delay': 'soon' })).toMatch(/^invalid batch-delay="soon" \(from --batch-delay\): expected a duration/);
    expect(configError({ database: 'my-db' })).toMatch(/^invalid database="my-db" .*letters, digits and _/);
    expect(configError({ 'proton-url': 'ftp://proton' })).toMatch(/^invalid proton-url="ftp:\/\/proton" .*scheme http or https/);
  });

  it('refuses credentials in the Proton URL', () => {
    expect(configError({ 'proton-url': 'http://u:secret@proton:3218' })).toMatch(/without user:password@/);
  });

  it('requires a token or mTLS when listening beyond loopback', () => {
    expect(configError({ listen: '0.0.0.0:4317' })).toBe(
      'invalid listen="0.0.0.0:4317": a bridge reachable beyond loopback needs a bearer token (--token-file or SYSMON_BRIDGE_TOKEN) or mTLS (--tls-client-ca)',
    );
    expect(configError({ 'http-listen': '10.0.0.5:4318' })).toMatch(/^invalid listen="10.0.0.5:4318"/);
    expect(resolveBridgeConfig({ listen: '0.0.0.0:4317' }, { SYSMON_BRIDGE_TOKEN: 'tok-123456' }).token).toBe('tok-123456');
    const mtls = resolveBridgeConfig({ listen: '0.0.0.0:4317', 'tls-cert': pki.files.serverCert, 'tls-key': pki.files.serverKey, 'tls-client-ca': pki.files.ca }, {});
    expect(mtls.tls).toMatchObject({ requireClientCert: true });
  });

  it('checks TLS files and secret files', () => {
    expect(configError({ 'tls-cert': pki.files.serverCert })).toMatch(/expected both tls-cert and tls-key/);
    expect(configError({ 'tls-client-ca': pki.files.ca })).toMatch(/mTLS needs tls-cert and tls-key/);
    expect(configError({ 'tls-cert': join(dir, 'missing.pem'), 'tls-key': pki.files.serverKey })).toMatch(
      /^invalid tls-cert=".*missing.pem" \(from --tls-cert\): expected a readable PEM file \(ENOENT\)$/,
    );
    expect(configError({ 'token-file': secretFile('open', 'tok', 0o644) })).toMatch(/readable by everyone: run chmod o-r/);
    expect(configError({ 'token-file': secretFile('empty', '\n') })).toMatch(/the file is empty$/);
  });
});
