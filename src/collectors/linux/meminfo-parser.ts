// Pure parser for /proc/meminfo: the few fields the memory collector needs, in bytes.
import { MalformedSourceError } from '../collect.js';
import { findLineValue, restOfLine } from './text-fields.js';

export interface MemInfo {
  readonly total: number;
  readonly free: number;
  /** undefined on kernels before 3.14, which have no MemAvailable line. */
  readonly available: number | undefined;
  readonly buffers: number;
  readonly cached: number;
  readonly sReclaimable: number;
  /** Shmem; undefined on kernels before 2.6.32. */
  readonly shmem: number | undefined;
  /** SUnreclaim; undefined on kernels before 2.6.19. */
  readonly sUnreclaim: number | undefined;
}

export function parseMeminfo(text: string, file = '/proc/meminfo'): MemInfo {
  const required = (key: string): number => {
    const value = field(text, key, file);
    if (value === undefined) throw new MalformedSourceError(file, `no ${key} line (truncated file?)`);
    return value;
  };
  const total = required('MemTotal');
  if (total === 0) throw new MalformedSourceError(file, 'MemTotal is 0');
  return {
    total,
    free: required('MemFree'),
    available: field(text, 'MemAvailable', file),
    buffers: required('Buffers'),
    cached: required('Cached'),
    sReclaimable: field(text, 'SReclaimable', file) ?? 0,
    shmem: field(text, 'Shmem', file),
    sUnreclaim: field(text, 'SUnreclaim', file),
  };
}

/** A "Key:   123 kB" line in bytes, or undefined when the key is absent. */
function field(text: string, key: string, file: string): number | undefined {
  const at = findLineValue(text, key, ':');
  if (at < 0) return undefined;
  const value = restOfLine(text, at).trim();
  const space = value.indexOf(' ');
  const digits = space < 0 ? value : value.slice(0, space);
  const unit = space < 0 ? '' : value.slice(space + 1).trim();
  if (!/^\d+$/.test(digits) || unit !== 'kB') {
    throw new MalformedSourceError(file, `${key}: expected "<number> kB", found "${value}"`);
  }
  return Number(digits) * 1024;
}
