// wrap's process-tree sampler: CPU time per sample for a tree of 50 processes, as a share of one
// core at the 1 s sampling interval (target < 1 %). Linux only (procfs).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ProcessTree } from '../src/builds/proc-tree.js';
import { TreeMeter } from '../src/builds/tree-meter.js';
import { median } from './stats.js';
import type { Benchmark } from './types.js';

const ROUNDS = 7;
const SAMPLES_PER_ROUND = 40;

/** A shell, 5 subshells with 9 sleepers each and 4 more sleepers: 1 + 5 + 45 + 4 = 55 processes. */
const TREE_SCRIPT =
  'for g in 1 2 3 4 5; do (for s in 1 2 3 4 5 6 7 8 9; do sleep 120 & done; wait) & done; ' +
  'for s in 1 2 3 4; do sleep 120 & done; wait';

async function run(): Promise<void> {
  if (process.platform !== 'linux') {
    console.log('wrap sampler: skipped (needs Linux procfs)');
    return;
  }
  const root = spawn('/bin/sh', ['-c', TREE_SCRIPT], { stdio: 'ignore', detached: true });
  try {
    const tree = new ProcessTree();
    // Wait (bounded, 10 s) until the whole tree exists.
    const deadline = performance.now() + 10_000;
    let size = 0;
    while (performance.now() < deadline) {
      size = tree.sample(root.pid!).pids.length;
      if (size >= 50) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const meter = new TreeMeter(tree);
    const perSampleMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = process.cpuUsage();
      for (let i = 0; i < SAMPLES_PER_ROUND; i++) meter.read(root.pid!);
      const used = process.cpuUsage(before);
      perSampleMs.push((used.user + used.system) / 1000 / SAMPLES_PER_ROUND);
      await new Promise((r) => setTimeout(r, 20));
    }
    const med = median(perSampleMs);
    console.log(
      `wrap sampler: tree of ${size} processes: median ${med.toFixed(2)} ms CPU per sample ` +
        `(rounds ${perSampleMs.map((x) => x.toFixed(2)).join(', ')}) = ${(med / 10).toFixed(3)} % of one core at 1 s (target < 1 %)`,
    );
  } finally {
    process.kill(-root.pid!, 'SIGKILL');
  }
}

const benchmark: Benchmark = {
  name: 'wrap',
  description: "wrap's process-tree sampler cost for a 50-process tree at a 1 s interval",
  run,
};
export default benchmark;
