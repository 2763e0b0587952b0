// The syscall layer the perf frequency source runs on. Estimation logic only sees this interface,
// so it is unit-tested with a scripted fake; the real layer is the koffi binding.
import {
  encodePerfEventAttr,
  type Errno,
  loadLinuxPerfBinding,
  PERF_EVENT_IOC_DISABLE,
  PERF_EVENT_IOC_ENABLE,
  PERF_EVENT_IOC_RESET,
  type PerfEventAttr,
  type RawPerfCount,
} from '../../../native-bindings/linux-perf.js';

export type { Errno, PerfEventAttr } from '../../../native-bindings/linux-perf.js';
export type PerfCount = RawPerfCount;

export interface PerfSyscalls {
  /** perf_event_open for `cpu` (pid -1: every task on that CPU, unless `pid` says otherwise). */
  open(attr: PerfEventAttr, cpu: number, pid?: number): number | Errno;
  enable(fd: number): void | Errno;
  disable(fd: number): void | Errno;
  reset(fd: number): void | Errno;
  read(fd: number): PerfCount | Errno;
  close(fd: number): void;
}

export function isErrno(value: unknown): value is Errno {
  return typeof value === 'object' && value !== null && 'errno' in value;
}

/** The real layer over the koffi binding; throws (one line) when the binding cannot load. */
export function koffiPerfSyscalls(): PerfSyscalls {
  const binding = loadLinuxPerfBinding();
  const control = (fd: number, request: number): void | Errno => {
    const rc = binding.ioctl(fd, request);
    return rc === 0 ? undefined : rc;
  };
  return {
    open: (attr, cpu, pid = -1) => binding.open(encodePerfEventAttr(attr), pid, cpu),
    enable: (fd) => control(fd, PERF_EVENT_IOC_ENABLE),
    disable: (fd) => control(fd, PERF_EVENT_IOC_DISABLE),
    reset: (fd) => control(fd, PERF_EVENT_IOC_RESET),
    read: (fd) => binding.read(fd),
    close: (fd) => binding.close(fd),
  };
}
