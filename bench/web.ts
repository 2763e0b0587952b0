// The web page's cost to the agent: two agents side by side, the same configuration, one with two
// pages open in Debian's chromium (each a live event stream plus the page's follow-up reads), the
// other with none. The pages swap agents every round, so a difference between the two processes
// cancels out; CPU comes from each thread's schedstat. Skipped with the reason when chromium cannot start.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/support/browser.js';
import { fmt, median, procThreadTimes, threadCpuBetween } from './stats.js';
import type { Benchmark } from './types.js';

// The page.waitForFunction callback runs in the browser; the benchmarks compile without the DOM library.
declare const document: any;

/** The default interval, as users run it; rounds long enough for several collections each. */
const INTERVAL = process.env.BENCH_WEB_INTERVAL ?? '10s';
const WARM_UP_MS = 20_000;
/**
 * From opening the pages to measuring: the minute after a page load carries that load's own work (about
 * twenty requests, then the compiler and the garbage collector catching up), not what an open page costs.
 */
const SETTLE_MS = Number(process.env.BENCH_WEB_SETTLE_MS ?? 60_000);
const ROUND_MS = Number(process.env.BENCH_WEB_ROUND_MS ?? 60_000);
const ROUNDS = 6;

interface Agent {
  readonly pid: number;
  readonly url: string;
  stop(): void;
}

function startAgent(root: string, dataDir: string): Promise<Agent> {
  const child = spawn(
    process.execPath,
    [join(root, 'bin/otel-sysmon.js'), 'run', '--exporter', 'none', '--interval', INTERVAL, '--api-listen', '127.0.0.1:0', '--data-dir', dataDir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`agent did not start:\n${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /local API listening url=(\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        child.stderr!.removeAllListeners('data');
        child.stderr!.resume();
        resolve({ pid: child.pid!, url: m[1], stop: () => child.kill('SIGKILL') });
      }
    });
    child.once('exit', (code) => reject(new Error(`agent exited ${code}:\n${err}`)));
  });
}

async function openOn(pages: readonly Page[], url: string): Promise<void> {
  await Promise.all(pages.map((p) => p.goto(`${url}/`)));
  // A function, not a string: the page's CSP forbids eval, which string predicates need.
  await Promise.all(pages.map((p) => p.waitForFunction(() => Number(document.body.dataset.updates ?? 0) >= 1, null, { timeout: 20_000 })));
}

const benchmark: Benchmark = {
  name: 'web',
  description: 'agent CPU with two web pages open against none (side by side, pages swapping agents each round)',
  async run() {
    if (process.platform !== 'linux') {
      process.stdout.write('needs /proc: skipped on this platform\n');
      return;
    }
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const browser = await launchBrowser();
    if ('error' in browser) {
      process.stdout.write(`skipped: ${browser.error}\n`);
      return;
    }
    const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'sysmon-bench-web-')));
    const agents: Agent[] = [];
    try {
      agents.push(...(await Promise.all(dirs.map((d) => startAgent(root, d)))));
      const pages = [await browser.context.newPage(), await browser.context.newPage()];
      await openOn(pages, agents[0].url);
      await sleep(WARM_UP_MS);
      const withPages: number[] = [];
      const without: number[] = [];
      const ratios: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const watched = round % 2;
        await openOn(pages, agents[watched].url);
        await sleep(SETTLE_MS);
        const start = agents.map((a) => procThreadTimes(a.pid));
        await sleep(ROUND_MS);
        const used = agents.map((a, i) => {
          const { main, others } = threadCpuBetween(a.pid, start[i], procThreadTimes(a.pid));
          return main + others;
        });
        withPages.push(used[watched]);
        without.push(used[1 - watched]);
        ratios.push(used[watched] / used[1 - watched]);
        process.stdout.write(
          `round ${round + 1}: pages on agent ${watched + 1}: ${fmt(used[watched], 4)} s CPU with two pages, ` +
            `${fmt(used[1 - watched], 4)} s with none over ${ROUND_MS / 1000} s (ratio ${fmt(used[watched] / used[1 - watched])})\n`,
        );
      }
      const pct = (s: number): string => `${fmt((s / (ROUND_MS / 1000)) * 100, 2)}% of a core`;
      process.stdout.write(
        `agent CPU at a ${INTERVAL} interval: two pages open ${pct(median(withPages))}, none ${pct(median(without))} (medians of ${ROUNDS} rounds); ` +
          `ratio with/without: median ${fmt(median(ratios))}, range ${fmt(Math.min(...ratios))}-${fmt(Math.max(...ratios))} (target <= 1.10)\n`,
      );
    } finally {
      await browser.close();
      for (const a of agents) a.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  },
};

export default benchmark;
