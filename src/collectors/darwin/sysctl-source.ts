// The `sysctl` frequency source for Intel Macs: hw.cpufrequency, the nominal clock (it follows
// neither turbo nor throttling, so it is a fallback of low confidence).
import { loadDarwinSysctl } from '../../../native-bindings/darwin-ioreport.js';
import type { FrequencyReading, FrequencySource } from '../frequency/types.js';

export type SysctlNumber = (name: string) => number | undefined;

export class SysctlFrequencySource implements FrequencySource {
  readonly name = 'sysctl' as const;
  private hz: number | { reason: string } | undefined;

  // libSystem only: an Intel Mac's sysctl must not depend on libIOReport loading.
  constructor(private readonly sysctl: () => SysctlNumber = () => loadDarwinSysctl().sysctlNumber) {}

  unavailableReason(): string | undefined {
    const hz = this.value();
    return typeof hz === 'number' ? undefined : hz.reason;
  }

  read(_ctx: unknown, cpus: readonly number[]): ReadonlyMap<number, FrequencyReading> {
    const hz = this.value();
    const reading: FrequencyReading =
      typeof hz === 'number' ? { hz, note: 'hw.cpufrequency: nominal clock (low confidence: ignores turbo and throttling)' } : hz;
    return new Map(cpus.map((cpu) => [cpu, reading]));
  }

  private value(): number | { reason: string } {
    if (this.hz === undefined) {
      try {
        const hz = this.sysctl()('hw.cpufrequency');
        this.hz = hz && hz > 0 ? hz : { reason: 'sysctl hw.cpufrequency does not exist (Apple Silicon: use ioreport)' };
      } catch (err) {
        this.hz = { reason: (err as Error).message };
      }
    }
    return this.hz;
  }
}
