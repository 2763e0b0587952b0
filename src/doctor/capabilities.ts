// Effective capabilities of this process from /proc/self/status (CapEff, a hex bit mask), decoded
// for the ones that decide whether perf counters can be opened.

export const CAP_SYS_ADMIN = 21;
export const CAP_PERFMON = 38;

export interface Capabilities {
  /** CapEff as the kernel prints it (16 hex digits). */
  readonly capEff: string;
  readonly CAP_PERFMON: boolean;
  readonly CAP_SYS_ADMIN: boolean;
}

/** CapEff of a /proc/<pid>/status text, or undefined when the line is missing or not hex. */
export function parseCapEff(status: string): Capabilities | undefined {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status);
  if (!m) return undefined;
  const mask = BigInt(`0x${m[1]}`);
  const has = (bit: number): boolean => ((mask >> BigInt(bit)) & 1n) === 1n;
  return { capEff: m[1], CAP_PERFMON: has(CAP_PERFMON), CAP_SYS_ADMIN: has(CAP_SYS_ADMIN) };
}
