// The web page as a person sees it: Debian's chromium (playwright-core) against the BUILT agent
// (`otel-sysmon run` from dist/, listening beyond loopback behind its token, random port, temporary
// data directory), with a build wrapped by `otel-sysmon wrap` and a lease held by `otel-sysmon lease run`.
// Skipped, saying why, only when chromium cannot start.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHz } from '../../src/ui/format.js';
import { type Browser, launchBrowser } from '../support/browser.js';
import { ALWAYS_QUIET_CONFIG, type RunningCli, startCli } from '../support/cli.js';
import { sleep, waitFor } from '../helpers/wait.js';

// Callbacks passed to page.evaluate run in the browser; the test program is compiled without the DOM library.
declare const document: any;
declare function getComputedStyle(element: unknown): { backgroundColor: string };

const BUILT = existsSync(fileURLToPath(new URL('../../dist/src/web/client/app.js', import.meta.url)));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const TOKEN = 'web-page-e2e-token-0123456789';
const INTERVAL_MS = 1_000;
const env: NodeJS.ProcessEnv = { SYSMON_API_TOKEN: TOKEN };

let dir: string;
let agent: RunningCli;
let url: string;
let browser: Browser | undefined;
let skipReason = '';
let page: Page;
let build: RunningCli;
let lease: RunningCli;
const problems: string[] = [];
const responses: Response[] = [];
const requested: string[] = [];

const json = async (path: string): Promise<any> => (await fetch(url + path)).json();
const node = (code: string): string[] => [process.execPath, '-e', code];
const updates = (): Promise<number> => page.evaluate(() => Number(document.body.dataset.updates ?? 0));

/** Values of a metric's points from the agent's state JSON, keyed by `key` of their attributes. */
function points(state: any, name: string): any[] {
  return state.metrics.find((m: any) => m.name === name)?.points ?? [];
}

/** Logical CPUs from /proc/stat (independent of the agent): cpuN lines. */
function procStatCpus(): number[] {
  return [...readFileSync('/proc/stat', 'utf8').matchAll(/^cpu(\d+) /gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

describe.skipIf(!BUILT)('the web page in chromium', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sysmon-web-e2e-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        ...ALWAYS_QUIET_CONFIG,
      ].join('\n'),
      { mode: 0o600 },
    );
    // Beyond loopback (all addresses) with a configured token; the page reads without it.
    agent = startCli(
      ['run', '--config', config, '--exporter', 'none', '--api-listen', '0.0.0.0:0', '--data-dir', dir, '--interval', `${INTERVAL_MS}ms`],
      env,
      { isolated: true },
    );
    const port = (await agent.waitFor(/local API listening url=http:\/\/0\.0\.0\.0:(\d+)/, 20_000))[1];
    url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await json('/api/ui/state')).quiet?.state === 'QUIET', { what: 'a QUIET assessment', timeoutMs: 20_000 });

    build = startCli(
      ['wrap', '--api-url', url, '--name', 'page-build', '--sample-interval', '1s', '--', ...node('const end = Date.now() + 4500; while (Date.now() < end);')],
      env,
      { isolated: true },
    );
    lease = startCli(
      ['lease', 'run', '--api-url', url, '--cost', '10', '--addon', 'page-test', '--job-type', 'hold', '--', ...node('setTimeout(() => {}, 120000)')],
      env,
      { isolated: true },
    );

    const launched = await launchBrowser();
    if ('error' in launched) {
      skipReason = launched.error;
      process.stderr.write(`web page browser tests skipped: ${skipReason}\n`);
      return;
    }
    browser = launched;
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e: any) => {
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => {
      // The event stream is cut when the page goes away; anything else failing is a problem.
      if (!r.url().endsWith('/api/ui/events')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
    page.on('request', (r) => requested.push(r.url()));
    page.on('response', (r) => {
      responses.push(r);
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
    await page.goto(`${url}/`);
    await page.waitForFunction(() => Number(document.body.dataset.updates ?? 0) >= 2, null, { timeout: 20_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    // A closed browser costs the agent nothing: its stream is gone.
    if (browser) await agent.waitFor(/page event stream closed open=0/, 10_000);
    await Promise.all([build, lease].filter(Boolean).map((c) => c.stop('SIGTERM', 5_000)));
    if (agent) expect(await agent.stop('SIGTERM')).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads without console errors, CSP violations or failed requests, from this origin only, within 200 KB', async (ctx) => {
    if (!browser) return ctx.skip(skipReason);
    expect(problems).toEqual([]);
    const origin = new URL(url).origin;
    expect(requested.filter((r) => new URL(r).origin !== origin)).toEqual([]);
    // The icon the page names, and the one browsers ask for on their own.
    const icons = await page.evaluate(async () =>
      Promise.all(['/ui/favicon.svg', '/favicon.ico'].map(async (p) => {
        const r = await fetch(p);
        return `${p} ${r.status} ${r.headers.get('content-type')}`;
      })),
    );
    expect(icons).toEqual(['/ui/favicon.svg 200 image/svg+xml', '/favicon.ico 200 image/svg+xml']);
    const csp = (await page.request.get(`${url}/`)).headers()['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');

    // What crossed the wire for the page (the endless event stream aside), compressed as sent.
    let bytes = 0;
    const files: string[] = [];
    for (const r of responses) {
      if (r.url().endsWith('/api/ui/events')) continue;
      const sizes = await r.request().sizes();
      bytes += sizes.responseBodySize + sizes.responseHeadersSize;
      files.push(`${new URL(r.url()).pathname} ${sizes.responseBodySize} B ${r.headers()['content-encoding'] ?? 'identity'}`);
    }
    process.stderr.write(`page transfer: ${bytes} bytes\n  ${files.join('\n  ')}\n`);
    expect(files.some((f) => f.startsWith('/ui/uPlot.iife.min.js') && /(gzip|br)$/.test(f))).toBe(true);
    expect(bytes).toBeLessThanOrEqual(200 * 1024);
  });

  it('shows every CPU with the frequency and busy share the agent measured', async (ctx) => {
    if (!browser) return ctx.skip(skipReason);
    // The page and the agent's JSON must describe the same collection: retry until they do.
    const seen = await waitFor(
      async () => {
        const before = await page.evaluate(() => document.body.dataset.collectedAt);
        const rows = await page.$$eval('#cpu-table tbody tr', (trs) =>
          trs.map((tr) => ({
            cpu: Number(tr.getAttribute('data-cpu')),
            hz: tr.getAttribute('data-hz'),
            busy: tr.getAttribute('data-busy'),
            text: [...tr.querySelectorAll('td')].map((td) => td.textContent),
          })),
        );
        const chart = await page.$$eval('#chart-frequency .numbers tbody tr', (trs) =>
          trs.map((tr) => [tr.getAttribute('data-series'), tr.getAttribute('data-value')] as const),
        );
        const state = await json('/api/ui/state');
        const after = await page.evaluate(() => document.body.dataset.collectedAt);
        return before === after && state.collected_at === after ? { rows, chart, state } : undefined;
      },
      { what: 'the page and /api/ui/state at the same collection', timeoutMs: 20_000, intervalMs: 50 },
    );
    expect(seen.rows.map((r) => r.cpu)).toEqual(procStatCpus());
    const hz = new Map(points(seen.state, 'system.cpu.frequency').map((p) => [p.attributes['cpu.logical_number'], p.value]));
    const source = new Map(points(seen.state, 'sysmon.cpu.frequency.source').map((p) => [p.attributes['cpu.logical_number'], p.attributes.source]));
    const busy = new Map<number, number>();
    for (const p of points(seen.state, 'system.cpu.utilization')) {
      const cpu = p.attributes['cpu.logical_number'];
      if (['user', 'nice', 'system', 'interrupt'].includes(p.attributes['cpu.mode'])) busy.set(cpu, (busy.get(cpu) ?? 0) + p.value);
    }
    for (const row of seen.rows) {
      expect(Number(row.busy)).toBeCloseTo(busy.get(row.cpu)!, 9);
      expect(row.text[1]).toBe(`${(busy.get(row.cpu)! * 100).toFixed(1)}%`);
      if (hz.has(row.cpu)) {
        expect(Number(row.hz)).toBe(hz.get(row.cpu));
        expect(row.text[2]).toBe(formatHz(hz.get(row.cpu)!));
        expect(row.text[3]).toBe(source.get(row.cpu));
        expect(seen.chart).toContainEqual([`cpu ${row.cpu}`, String(hz.get(row.cpu))]);
      } else {
        expect(row.text[2]).toBe('no trustworthy value');
      }
    }
    // Each chart is drawn (a canvas) and has its numbers as text.
    for (const id of ['chart-frequency', 'chart-busy', 'chart-load', 'chart-memory']) {
      expect(await page.locator(`#${id} canvas`).count()).toBeGreaterThan(0);
      expect(await page.locator(`#${id} .numbers tbody tr`).count()).toBeGreaterThan(0);
    }
  });

  it('shows the wrapped build with its CPU and memory graph, reachable by keyboard', async (ctx) => {
    if (!browser) return ctx.skip(skipReason);
    expect(await build.exited).toBe(0);
    const finished = await waitFor(async () => (await json('/api/builds?limit=10')).builds.find((b: any) => b.name === 'page-build' && b.status === 'success'), {
      what: 'the wrapped build in /api/builds',
    });
    const { snapshots } = await json(`/api/builds/${finished.id}/snapshots`);
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    const row = page.locator(`#build-recent tr[data-build-id="${finished.id}"]`);
    await row.getByText('success').waitFor({ timeout: 10_000 });
    // Choose it with the keyboard: Tab to its button, Enter.
    const button = row.locator('button');
    await button.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      ([id, n]) => document.getElementById('build-charts')?.dataset.shown === `${id}/${n}`,
      [finished.id, snapshots.length] as const,
      { timeout: 10_000 },
    );
    expect(await button.getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('#chart-build-cpu canvas').count()).toBeGreaterThan(0);
    // Every snapshot is a row of the chart's points table, newest first.
    const cpuRows = await page.$$eval('#chart-build-cpu details tbody tr', (trs) => trs.map((tr) => tr.lastElementChild?.textContent));
    expect(cpuRows).toEqual(snapshots.map((s: any) => `${s.cpu_percent.toFixed(1)}%`).reverse());
    const latest = await page.getAttribute('#chart-build-cpu .numbers tbody tr', 'data-value');
    expect(Number(latest)).toBe(snapshots.at(-1).cpu_percent);
    // The row carries the build's figures as the API gives them.
    const cells = await row.locator('td').allTextContents();
    expect(cells[4]).toBe(finished.cpu_seconds.toFixed(1));
  });

  it('shows the granted lease', async (ctx) => {
    if (!browser) return ctx.skip(skipReason);
    const held = await waitFor(async () => (await json('/api/scheduler/status')).active.find((l: any) => l.addon_id === 'page-test'), {
      what: 'the lease in /api/scheduler/status',
      timeoutMs: 20_000,
    });
    const row = page.locator(`#scheduler tr[data-lease="${held.lease_id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.locator('td').allTextContents()).toEqual(expect.arrayContaining(['page-test', 'hold', '10']));
  });

  it('follows the event stream: a new collection reaches the page before the next two are over, without polling', async (ctx) => {
    if (!browser) return ctx.skip(skipReason);
    const start = await page.evaluate(() => document.body.dataset.collectedAt!);
    // The page's stream lives in a shared worker: the agent's log tells its opening.
    const streams = () => agent.stderr().match(/page event stream opened/g)?.length ?? 0;
    const streamsBefore = streams();
    const count = (path: string) => requested.filter((r) => new URL(r).pathname === path).length;
    const statesBefore = count('/api/ui/state');
    const streaksBefore = count('/api/system-stats/quiet-streaks');
    // Collections the agent made after the one the page showed, as its JSON reports them.
    const newer: string[] = [];
    await waitFor(
      async () => {
        const at = (await json('/api/ui/state')).collected_at as string;
        if (at > start && !newer.includes(at)) newer.push(at);
        return newer.length >= 2;
      },
      { what: 'two more collections', timeoutMs: 20_000, intervalMs: 100 },
    );
    // By the end of the second one, the page shows at least the first.
    await sleep(200);
    const shown = await page.evaluate(() => document.body.dataset.collectedAt!);
    expect(shown >= newer[0]).toBe(true);
    expect(streams()).toBe(streamsBefore);
    expect(count('/api/ui/state')).toBe(statesBefore);
    // The quiet state stayed QUIET (always-quiet config): no new streaks; health comes with the stream.
    expect(count('/api/system-stats/quiet-streaks')).toBe(streaksBefore);
    expect(count('/api/system-stats/health')).toBe(0);
    // The open streak runs on between fetches: the page's figures are the agent's, moved to its own time.
    const figures = await page.evaluate(() => ({ ...document.getElementById('quiet-streaks')!.dataset }));
    const streaks = await json('/api/system-stats/quiet-streaks?range=24h');
    const later = (Date.parse(streaks.to) - Date.parse(figures.to!)) / 1000;
    expect(Number(figures.count)).toBe(streaks.count);
    expect(Math.abs(Number(figures.quietSec) + later - streaks.quiet_sec)).toBeLessThanOrEqual(1);
    expect(Math.abs(Number(figures.longestSec) + later - streaks.longest_sec)).toBeLessThanOrEqual(1);
    const health = (await json('/api/system-stats/health')) as { status: string; reasons: string[] };
    expect(await page.textContent('#health-status .badge')).toBe(`health: ${health.status}`);
    expect(await page.$$eval('#health-status li', (lis) => lis.map((li) => li.textContent))).toEqual(health.reasons);
    expect(problems).toEqual([]);
  });

  it("shares one event stream among the browser's tabs", async (ctx) => {
    if (!browser) return ctx.skip(skipReason);
    const opened = () => agent.stderr().match(/page event stream opened/g)?.length ?? 0;
    const streams = () => [...agent.stderr().matchAll(/page event stream \w+.*open=(\d+)/g)].map((m) => Number(m[1]));
    expect(opened()).toBe(1);
    const second = await browser.context.newPage();
    try {
      await second.goto(`${url}/`);
      await second.waitForFunction(() => Number(document.body.dataset.updates ?? 0) >= 2, null, { timeout: 20_000 });
      // The second tab follows the collections through the first one's stream.
      expect(await second.evaluate(() => document.body.dataset.collectedAt)).toBe(await page.evaluate(() => document.body.dataset.collectedAt));
      expect(opened()).toBe(1);
      expect(streams().at(-1)).toBe(1);
    } finally {
      await second.close();
    }
    // The first tab still follows; its stream stays open.
    const n = await updates();
    await page.waitForFunction((k) => Number(document.body.dataset.updates) > k, n, { timeout: 10_000 });
    expect(streams().at(-1)).toBe(1);
  });

  it('follows the colour scheme; screenshots go to test-artifacts/', async (ctx) => {
    if (!browser) return ctx.skip(skipReason);
    mkdirSync(ARTIFACTS, { recursive: true });
    const backgrounds: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const n = await updates();
      await page.waitForFunction((k) => Number(document.body.dataset.updates) > k, n, { timeout: 10_000 });
      backgrounds.push(await page.evaluate(() => getComputedStyle(document.body).backgroundColor));
      const file = join(ARTIFACTS, `web-page-${colorScheme}.png`);
      await page.screenshot({ path: file, fullPage: true });
      process.stderr.write(`screenshot: ${file}\n`);
    }
    expect(backgrounds).toEqual(['rgb(255, 255, 255)', 'rgb(13, 17, 23)']);
    expect(problems).toEqual([]);
  });
});
