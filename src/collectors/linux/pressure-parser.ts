// Pure parser for one /proc/pressure/<resource> file:
//   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
//   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
// cpu has only "some" before Linux 5.13, irq only "full".
import { MalformedSourceError } from '../collect.js';

export interface PressureLine {
  readonly stall: 'some' | 'full';
  /** avg10, avg60 and avg300 in percent. */
  readonly avg10: number;
  readonly avg60: number;
  readonly avg300: number;
  /** Total stall time in microseconds. */
  readonly totalMicros: number;
}

export function parsePressure(text: string, file: string): PressureLine[] {
  const lines: PressureLine[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    const stall = f[0];
    const avg10 = field(f[1], 'avg10=');
    const avg60 = field(f[2], 'avg60=');
    const avg300 = field(f[3], 'avg300=');
    const total = field(f[4], 'total=');
    if ((stall !== 'some' && stall !== 'full') || avg10 === undefined || avg60 === undefined || avg300 === undefined || total === undefined) {
      throw new MalformedSourceError(file, `expected "some|full avg10=N avg60=N avg300=N total=N", found "${line}"`);
    }
    lines.push({ stall, avg10, avg60, avg300, totalMicros: total });
  }
  if (lines.length === 0) throw new MalformedSourceError(file, 'empty file');
  return lines;
}

function field(text: string | undefined, prefix: string): number | undefined {
  if (text === undefined || !text.startsWith(prefix)) return undefined;
  const raw = text.slice(prefix.length);
  const n = Number(raw);
  return raw !== '' && Number.isFinite(n) && n >= 0 ? n : undefined;
}
