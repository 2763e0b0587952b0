// Fault 6: transport security, through the built CLI. A receiver with a certificate from a throw-away
// CA (openssl, in a temp dir) is reached with the CA given by flag, environment or config file and
// refused without it; mTLS works with a client certificate and fails without one; --insecure is
// plaintext only when asked. Refused exports stay spooled (logged), the agent keeps running.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { makeTestPki, type TestPki } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';
import { runCli } from '../support/cli.js';
import { BUILT, killAgents, startAgent } from './agent-cli.js';

/** Any readable file: the check is about the missing key, not the certificate's contents. */
const BIN_SELF = fileURLToPath(import.meta.url);
const OPENSSL = spawnSync('openssl', ['version']).status === 0;
if (!OPENSSL) console.warn('SKIPPED: the TLS fault tests need the openssl CLI to make their certificates (apt-get install openssl)');

type Kind = 'tls' | 'mtls' | 'plain';
type Protocol = 'grpc' | 'http/protobuf';

interface Case {
  readonly name: string;
  readonly receiver: Kind;
  readonly protocol: Protocol;
  readonly outcome: 'delivered' | 'refused';
  /** Flags and environment for the agent, from the PKI files and a scratch directory. */
  readonly setup: (pki: TestPki, dir: string) => { args?: string[]; env?: Record<string, string> };
  /** Endpoint scheme given to the agent. */
  readonly scheme?: 'https' | 'http';
}

const CASES: readonly Case[] = [
  { name: 'gRPC TLS with --otlp-ca', receiver: 'tls', protocol: 'grpc', outcome: 'delivered', setup: (p) => ({ args: ['--otlp-ca', p.files.ca] }) },
  { name: 'gRPC TLS without a CA', receiver: 'tls', protocol: 'grpc', outcome: 'refused', setup: () => ({}) },
  {
    name: 'HTTP TLS with OTEL_EXPORTER_OTLP_CERTIFICATE',
    receiver: 'tls',
    protocol: 'http/protobuf',
    outcome: 'delivered',
    setup: (p) => ({ env: { OTEL_EXPORTER_OTLP_CERTIFICATE: p.files.ca } }),
  },
  { name: 'HTTP TLS without a CA', receiver: 'tls', protocol: 'http/protobuf', outcome: 'refused', setup: () => ({}) },
  {
    name: 'gRPC mTLS from a config file',
    receiver: 'mtls',
    protocol: 'grpc',
    outcome: 'delivered',
    setup: (p, dir) => {
      const file = join(dir, 'sysmon.yaml');
      writeFileSync(file, `otlp-ca: ${p.files.ca}\notlp-client-cert: ${p.files.clientCert}\notlp-client-key: ${p.files.clientKey}\n`, { mode: 0o600 });
      return { args: ['--config', file] };
    },
  },
  { name: 'gRPC mTLS without a client certificate', receiver: 'mtls', protocol: 'grpc', outcome: 'refused', setup: (p) => ({ args: ['--otlp-ca', p.files.ca] }) },
  {
    name: 'HTTP mTLS from OTEL_EXPORTER_OTLP_CLIENT_* variables',
    receiver: 'mtls',
    protocol: 'http/protobuf',
    outcome: 'delivered',
    setup: (p) => ({
      env: {
        OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: p.files.ca,
        OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: p.files.clientCert,
        OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: p.files.clientKey,
      },
    }),
  },
  {
    name: 'HTTP mTLS without a client certificate',
    receiver: 'mtls',
    protocol: 'http/protobuf',
    outcome: 'refused',
    setup: (p) => ({ args: ['--otlp-ca', p.files.ca] }),
  },
  { name: 'gRPC https:// endpoint with --insecure: plaintext', receiver: 'plain', protocol: 'grpc', outcome: 'delivered', setup: () => ({ args: ['--insecure'] }) },
  { name: 'gRPC https:// endpoint without --insecure: TLS', receiver: 'plain', protocol: 'grpc', outcome: 'refused', setup: () => ({}) },
];

let pki: TestPki;
let scratch: string;
const receivers: OtlpReceiver[] = [];

beforeAll(() => {
  if (!OPENSSL) return;
  if (!BUILT) throw new Error('dist/ is missing: run npx tsc -p tsconfig.json (npm test builds it)');
  pki = makeTestPki();
  scratch = mkdtempSync(join(tmpdir(), 'sysmon-tls-'));
});

afterAll(async () => {
  await killAgents();
  await Promise.all(receivers.map((r) => r.stop()));
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function receiverFor(kind: Kind): Promise<OtlpReceiver> {
  const tls =
    kind === 'plain'
      ? undefined
      : { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requireClientCert: kind === 'mtls' };
  const r = await startOtlpReceiver({ tls });
  receivers.push(r);
  return r;
}

describe.skipIf(!OPENSSL).concurrent('OTLP over TLS (built CLI)', () => {
  it.each(CASES)('$name: $outcome', { timeout: 30_000 }, async (c) => {
    const receiver = await receiverFor(c.receiver);
    const dir = mkdtempSync(join(scratch, 'case-'));
    const { args = [], env = {} } = c.setup(pki, dir);
    const base = c.protocol === 'grpc' ? receiver.grpcEndpoint : receiver.httpEndpoint;
    const endpoint = base.replace(/^http:/, 'https:');
    const agent = startAgent(
      ['--interval', '500ms', '--otlp-protocol', c.protocol, '--otlp-endpoint', endpoint, '--data-dir', join(dir, 'data'), ...args],
      { env },
    );
    if (c.outcome === 'delivered') {
      await waitFor(() => receiver.requests.length >= 2 || agent.child.exitCode !== null, { timeoutMs: 20_000, what: `${c.name}: two exports` });
      expect(agent.child.exitCode, agent.stderr()).toBeNull();
      expect(receiver.requests.every((r) => r.transport === (c.protocol === 'grpc' ? 'grpc' : 'http'))).toBe(true);
      expect(agent.stderr()).not.toMatch(/export failed/);
    } else {
      await waitFor(() => /export failed: kept in the spool for retry/.test(agent.stderr()) || agent.child.exitCode !== null, {
        timeoutMs: 20_000,
        what: `${c.name}: the refused export in the log`,
      });
      expect(agent.child.exitCode, agent.stderr()).toBeNull();
      expect(receiver.requests).toHaveLength(0);
      const line = /export failed: kept in the spool for retry.*/.exec(agent.stderr())![0];
      console.log(`${c.name}: ${line}`);
      expect(line).toMatch(/reason=unavailable .*(certificate|SSL)/);
    }
    expect(await agent.terminate()).toBe(0);
  });
});

describe('TLS options that cannot work', () => {
  it.each([
    [['--otlp-ca', '/nonexistent/ca.pem'], /^otel-sysmon: invalid otlp-ca="\/nonexistent\/ca.pem": expected a readable PEM file \(ENOENT\)\n$/],
    [['--otlp-client-cert', BIN_SELF], /^otel-sysmon: invalid otlp-client-key=.*both otlp-client-cert and otlp-client-key.*\n$/],
  ])('%j: one line naming the option, exit 2', (args, message) => {
    const r = runCli(['run', '--otlp-endpoint', 'https://127.0.0.1:4317', '--data-dir', join(tmpdir(), 'sysmon-tls-never'), ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
