// koffi declarations for perf_event_open(2) on Linux: the raw syscall through libc's variadic
// `syscall`, ioctl ENABLE/DISABLE/RESET, read(2) of {value, time_enabled, time_running} and close.
// koffi is required on first use only, so other platforms (and machines where koffi's prebuilt
// binary is missing) start without it. The require is synchronous because frequency sources are:
// an asynchronous import would cost one more collection interval before the first value.
import { createRequire } from 'node:module';
import { loadOnce } from './load-once.js';

/** struct perf_event_attr size accepted by every kernel since 3.x (PERF_ATTR_SIZE_VER5). */
export const PERF_ATTR_SIZE = 112;
export const PERF_TYPE_HARDWARE = 0;
export const PERF_TYPE_SOFTWARE = 1;
export const PERF_COUNT_HW_CPU_CYCLES = 0;
export const PERF_COUNT_HW_REF_CPU_CYCLES = 9;
export const PERF_COUNT_SW_CPU_CLOCK = 0;
export const PERF_COUNT_SW_TASK_CLOCK = 1;
export const PERF_FORMAT_TOTAL_TIME_ENABLED = 1;
export const PERF_FORMAT_TOTAL_TIME_RUNNING = 2;
export const PERF_FLAG_FD_CLOEXEC = 8;
export const PERF_EVENT_IOC_ENABLE = 0x2400;
export const PERF_EVENT_IOC_DISABLE = 0x2401;
export const PERF_EVENT_IOC_RESET = 0x2403;

const ATTR_DISABLED = 1n << 0n;
const ATTR_INHERIT = 1n << 1n;
const ATTR_EXCLUDE_USER = 1n << 4n;
const ATTR_EXCLUDE_KERNEL = 1n << 5n;
const ATTR_EXCLUDE_HV = 1n << 6n;

/** __NR_perf_event_open per architecture (asm/unistd.h); undefined where we do not know it. */
export function perfEventOpenSyscallNumber(arch: string = process.arch): number | undefined {
  const numbers: Record<string, number> = { x64: 298, arm64: 241 };
  return numbers[arch];
}

export interface PerfEventAttr {
  readonly type: number;
  readonly config: bigint | number;
  /** Start disabled and enable with an ioctl after a reset (the default). */
  readonly disabled?: boolean;
  readonly inherit?: boolean;
  readonly excludeUser?: boolean;
  readonly excludeKernel?: boolean;
  readonly excludeHv?: boolean;
}

/**
 * struct perf_event_attr as bytes: u32 type @0, u32 size @4, u64 config @8, u64 read_format @32,
 * u64 flag bits @40; everything else zero. read_format asks for TOTAL_TIME_ENABLED|RUNNING so a
 * multiplexed counter can be scaled.
 */
export function encodePerfEventAttr(attr: PerfEventAttr): Buffer {
  const buf = Buffer.alloc(PERF_ATTR_SIZE);
  buf.writeUInt32LE(attr.type, 0);
  buf.writeUInt32LE(PERF_ATTR_SIZE, 4);
  buf.writeBigUInt64LE(BigInt(attr.config), 8);
  buf.writeBigUInt64LE(BigInt(PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING), 32);
  let flags = 0n;
  if (attr.disabled ?? true) flags |= ATTR_DISABLED;
  if (attr.inherit) flags |= ATTR_INHERIT;
  if (attr.excludeUser) flags |= ATTR_EXCLUDE_USER;
  if (attr.excludeKernel) flags |= ATTR_EXCLUDE_KERNEL;
  if (attr.excludeHv) flags |= ATTR_EXCLUDE_HV;
  buf.writeBigUInt64LE(flags, 40);
  return buf;
}

/** One read(2) of a counter opened with TOTAL_TIME_ENABLED|TOTAL_TIME_RUNNING. */
export interface RawPerfCount {
  readonly value: number;
  /** Nanoseconds the event was enabled. */
  readonly enabled: number;
  /** Nanoseconds the event was actually on the PMU (less than enabled when multiplexed). */
  readonly running: number;
}

/** Result of a call that failed: the errno the kernel returned. */
export interface Errno {
  readonly errno: number;
}

export interface LinuxPerfBinding {
  /** perf_event_open(attr, pid, cpu, group_fd=-1, PERF_FLAG_FD_CLOEXEC). */
  open(attr: Buffer, pid: number, cpu: number): number | Errno;
  ioctl(fd: number, request: number): 0 | Errno;
  read(fd: number): RawPerfCount | Errno;
  close(fd: number): void;
}

interface KoffiFunction {
  (...args: unknown[]): unknown;
}

type Koffi = typeof import('koffi');

function loadLibc(koffi: Koffi): import('koffi').IKoffiLib {
  try {
    return koffi.load('libc.so.6');
  } catch {
    // musl and other libcs: the process image already links a libc exporting these symbols.
    return koffi.load(null);
  }
}

/** Loads koffi and declares the functions once; throws (every time) why that is impossible. */
export const loadLinuxPerfBinding = loadOnce('perf binding', createBinding);

function createBinding(): LinuxPerfBinding {
  if (process.platform !== 'linux') throw new Error(`perf_event_open exists on Linux only (this is ${process.platform})`);
  const nr = perfEventOpenSyscallNumber();
  if (nr === undefined) throw new Error(`perf_event_open syscall number unknown for ${process.arch}`);
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  const libc = loadLibc(koffi);
  const syscall = libc.func('long syscall(long number, ...)') as KoffiFunction;
  const ioctl = libc.func('int ioctl(int fd, unsigned long request, ...)') as KoffiFunction;
  const read = libc.func('long read(int fd, _Out_ uint8_t *buf, size_t count)') as KoffiFunction;
  const close = libc.func('int close(int fd)') as KoffiFunction;
  const readBuf = Buffer.alloc(24);

  return {
    open(attr, pid, cpu) {
      // Variadic arguments are passed as long, as the syscall ABI expects full registers.
      const fd = Number(syscall(nr, 'void *', attr, 'long', pid, 'long', cpu, 'long', -1, 'unsigned long', PERF_FLAG_FD_CLOEXEC));
      return fd < 0 ? { errno: koffi.errno() } : fd;
    },
    ioctl(fd, request) {
      const rc = Number(ioctl(fd, request, 'long', 0));
      return rc < 0 ? { errno: koffi.errno() } : 0;
    },
    read(fd) {
      const n = Number(read(fd, readBuf, readBuf.length));
      if (n < 0) return { errno: koffi.errno() };
      // A short read means the fd is not a counter with our read_format: treat as EINVAL.
      if (n !== readBuf.length) return { errno: 22 };
      return {
        value: Number(readBuf.readBigUInt64LE(0)),
        enabled: Number(readBuf.readBigUInt64LE(8)),
        running: Number(readBuf.readBigUInt64LE(16)),
      };
    },
    close(fd) {
      close(fd);
    },
  };
}
