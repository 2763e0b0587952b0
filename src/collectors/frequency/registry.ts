// Frequency sources by name. sysfs and cpuinfo are built in; perf, ioreport and sysctl are
// registered by their own modules (registerFrequencySource) when those are part of the build.
import type { FrequencySourceName } from '../../config/options.js';
import type { Logger } from '../../log.js';
import type { HostPaths } from '../types.js';
import { CpuinfoFrequencySource } from './cpuinfo.js';
import { SysfsFrequencySource } from './sysfs.js';
import type { FrequencySource } from './types.js';

export interface FrequencySourceOptions {
  readonly paths: HostPaths;
  /** True when the user named the sources (flag, env or file) rather than taking the default list. */
  readonly explicit: boolean;
  readonly platform: NodeJS.Platform;
  readonly log?: Logger;
}

export type FrequencySourceFactory = (options: FrequencySourceOptions) => FrequencySource;

const factories = new Map<FrequencySourceName, FrequencySourceFactory>();

export function registerFrequencySource(name: FrequencySourceName, factory: FrequencySourceFactory): void {
  factories.set(name, factory);
}

export function frequencySourceFactory(name: FrequencySourceName): FrequencySourceFactory | undefined {
  return factories.get(name);
}

/** A source that reports one reason for every CPU (wrong platform, not in this build). */
export class UnavailableFrequencySource implements FrequencySource {
  constructor(
    readonly name: FrequencySourceName,
    private readonly reason: string,
  ) {}
  read(): ReadonlyMap<number, never> {
    return new Map<number, never>();
  }
  unavailableReason(): string {
    return this.reason;
  }
}

const linuxOnly =
  (make: (o: FrequencySourceOptions) => FrequencySource, name: FrequencySourceName): FrequencySourceFactory =>
  (o) =>
    o.platform === 'linux' ? make(o) : new UnavailableFrequencySource(name, `Linux only (this is ${o.platform})`);

registerFrequencySource('sysfs', linuxOnly(() => new SysfsFrequencySource(), 'sysfs'));
registerFrequencySource('cpuinfo', linuxOnly(() => new CpuinfoFrequencySource(), 'cpuinfo'));
