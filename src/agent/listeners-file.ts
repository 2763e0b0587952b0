// <data-dir>/listeners.json: the addresses the running agent really serves (after flags, environment and
// port 0 are resolved), written once it listens and removed when it stops. The container healthcheck
// (deploy/docker/healthcheck.mjs) reads it instead of guessing from environment variables.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../builds/monitor-file.js';

export const LISTENERS_FILE = 'listeners.json';

export interface Listeners {
  readonly pid: number;
  readonly startedAt: string;
  readonly exporters: readonly string[];
  /** Base URL of the local API, or null when it does not listen. */
  readonly api: string | null;
  /** The Prometheus endpoint's /metrics URL, or null when that exporter is off. */
  readonly prometheus: string | null;
}

export function writeListenersFile(dataDir: string, listeners: Listeners): void {
  writeFileAtomic(join(dataDir, LISTENERS_FILE), JSON.stringify(listeners) + '\n');
}

export function removeListenersFile(dataDir: string): void {
  rmSync(join(dataDir, LISTENERS_FILE), { force: true });
}
