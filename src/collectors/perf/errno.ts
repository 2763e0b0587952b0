// What a failed perf_event_open means for the user, and how to fix it. Shared by the perf
// frequency source (reasons per CPU) and `doctor` (reasons plus fixes).

export const EPERM = 1;
export const ENOENT = 2;
export const EBUSY = 16;
export const ENODEV = 19;
export const EINVAL = 22;
export const EMFILE = 24;
export const EACCES = 13;
export const ENOSYS = 38;
export const EOPNOTSUPP = 95;

const NAMES: Record<number, string> = {
  [EPERM]: 'EPERM',
  [ENOENT]: 'ENOENT',
  [EACCES]: 'EACCES',
  [EBUSY]: 'EBUSY',
  [ENODEV]: 'ENODEV',
  [EINVAL]: 'EINVAL',
  [EMFILE]: 'EMFILE',
  [ENOSYS]: 'ENOSYS',
  [EOPNOTSUPP]: 'EOPNOTSUPP',
};

/** kernel.perf_event_paranoid from its /proc/sys text, when it is a number. */
export function parseParanoid(text: string | undefined): number | undefined {
  const t = text?.trim();
  return t !== undefined && /^-?\d+$/.test(t) ? Number(t) : undefined;
}

export function errnoName(errno: number): string {
  return NAMES[errno] ?? `errno ${errno}`;
}

export const PERMISSION_FIXES = [
  'grant CAP_PERFMON to the agent (systemd: AmbientCapabilities=CAP_PERFMON; or setcap cap_perfmon+ep on the node binary)',
  'or allow unprivileged counters: sysctl kernel.perf_event_paranoid=0',
  'in Docker: docker run --cap-add PERFMON (the default seccomp profile then allows perf_event_open)',
] as const;

export const NO_PMU_FIXES = [
  'enable a virtual PMU for the guest (QEMU/KVM: -cpu host,pmu=on or libvirt <pmu state="on"/>; VMware: "virtualize CPU performance counters")',
] as const;

export interface PerfErrnoExplanation {
  /** errno name, e.g. ENOENT. */
  readonly code: string;
  /** One line saying what it means here. */
  readonly reason: string;
  /** What the user can do about it (empty when nothing sensible). */
  readonly fixes: readonly string[];
}

/** Why opening `event` failed with `errno`; `paranoid` is kernel.perf_event_paranoid when known. */
export function explainPerfErrno(errno: number, event: string, paranoid?: number): PerfErrnoExplanation {
  const code = errnoName(errno);
  switch (errno) {
    case EACCES:
    case EPERM: {
      const level = paranoid === undefined ? '' : `perf_event_paranoid=${paranoid}, `;
      return {
        code,
        reason: `${code} opening ${event}: not permitted (${level}no CAP_PERFMON, or a seccomp profile blocks perf_event_open)`,
        fixes: PERMISSION_FIXES,
      };
    }
    case ENOENT:
      return { code, reason: `${code} opening ${event}: no hardware PMU (VM without vPMU) or no such event on this CPU`, fixes: NO_PMU_FIXES };
    case ENODEV:
      return { code, reason: `${code} opening ${event}: this CPU has no PMU for the event (offline CPU or other core type)`, fixes: [] };
    case EINVAL:
      return { code, reason: `${code} opening ${event}: the kernel rejected the event (not supported by this CPU or kernel)`, fixes: [] };
    case EOPNOTSUPP:
      return { code, reason: `${code} opening ${event}: the PMU does not support counting this event`, fixes: [] };
    case EMFILE:
      return { code, reason: `${code} opening ${event}: too many open files`, fixes: ['raise the open-file limit (ulimit -n, systemd LimitNOFILE=)'] };
    case EBUSY:
      return { code, reason: `${code} opening ${event}: the counter is held exclusively by another tool`, fixes: ['stop the other profiler (perf record, a PMU-owning agent)'] };
    case ENOSYS:
      return {
        code,
        reason: `${code} opening ${event}: perf_event_open is not available (kernel without CONFIG_PERF_EVENTS, or a seccomp profile)`,
        fixes: ['in Docker: docker run --cap-add PERFMON, or a seccomp profile that allows perf_event_open'],
      };
    default:
      return { code, reason: `${code} opening ${event}`, fixes: [] };
  }
}
