// Fault 4: the spool reaches --spool-max-bytes during an outage. The oldest requests are dropped and
// counted in sysmon.export.dropped{reason=spool_bytes}, the newest are kept and delivered: every
// collection is either received or counted as dropped.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { flattenMetrics } from '../helpers/otlp-receiver.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { arrivals, collectionsLogged, faultBench, largestGap, lastValue, startAgent, waitForDrained } from './agent-cli.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/vm/', import.meta.url));
const INTERVAL_MS = 250;
const MAX_BYTES = 40 * 1024;
const bench = faultBench('cap');

it('spool cap reached: the oldest are dropped and counted, the newest kept and delivered', { timeout: 45_000 }, async () => {
  const { receiver, dataDir } = bench;
  await receiver.stop();
  const agent = startAgent([
    '--interval', `${INTERVAL_MS}ms`,
    // A fixture host: the same request size on every machine.
    '--procfs', join(FIXTURE, 'proc'),
    '--sysfs', join(FIXTURE, 'sys'),
    '--spool-max-bytes', `${MAX_BYTES}`,
    '--otlp-endpoint', receiver.grpcEndpoint,
    '--data-dir', dataDir,
  ]);
  await waitFor(() => /export spool full/.test(agent.stderr()), { timeoutMs: 20_000, what: 'the spool to fill up' });
  await sleep(1500);
  await receiver.start();
  const upAt = Date.now();
  // Until the breaker's next probe (at most 5 s) newer collections keep pushing older ones out.
  await waitForDrained(receiver, upAt, 20_000);
  expect(await agent.terminate()).toBe(0);

  const collections = collectionsLogged(agent.stderr());
  const { distinct, duplicates } = arrivals(receiver.requests);
  const dropped = lastValue(receiver.requests, 'sysmon.export.dropped', { reason: 'spool_bytes' })!;
  // The spool's size as the agent reported it with each collection (delivered later, for the outage).
  const spoolBytes = flattenMetrics(receiver.requests)
    .filter((m) => m.name === 'sysmon.export.spool.bytes')
    .map((m) => m.points[0].value);
  console.log(
    `cap ${MAX_BYTES} B: ${collections} collections, ${dropped} dropped (spool_bytes), ${distinct.length} received, ` +
      `${duplicates} duplicate(s), spool at most ${Math.max(...spoolBytes)} B`,
  );
  expect(dropped).toBeGreaterThan(0);
  // Every collection is accounted for: received, or dropped and counted.
  expect(distinct.length + dropped).toBe(collections);
  // The kept ones are the newest: what arrived is one unbroken run of collections up to the end. A slot
  // the agent skips under CPU load (the cadence skips rather than bunches) leaves one two-interval gap;
  // the accounting above is the exact check that nothing was lost in the middle.
  expect(largestGap(distinct)).toBeLessThan(2.5 * INTERVAL_MS);
  expect(Math.max(...spoolBytes)).toBeLessThanOrEqual(MAX_BYTES);
  expect(Math.max(...spoolBytes)).toBeGreaterThan(MAX_BYTES / 2);
  expect(agent.stderr()).toMatch(/export spool full \(--spool-max-bytes\): dropped the oldest requests dropped=\d+/);
});
