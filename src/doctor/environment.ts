// Where the agent runs: container detection (from the agent's own view of /, since a sidecar's
// --rootfs is the host's) and virtual machine detection (DMI and the CPUID hypervisor flag of the
// configured host tree). Pure decisions over texts; the reading is in readEnvironment.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseCpuIdentity } from '../collectors/perf/nominal.js';
import type { HostPaths } from '../collectors/types.js';
import { parseContainerId } from '../telemetry/resource.js';
import { readText } from './read-text.js';

export interface ContainerReport {
  readonly detected: boolean;
  /** docker, podman, kubernetes or "container" when only the cgroup tells. */
  readonly runtime: string | null;
  readonly evidence: readonly string[];
}

export interface ContainerInputs {
  readonly dockerenv: boolean;
  readonly containerenv: boolean;
  readonly cgroup: string;
  readonly mountinfo: string;
}

export function detectContainer(i: ContainerInputs): ContainerReport {
  const evidence: string[] = [];
  let runtime: string | null = null;
  if (i.dockerenv) {
    evidence.push('/.dockerenv exists');
    runtime = 'docker';
  }
  if (i.containerenv) {
    evidence.push('/run/.containerenv exists');
    runtime ??= 'podman';
  }
  if (/kubepods/.test(i.cgroup)) {
    evidence.push('cgroup path under kubepods');
    runtime = 'kubernetes';
  }
  const id = parseContainerId(i.cgroup, i.mountinfo);
  if (id) {
    evidence.push(`container id ${id.slice(0, 12)} in /proc/self/cgroup or mountinfo`);
    runtime ??= 'container';
  }
  return { detected: evidence.length > 0, runtime, evidence };
}

export interface VmReport {
  readonly detected: boolean;
  /** The hypervisor when DMI names it. */
  readonly hypervisor: string | null;
  readonly evidence: readonly string[];
}

export interface VmInputs {
  readonly sysVendor?: string;
  readonly productName?: string;
  /** /proc/cpuinfo text. */
  readonly cpuinfo?: string;
  /** /sys/hypervisor/type (Xen). */
  readonly hypervisorType?: string;
  /** macOS sysctl kern.hv_vmm_present: 1 inside a virtual machine. */
  readonly hvVmmPresent?: number;
}

const DMI_HYPERVISORS: readonly [RegExp, string][] = [
  [/QEMU/i, 'QEMU'],
  [/KVM/, 'KVM'],
  [/VMware/i, 'VMware'],
  [/VirtualBox|innotek/i, 'VirtualBox'],
  [/Virtual Machine/i, 'Hyper-V'],
  [/Xen/i, 'Xen'],
  [/Amazon EC2/i, 'Amazon EC2 (Nitro)'],
  [/Google Compute Engine|^Google$/i, 'Google Compute Engine'],
  [/Parallels/i, 'Parallels'],
  [/BHYVE/i, 'bhyve'],
  [/OpenStack/i, 'OpenStack'],
  [/Apple Virtualization|VirtualMac/i, 'Apple Virtualization.framework'],
];

export function detectVm(i: VmInputs): VmReport {
  const evidence: string[] = [];
  let hypervisor: string | null = null;
  const dmi = [i.sysVendor, i.productName].filter((s): s is string => !!s && s.trim() !== '').map((s) => s.trim());
  for (const text of dmi) {
    const hit = DMI_HYPERVISORS.find(([re]) => re.test(text));
    if (hit && !hypervisor) {
      hypervisor = hit[1];
      evidence.push(`DMI says "${text}"`);
    }
  }
  if (i.hypervisorType?.trim()) {
    hypervisor ??= i.hypervisorType.trim();
    evidence.push(`/sys/hypervisor/type is ${i.hypervisorType.trim()}`);
  }
  if (i.cpuinfo && parseCpuIdentity(i.cpuinfo).hypervisor) evidence.push('CPUID hypervisor flag in /proc/cpuinfo');
  if (i.hvVmmPresent === 1) evidence.push('sysctl kern.hv_vmm_present=1');
  return { detected: evidence.length > 0, hypervisor, evidence };
}

/** Reads the inputs: the agent's own root for the container, the host tree (or macOS sysctl) for the VM. */
export function readEnvironment(
  paths: HostPaths,
  selfRoot = '/',
  sysctlNumber?: (name: string) => number | undefined,
): { container: ContainerReport; vm: VmReport } {
  const container = detectContainer({
    dockerenv: existsSync(join(selfRoot, '.dockerenv')),
    containerenv: existsSync(join(selfRoot, 'run/.containerenv')),
    cgroup: readText(join(selfRoot, 'proc/self/cgroup')) ?? '',
    mountinfo: readText(join(selfRoot, 'proc/self/mountinfo')) ?? '',
  });
  const vm = detectVm({
    sysVendor: readText(join(paths.sysfs, 'class/dmi/id/sys_vendor')),
    productName: readText(join(paths.sysfs, 'class/dmi/id/product_name')),
    hypervisorType: readText(join(paths.sysfs, 'hypervisor/type')),
    cpuinfo: readText(join(paths.procfs, 'cpuinfo')),
    hvVmmPresent: sysctlNumber?.('kern.hv_vmm_present'),
  });
  return { container, vm };
}
