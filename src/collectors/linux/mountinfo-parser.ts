// Pure parser for /proc/<pid>/mountinfo (proc(5)): per mount its source device, mount point, type and
// whether it is mounted read-only. Paths are unescaped (\040 is a space, \011 a tab, \012 a newline, \134 a backslash).
import { MalformedSourceError } from '../collect.js';

export interface Mount {
  readonly device: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly mode: 'rw' | 'ro';
}

const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/** Visible mounts in table order; a mount point mounted over again keeps only its last (visible) mount. */
export function parseMountinfo(text: string, file = '/proc/self/mountinfo'): Mount[] {
  const byPoint = new Map<string, Mount>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (f.length < 10 || dash < 0 || dash + 2 >= f.length) {
      throw new MalformedSourceError(file, `line ${i + 1}: expected "<id> <parent> <dev> <root> <mount point> <options> ... - <type> <source> <options>", found "${line}"`);
    }
    const mountPoint = unescape(f[4]);
    byPoint.delete(mountPoint);
    byPoint.set(mountPoint, {
      device: unescape(f[dash + 2]),
      mountPoint,
      fsType: f[dash + 1],
      mode: f[5].split(',').includes('ro') ? 'ro' : 'rw',
    });
  }
  return [...byPoint.values()];
}
