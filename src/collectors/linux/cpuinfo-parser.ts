// Pure parser for /proc/cpuinfo: only the "processor" and "cpu MHz" lines (the file is large and
// most of it, such as the flags lines, is skipped without splitting).
import { MalformedSourceError } from '../collect.js';

/** MHz per processor number; empty when the kernel has no "cpu MHz" lines (aarch64 and others). */
export function parseCpuinfoMhz(text: string, file = '/proc/cpuinfo'): Map<number, number> {
  const mhz = new Map<number, number>();
  let processor = -1;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const c0 = text.charCodeAt(start);
    // Only lines starting with "p" (processor) or "c" (cpu MHz) matter.
    if (c0 === 112 || c0 === 99) {
      const colon = text.indexOf(':', start);
      if (colon > start && colon < end) {
        const key = text.slice(start, colon).trimEnd();
        if (key === 'processor') {
          const value = text.slice(colon + 1, end).trim();
          if (!/^\d+$/.test(value)) throw new MalformedSourceError(file, `processor: expected a number, found "${value}"`);
          processor = Number(value);
        } else if (key === 'cpu MHz') {
          const value = text.slice(colon + 1, end).trim();
          const n = Number(value);
          if (value === '' || !Number.isFinite(n)) {
            throw new MalformedSourceError(file, `cpu MHz: expected a number, found "${value}"`);
          }
          if (processor < 0) throw new MalformedSourceError(file, 'cpu MHz line before any processor line');
          mhz.set(processor, n);
        }
      }
    }
    start = end + 1;
  }
  return mhz;
}

/**
 * True when the text is x86 cpuinfo (it has "flags" lines) from CPUs without APERF/MPERF. Such a
 * kernel prints "cpu MHz" from cpufreq when a driver is loaded, else the fixed boot-time cpu_khz
 * (arch_freq_get_on_cpu's fallback), so without cpufreq the value never changes.
 */
export function cpuinfoMhzWithoutAperfMperf(text: string): boolean {
  return /^flags\s*:/m.test(text) && !/\baperfmperf\b/.test(text);
}
