// `npm run bench [-- name ...]`: runs the benchmarks in one process, one after the other.
import type { Benchmark } from './types.js';

const MODULES = ['collection', 'footprint', 'host-sources', 'frequency', 'api', 'wrap', 'scheduler', 'bridge', 'bridge-memory', 'web'] as const;

const wanted = process.argv.slice(2);
let failures = 0;
for (const name of MODULES) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const bench = ((await import(`./${name}.js`)) as { default: Benchmark }).default;
  process.stdout.write(`\n=== ${bench.name}: ${bench.description}\n`);
  try {
    await bench.run();
  } catch (err) {
    failures++;
    process.stdout.write(`benchmark ${bench.name} failed: ${(err as Error).stack ?? String(err)}\n`);
  }
}
process.exit(failures ? 1 : 0);
