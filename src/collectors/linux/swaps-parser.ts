// Pure parser for /proc/swaps: one row per swap device, sizes in KiB (converted to bytes).
import { MalformedSourceError } from '../collect.js';

export interface SwapDevice {
  /** The device or file path as the kernel prints it, with its octal escapes (\040 = space) decoded. */
  readonly device: string;
  readonly sizeBytes: number;
  readonly usedBytes: number;
}

export function parseSwaps(text: string, file = '/proc/swaps'): SwapDevice[] {
  const lines = text.split('\n');
  if (!lines[0].startsWith('Filename')) {
    throw new MalformedSourceError(file, `expected a "Filename Type Size Used Priority" header, found "${lines[0]}"`);
  }
  const devices: SwapDevice[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const fields = line.trim().split(/\s+/);
    const [name, , size, used] = fields;
    if (fields.length < 4 || !/^\d+$/.test(size) || !/^\d+$/.test(used)) {
      throw new MalformedSourceError(file, `line ${i + 1}: expected "<device> <type> <size KiB> <used KiB>", found "${line}"`);
    }
    devices.push({
      device: name.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))),
      sizeBytes: Number(size) * 1024,
      usedBytes: Number(used) * 1024,
    });
  }
  return devices;
}
