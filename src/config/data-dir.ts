// The data directory is checked once, at start: created if missing, then proven writable. A directory
// the process cannot use is one line naming --data-dir (exit status 2), not an EACCES from deep inside
// the first module that happens to write there.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './load.js';

const WHY: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only filesystem',
  ENOSPC: 'no space left on the filesystem',
  ENOTDIR: 'a path component is not a directory',
  EEXIST: 'exists and is not a directory',
  ENOENT: 'a path component does not exist',
};

/** The one line for an environment error about the data directory (or a file in it). */
export function dataDirError(dir: string, what: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code ? `${code}: ${WHY[code] ?? (err as Error).message}` : (err as Error).message;
  return new ConfigError(
    `invalid data-dir=${JSON.stringify(dir)}: ${what} (${why}); choose a writable directory with --data-dir (or SYSMON_DATA_DIR) or fix its owner and permissions`,
  );
}

/** Creates `dir` if needed and checks that files can be created in it. */
export function prepareDataDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw dataDirError(dir, 'cannot create it', err);
  }
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (err) {
    throw dataDirError(dir, 'cannot create files in it', err);
  }
  return dir;
}
