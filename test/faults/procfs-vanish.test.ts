// Fault 5: procfs files vanish or turn unreadable while the agent runs (--procfs points at a temp copy
// of a fixture tree; the fixtures themselves are never touched). Errors are counted, nothing crashes,
// the other collectors keep reporting, and the metrics come back when the files do.
import { chmodSync, chownSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { flattenMetrics, type ReceivedRequest } from '../helpers/otlp-receiver.js';
import { waitFor } from '../helpers/wait.js';
import { faultBench, lastValue, startAgent } from './agent-cli.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/vm/', import.meta.url));
// root reads a chmod 000 file anyway: a root test run starts the agent as nobody.
const AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

const bench = faultBench('vanish');
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sysmon-vanish-'));
  cpSync(FIXTURE, root, { recursive: true, verbatimSymlinks: true });
  chmodSync(root, 0o755);
  if (AS_ROOT) chownSync(bench.dataDir, NOBODY, NOBODY);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const FIXTURE_FREE_KIB = Number(/^MemFree:\s+(\d+) kB$/m.exec(readFileSync(join(FIXTURE, 'proc/meminfo'), 'utf8'))![1]);
const RESTORED_FREE_KIB = FIXTURE_FREE_KIB - 4096;

function memoryFree(requests: readonly ReceivedRequest[]): number | undefined {
  return lastValue(requests, 'system.memory.usage', { 'system.memory.state': 'free' });
}

it('procfs files vanishing or turning unreadable: counted, no crash, recovery when they return', { timeout: 45_000 }, async () => {
  const { receiver, dataDir } = bench;
  const proc = join(root, 'proc');
  const agent = startAgent(
    ['--interval', '500ms', '--procfs', proc, '--sysfs', join(root, 'sys'), '--otlp-endpoint', receiver.grpcEndpoint, '--data-dir', dataDir],
    { uid: AS_ROOT ? NOBODY : undefined },
  );
  await receiver.waitForRequests(2, 10_000);
  expect(memoryFree(receiver.requests)).toBe(FIXTURE_FREE_KIB * 1024);

  rmSync(join(proc, 'meminfo'));
  chmodSync(join(proc, 'loadavg'), 0o000);
  const faultFrom = receiver.requests.length;
  await waitFor(() => receiver.requests.length >= faultFrom + 4, { timeoutMs: 10_000, what: 'collections during the fault' });
  expect(agent.child.exitCode, agent.stderr()).toBeNull();

  // The file comes back with other contents, so fresh values are told apart from old ones.
  const meminfo = readFileSync(join(FIXTURE, 'proc/meminfo'), 'utf8');
  writeFileSync(join(proc, 'meminfo'), meminfo.replace(/^MemFree:\s+\d+ kB$/m, `MemFree: ${RESTORED_FREE_KIB} kB`), { mode: 0o644 });
  chmodSync(join(proc, 'loadavg'), 0o644);
  const restoredFrom = receiver.requests.length;
  await waitFor(() => receiver.requests.length >= restoredFrom + 3, { timeoutMs: 10_000, what: 'collections after the restore' });
  expect(await agent.terminate()).toBe(0);

  // Counted: one error per collection and failing collector while the files are gone; the rest report.
  const during = receiver.requests.slice(faultFrom + 1, restoredFrom);
  const errors = (r: ReceivedRequest, collector: string) => lastValue([r], 'sysmon.collector.errors', { collector })!;
  for (let i = 1; i < during.length; i++) {
    expect(errors(during[i], 'memory')).toBe(errors(during[i - 1], 'memory') + 1);
    expect(errors(during[i], 'load')).toBe(errors(during[i - 1], 'load') + 1);
    expect(errors(during[i], 'cpu')).toBe(0);
    const names = flattenMetrics([during[i]]).map((m) => m.name);
    expect(names).toContain('system.cpu.time');
    // No stale repeats of the last values while the sources are gone.
    expect(names).not.toContain('system.memory.usage');
    expect(names).not.toContain('system.cpu.load_average.1m');
  }

  // Recovered: fresh values from the restored file, and the error counters stop.
  const after = receiver.requests.slice(restoredFrom + 1);
  expect(memoryFree(after)).toBe(RESTORED_FREE_KIB * 1024);
  expect(errors(after[after.length - 1], 'memory')).toBe(errors(after[0], 'memory'));
  expect(errors(after[after.length - 1], 'load')).toBe(errors(after[0], 'load'));

  const log = agent.stderr();
  expect(log).toMatch(/collector failed collector=memory error=\S*meminfo: not found/);
  expect(log).toMatch(/collector failed collector=load error=\S*loadavg: permission denied/);
  expect(log).toMatch(/collector recovered collector=memory/);
  expect(log).toMatch(/collector recovered collector=load/);
  // Logged once per distinct error, not once per collection.
  expect(log.match(/collector failed collector=memory/g)).toHaveLength(1);
});
