// Pure parser for /proc/net/dev: per interface the receive and transmit byte, packet, error and drop
// counters (the first four columns of each half of the table).
import { MalformedSourceError } from '../collect.js';

export interface InterfaceCounters {
  readonly bytes: number;
  readonly packets: number;
  readonly errors: number;
  readonly dropped: number;
}

export interface NetDevice {
  readonly name: string;
  readonly receive: InterfaceCounters;
  readonly transmit: InterfaceCounters;
}

export function parseNetDev(text: string, file = '/proc/net/dev'): NetDevice[] {
  const lines = text.split('\n');
  if (!lines[1]?.includes('|')) throw new MalformedSourceError(file, 'expected the two header lines of /proc/net/dev');
  const out: NetDevice[] = [];
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon < 0) throw new MalformedSourceError(file, `line ${i + 1}: expected "<interface>: <counters>", found "${line.trim()}"`);
    const name = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/);
    if (f.length < 16 || f.some((v) => !/^\d+$/.test(v))) {
      throw new MalformedSourceError(file, `line ${i + 1} (${name}): expected 16 counters, found "${line.slice(colon + 1).trim()}"`);
    }
    const n = f.map(Number);
    out.push({
      name,
      receive: { bytes: n[0], packets: n[1], errors: n[2], dropped: n[3] },
      transmit: { bytes: n[8], packets: n[9], errors: n[10], dropped: n[11] },
    });
  }
  return out;
}
