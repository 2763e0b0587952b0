// Pure parser for /proc/diskstats (Documentation/ABI/testing/procfs-diskstats): per block device the
// completed, merged and timed reads and writes. Sectors are always 512 bytes there, whatever the device.
import { MalformedSourceError } from '../collect.js';

export const SECTOR_BYTES = 512;

export interface DiskStats {
  readonly device: string;
  readonly readsCompleted: number;
  readonly readsMerged: number;
  readonly sectorsRead: number;
  readonly readMs: number;
  readonly writesCompleted: number;
  readonly writesMerged: number;
  readonly sectorsWritten: number;
  readonly writeMs: number;
  readonly inProgress: number;
  /** Milliseconds the device had I/O in flight (field 13: wall time, parallel requests counted once). */
  readonly ioMs: number;
}

/** Every device line; kernels before 4.18 have 14 columns, later ones 18 or 20 (discard, flush). */
export function parseDiskstats(text: string, file = '/proc/diskstats'): DiskStats[] {
  const out: DiskStats[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    if (f.length < 14) throw new MalformedSourceError(file, `line ${i + 1}: expected at least 14 columns, found ${f.length}`);
    const n = (k: number): number => {
      const v = f[k];
      if (!/^\d+$/.test(v)) throw new MalformedSourceError(file, `line ${i + 1} (${f[2]}): column ${k + 1} expected a number, found "${v}"`);
      return Number(v);
    };
    out.push({
      device: f[2],
      readsCompleted: n(3),
      readsMerged: n(4),
      sectorsRead: n(5),
      readMs: n(6),
      writesCompleted: n(7),
      writesMerged: n(8),
      sectorsWritten: n(9),
      writeMs: n(10),
      inProgress: n(11),
      ioMs: n(12),
    });
  }
  return out;
}
