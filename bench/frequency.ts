// CPU per frequency collection on a generated 64-CPU host tree with sysfs cpufreq (the chain
// sysfs, perf, cpuinfo as configured by default; perf is skipped there since the tree is not live).
// Target: under 1 ms of CPU per collection.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HostCollection } from '../src/collectors/collect.js';
import { createFrequencySources, FrequencyCollector } from '../src/collectors/frequency/index.js';
import { onlineCpus } from '../src/collectors/linux/procstat.js';
import type { HostPaths } from '../src/collectors/types.js';
import { cpuMs, fmt, median, percentile } from './stats.js';
import type { Benchmark } from './types.js';

const CPUS = 64;
const ROUNDS = 25;
const PER_ROUND = 200;
const TARGET_MS = 1;

/** A node_exporter-style tree: online list, one policy per CPU linked from cpuN/cpufreq as Linux 4.4+ does, /proc/stat and cpuinfo. */
function generateTree(root: string): HostPaths {
  const write = (relative: string, text: string): void => {
    const file = join(root, relative);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  write('sys/devices/system/cpu/online', `0-${CPUS - 1}\n`);
  const stat = ['cpu  0 0 0 0 0 0 0 0 0 0'];
  const cpuinfo: string[] = [];
  for (let cpu = 0; cpu < CPUS; cpu++) {
    const khz = 1_200_000 + ((cpu * 37_000) % 2_400_000);
    write(`sys/devices/system/cpu/cpufreq/policy${cpu}/scaling_cur_freq`, `${khz}\n`);
    mkdirSync(join(root, `sys/devices/system/cpu/cpu${cpu}`), { recursive: true });
    symlinkSync(`../cpufreq/policy${cpu}`, join(root, `sys/devices/system/cpu/cpu${cpu}/cpufreq`));
    stat.push(`cpu${cpu} 1000 0 500 90000 10 0 20 0 0 0`);
    cpuinfo.push(`processor\t: ${cpu}\nmodel name\t: Bench CPU @ 2.40GHz\ncpu MHz\t\t: ${khz / 1000}\n`);
  }
  write('proc/stat', [...stat, 'procs_running 1', 'procs_blocked 0', ''].join('\n'));
  write('proc/cpuinfo', cpuinfo.join('\n'));
  return { procfs: join(root, 'proc'), sysfs: join(root, 'sys'), rootfs: root, live: false };
}

const benchmark: Benchmark = {
  name: 'frequency',
  description: `CPU per frequency collection, ${CPUS} CPUs with sysfs cpufreq (target < ${TARGET_MS} ms)`,
  async run() {
    const root = mkdtempSync(join(tmpdir(), 'sysmon-bench-freq-'));
    try {
      const paths = generateTree(root);
      const sources = createFrequencySources(['sysfs', 'perf', 'cpuinfo'], { paths, explicit: false, platform: 'linux' });
      const chain = new FrequencyCollector(sources, onlineCpus);
      const host = new HostCollection({ paths, collectors: [chain] });
      for (let i = 0; i < 200; i++) await host.collect();
      const served = chain.lastReports().filter((r) => r.series === 'sysfs').length;
      if (served !== CPUS) throw new Error(`expected sysfs (policyN layout) to serve ${CPUS} CPUs, it served ${served}`);
      const perRound: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const c0 = cpuMs();
        for (let i = 0; i < PER_ROUND; i++) await host.collect();
        perRound.push((cpuMs() - c0) / PER_ROUND);
      }
      host.close();
      const med = median(perRound);
      process.stdout.write(
        `frequency collection, ${CPUS} CPUs: CPU ${fmt(med)} ms median (p90 ${fmt(percentile(perRound, 90))} ms) ` +
          `over ${ROUNDS} rounds x ${PER_ROUND}; target < ${TARGET_MS} ms: ${med < TARGET_MS ? 'met' : 'MISSED'}\n` +
          '(fixture files are regular files, opened and closed on every read; a live sysfs keeps them open)\n',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
};

export default benchmark;
