// Fault 7: the logs of a run with a bearer token and OTLP headers hold neither, even at debug level,
// through refusals that echo a header back, outages and shutdown. The headers do reach the collector.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { sleep, waitFor } from '../helpers/wait.js';
import { runCli } from '../support/cli.js';
import { faultBench, startAgent } from './agent-cli.js';

const TOKEN = 's3cr3t-t0ken-7f3a9c';
const BEARER = `Bearer ${TOKEN}`;
const API_KEY = 'k3y-v4lue-51d2e8';
const FILE_KEY = 'f1le-h34der-0b7e44';
const API_TOKEN = 'api-t0ken-c0ffee-99';
const SECRETS = [TOKEN, API_KEY, FILE_KEY, API_TOKEN];

const bench = faultBench('secrets');

it('a run with a bearer token and OTLP headers logs neither', { timeout: 45_000 }, async () => {
  const { receiver, dataDir: dir } = bench;
  const config = join(dir, 'sysmon.yaml');
  // Readable by others on purpose: the agent warns (without quoting it) and runs.
  writeFileSync(config, `otlp-headers:\n  x-file-key: ${FILE_KEY}\n`);
  chmodSync(config, 0o644);
  // The collector refuses, quoting the credentials back, before it accepts.
  receiver.setMode({ kind: 'grpc-status', code: 16, message: `unknown token ${TOKEN} (authorization="${BEARER}", x-api-key=${API_KEY})` });
  const agent = startAgent(
    [
      '--config', config,
      '--log-level', 'debug',
      '--interval', '500ms',
      '--otlp-endpoint', receiver.grpcEndpoint,
      '--otlp-headers', `authorization=${BEARER},x-api-key=${API_KEY}`,
      '--data-dir', join(dir, 'data'),
    ],
    { env: { SYSMON_API_TOKEN: API_TOKEN } },
  );
  await waitFor(() => /collector refused an export for good/.test(agent.stderr()), { timeoutMs: 10_000, what: 'the refusal in the log' });
  receiver.setMode({ kind: 'ok' });
  await waitFor(() => receiver.requests.some((r) => r.reply === 'ok'), { timeoutMs: 10_000, what: 'an accepted export' });
  await receiver.stop();
  await waitFor(() => /export failed: kept in the spool/.test(agent.stderr()), { timeoutMs: 10_000, what: 'the outage in the log' });
  await receiver.start();
  await sleep(500);
  expect(await agent.terminate()).toBe(0);

  // The headers were sent: the collector saw every one.
  const headers = receiver.requests[0].headers;
  expect(headers.authorization).toBe(BEARER);
  expect(headers['x-api-key']).toBe(API_KEY);
  expect(headers['x-file-key']).toBe(FILE_KEY);
  // The log quoted the collector's message with the secrets masked.
  const log = agent.stderr();
  expect(log).toMatch(/WARN +config file \S+ holds secrets and is readable by group or others: run chmod 600/);
  expect(log).toMatch(/collector refused an export for good.*UNAUTHENTICATED: unknown token \[redacted\]/);
  for (const secret of SECRETS) expect(log, `the log holds ${secret}`).not.toContain(secret);
});

it('a world-writable config file is refused: one line, exit 2, no secret in it', () => {
  const file = join(bench.dataDir, 'shared.yaml');
  writeFileSync(file, `otlp-headers:\n  x-api-key: ${API_KEY}\n`);
  chmodSync(file, 0o666);
  const r = runCli(['run', '--config', file, '--data-dir', join(bench.dataDir, 'never')]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/^otel-sysmon: config file \S+ is writable by everyone: run chmod o-w \S+$/m);
  for (const secret of SECRETS) expect(r.stderr + r.stdout).not.toContain(secret);
});
