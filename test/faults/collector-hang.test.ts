// Fault 3: a collector that accepts connections and never answers. Collections keep their 1 s cadence
// (jitter under 100 ms, measured from the received collection timestamps), one request at a time
// waits for the collector, and the agent's RSS stays under a stated bound.
import { expect, it } from 'vitest';
import { sleep } from '../helpers/wait.js';
import { arrivals, faultBench, startAgent, waitForDrained } from './agent-cli.js';

const INTERVAL_MS = 1000;
const HANG_MS = 20_000;
const EXPORT_TIMEOUT_MS = 2000;
/** The stated bound: a Node.js agent with gRPC, SQLite and the SDK runs at ~110-125 MiB here. */
const RSS_BOUND_KIB = 200 * 1024;
/** And what the hang may add on top of the RSS at its start (it holds one request, the rest is on disk). */
const RSS_GROWTH_BOUND_KIB = 30 * 1024;

const bench = faultBench('hang');

it('collector that never answers: collections on time, one request waiting, RSS bounded', { timeout: 60_000 }, async () => {
  const { receiver, dataDir } = bench;
  const agent = startAgent([
    '--interval', '1s',
    '--export-timeout', `${EXPORT_TIMEOUT_MS}ms`,
    '--otlp-endpoint', receiver.grpcEndpoint,
    '--data-dir', dataDir,
  ]);
  await receiver.waitForRequests(3, 10_000);
  receiver.setMode({ kind: 'hang' });
  const hangFrom = receiver.requests.length;
  const rss: number[] = [];
  for (let elapsed = 0; elapsed < HANG_MS; elapsed += 1000) {
    rss.push(agent.rssKiB());
    await sleep(1000);
  }
  rss.push(agent.rssKiB());
  const hungRequests = receiver.requests.length - hangFrom;
  receiver.setMode({ kind: 'ok' });
  const upAt = Date.now();
  await waitForDrained(receiver, upAt, 20_000);
  expect(await agent.terminate()).toBe(0);

  const { distinct } = arrivals(receiver.requests);
  // The last collection is the one SIGTERM asks for, off the cadence by design.
  const cadence = distinct.slice(0, -1);
  const steps = cadence.slice(1).map((t, i) => t - cadence[i]);
  const jitter = Math.max(...steps.map((s) => Math.abs(s - INTERVAL_MS)));
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  console.log(
    `hang ${HANG_MS} ms: ${hungRequests} request(s) reached the hung collector; ${distinct.length} collections received; ` +
      `max jitter ${jitter} ms; RSS ${mib(rss[0])} -> ${mib(rss[rss.length - 1])} MiB (max ${mib(Math.max(...rss))})`,
  );
  // Collections kept their cadence (and none was skipped) while exports hung.
  expect(distinct.filter((t) => t > upAt - HANG_MS && t < upAt).length).toBeGreaterThanOrEqual(HANG_MS / INTERVAL_MS - 2);
  expect(jitter).toBeLessThan(100);
  // One request in flight, each held until the export timeout: no pile-up of calls on the collector.
  expect(hungRequests).toBeLessThanOrEqual(Math.ceil(HANG_MS / EXPORT_TIMEOUT_MS) + 1);
  expect(Math.max(...rss)).toBeLessThan(RSS_BOUND_KIB);
  expect(rss[rss.length - 1] - rss[0]).toBeLessThan(RSS_GROWTH_BOUND_KIB);
  expect(agent.stderr()).toMatch(/reason=timeout/);
});
