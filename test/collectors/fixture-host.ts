// Test helpers: host paths for the fixture trees under test/fixtures, one-collection runs through
// HostCollection, and point lookup by exact attributes.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MetricName } from '../../src/catalogue.js';
import { HostCollection } from '../../src/collectors/collect.js';
import type { Attributes, Collection, Collector, HostPaths, Point } from '../../src/collectors/types.js';
import type { Logger } from '../../src/log.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function hostPaths(root: string): HostPaths {
  return { procfs: join(root, 'proc'), sysfs: join(root, 'sys'), rootfs: root, live: false };
}

export function fixturePaths(name: string): HostPaths {
  return hostPaths(join(FIXTURES, name));
}

/** A writable copy of a fixture tree (symlinks kept); removed by the returned cleanup. */
export function copyFixture(name: string): { root: string; paths: HostPaths; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), `sysmon-${name}-`));
  cpSync(join(FIXTURES, name), root, { recursive: true, verbatimSymlinks: true });
  return { root, paths: hostPaths(root), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function hostCollection(paths: HostPaths, collectors: Collector[], log?: Logger): HostCollection {
  return new HostCollection({ paths, collectors, log });
}

export async function collectOnce(paths: HostPaths, collectors: Collector[]): Promise<Collection> {
  return hostCollection(paths, collectors).collect();
}

export function points(c: Collection, metric: MetricName): Point[] {
  return c.points.get(metric) ?? [];
}

function sameAttributes(a: Attributes, b: Attributes): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** The value of the point with exactly these attributes, or undefined. */
export function valueOf(c: Collection, metric: MetricName, attributes: Attributes = {}): number | undefined {
  return points(c, metric).find((p) => sameAttributes(p.attributes, attributes))?.value;
}

/** A logger that keeps its lines (for "logged once per distinct error"). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), redact: () => {} };
}
