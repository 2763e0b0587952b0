// Fault 2: the agent is killed with SIGKILL during an outage and started again on the same data
// directory: what it had spooled arrives, in order, and the restarted agent's cumulative series carry
// a new start time.
import { expect, it } from 'vitest';
import { decodeMetricsRequest } from '../../src/otlp/proto.js';
import { openStore, storePath } from '../../src/store/store.js';
import { flattenMetrics, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { arrivals, faultBench, largestGap, startAgent } from './agent-cli.js';

const INTERVAL_MS = 500;
const bench = faultBench('kill9');

/** Collection times (ms) of the requests in the spool, read straight from the store file. */
function spooledCollections(dataDir: string): number[] {
  const db = openStore(storePath(dataDir));
  try {
    const rows = db.prepare('SELECT body FROM export_spool ORDER BY created_at, id').all() as { body: Buffer }[];
    return rows.map((r) => {
      let max = 0n;
      for (const m of flattenMetrics([decodeMetricsRequest(r.body)])) for (const p of m.points) if (p.timeUnixNano > max) max = p.timeUnixNano;
      return Number(max / 1_000_000n);
    });
  } finally {
    db.close();
  }
}

function startTimes(receiver: OtlpReceiver, name: string): bigint[] {
  return [...new Set(flattenMetrics(receiver.requests).filter((m) => m.name === name).map((m) => m.points[0].startTimeUnixNano))].sort();
}

it('SIGKILL during an outage, then a restart: the spooled collections arrive, in order', { timeout: 45_000 }, async () => {
  const { receiver, dataDir } = bench;
  const args = ['--interval', `${INTERVAL_MS}ms`, '--otlp-endpoint', receiver.grpcEndpoint, '--data-dir', dataDir];
  const first = startAgent(args);
  await receiver.waitForRequests(2, 10_000);
  const liveBefore = arrivals(receiver.requests).distinct;
  await receiver.stop();
  await sleep(4000);
  expect(first.stderr()).toMatch(/export failed: kept in the spool for retry/);
  await first.kill9();

  const spooled = spooledCollections(dataDir);
  console.log(`spooled at SIGKILL: ${spooled.length} requests`);
  expect(spooled.length).toBeGreaterThanOrEqual(6);
  // The spool holds the outage without a hole: from the last delivered collection to the kill.
  expect(largestGap([liveBefore[liveBefore.length - 1], ...spooled])).toBeLessThan(1.5 * INTERVAL_MS);

  await receiver.start();
  const second = startAgent(args);
  await waitFor(() => spooled.every((t) => arrivals(receiver.requests).distinct.includes(t)), {
    timeoutMs: 15_000,
    what: 'the spooled collections from before the SIGKILL',
  });
  await waitFor(() => arrivals(receiver.requests).distinct.some((t) => t > spooled[spooled.length - 1] + 2000), {
    timeoutMs: 10_000,
    what: 'live exports from the restarted agent',
  });
  expect(await second.terminate()).toBe(0);
  expect(second.stderr()).toMatch(/replaying spooled exports from a previous run requests=\d+/);

  const { inArrivalOrder, duplicates } = arrivals(receiver.requests);
  const replayed = inArrivalOrder.filter((t) => spooled.includes(t));
  expect(replayed).toEqual(spooled);
  // At most the request in flight when the collector went away (its answer may have been lost).
  expect(duplicates).toBeLessThanOrEqual(1);

  // Cumulative series: the first run's points keep its start time, the restarted agent starts anew.
  const starts = startTimes(receiver, 'system.cpu.time');
  expect(starts).toHaveLength(2);
  expect(Number(starts[1] / 1_000_000n)).toBeGreaterThan(spooled[spooled.length - 1]);
});
