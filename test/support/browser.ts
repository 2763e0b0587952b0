// Debian's chromium driven by playwright-core, for the web page's tests and benchmark: a fresh
// profile, no sandbox (root in CI), nothing that reaches beyond the machine (no background
// networking, component updates, sync or QUIC). Never downloads a browser.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.SYSMON_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** A browser with its own throwaway profile, or the reason chromium could not start. */
export async function launchBrowser(options: { colorScheme?: 'light' | 'dark' } = {}): Promise<Browser | { error: string }> {
  if (!existsSync(CHROMIUM)) return { error: `${CHROMIUM} not found (apt-get install chromium)` };
  const profile = mkdtempSync(join(tmpdir(), 'sysmon-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
      colorScheme: options.colorScheme ?? 'light',
      timeout: 30_000,
    });
    return {
      context,
      async close() {
        await context.close().catch(() => undefined);
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    return { error: `chromium cannot start: ${(err as Error).message.split('\n')[0]}` };
  }
}
