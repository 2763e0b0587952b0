// Temperature collector (sysfs class/hwmon): hw.temperature per tempK_input of every chip (coretemp,
// k10temp, zenpower, cpu_thermal on arm64, nvme, ...), with the sensor's label and the chip's name. A
// missing chip, file or reading gives no point (VMs have no hwmon at all), never a zero.
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Attributes, CollectContext, Collector, PointSink } from '../types.js';

/** Chips appear with drivers and hotplug only: the sensor list is rebuilt this often. */
const RESCAN_MS = 60_000;

export interface TemperatureSensor {
  /** Path of tempK_input relative to sysfs. */
  readonly input: string;
  readonly chip: string;
  readonly label: string | undefined;
  readonly attributes: Attributes;
}

/** Millidegrees Celsius as the kernel writes them; undefined for anything else. */
export function parseMillidegrees(text: string): number | undefined {
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) / 1000 : undefined;
}

/** Every temperature sensor under <sysfs>/class/hwmon, in chip and sensor order. */
export function findTemperatureSensors(sysfs: string): TemperatureSensor[] {
  const classDir = join(sysfs, 'class/hwmon');
  let chips: string[];
  try {
    chips = readdirSync(classDir).filter((d) => d.startsWith('hwmon'));
  } catch {
    return [];
  }
  chips.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  const out: TemperatureSensor[] = [];
  for (const hwmon of chips) {
    // Old drivers keep their attributes in the device directory instead of the hwmon one.
    const base = existsSync(join(classDir, hwmon, 'name')) ? `class/hwmon/${hwmon}` : `class/hwmon/${hwmon}/device`;
    const chip = readTrimmed(join(sysfs, base, 'name')) ?? hwmon;
    const chipId = `${chip}_${deviceId(join(classDir, hwmon, 'device')) ?? hwmon}`;
    let files: string[];
    try {
      files = readdirSync(join(sysfs, base));
    } catch {
      continue;
    }
    const sensors = files
      .map((f) => /^temp(\d+)_input$/.exec(f)?.[1])
      .filter((k): k is string => k !== undefined)
      .sort((a, b) => Number(a) - Number(b));
    for (const k of sensors) {
      const label = readTrimmed(join(sysfs, base, `temp${k}_label`));
      const attributes: Attributes = {
        'hw.id': `${chipId}_temp${k}`,
        'hw.name': `${chip} ${label ?? `temp${k}`}`,
        'hw.type': 'temperature',
        ...(label ? { 'hw.sensor_location': label } : {}),
      };
      out.push({ input: `${base}/temp${k}_input`, chip, label, attributes });
    }
  }
  return out;
}

/** The device a chip belongs to (coretemp.0, 0000:00:18.3, nvme0), stable across boots unlike hwmonN. */
function deviceId(link: string): string | undefined {
  try {
    return basename(realpathSync(link));
  } catch {
    return undefined;
  }
}

function readTrimmed(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'latin1').trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

export class HwmonCollector implements Collector {
  readonly name = 'hwmon';
  private sensors: readonly TemperatureSensor[] = [];
  private scannedAt = -Infinity;

  collect(ctx: CollectContext, sink: PointSink): void {
    if (ctx.monoMs - this.scannedAt >= RESCAN_MS) {
      this.sensors = findTemperatureSensors(ctx.paths.sysfs);
      this.scannedAt = ctx.monoMs;
    }
    for (const s of this.sensors) {
      let text: string | undefined;
      try {
        text = ctx.readSysOptional(s.input);
      } catch {
        // A sensor that cannot be read right now (EIO, ENODATA while the device sleeps) has no value.
        continue;
      }
      const celsius = text === undefined ? undefined : parseMillidegrees(text);
      if (celsius !== undefined) sink.add('hw.temperature', celsius, s.attributes);
    }
  }

  /** The sensors found by the last scan (for doctor). */
  found(): readonly TemperatureSensor[] {
    return this.sensors;
  }
}
