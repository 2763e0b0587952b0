// Human-readable rendering of the doctor report: per-CPU results first, then each source's reasons
// grouped over the CPUs that share them (a 64-CPU host stays readable).
import { cpuRanges, formatBytes, formatHz } from '../ui/format.js';
import { hostSourcesLines } from './host-sources.js';
import type { DoctorReport } from './report.js';

const yes = (b: boolean): string => (b ? 'yes' : 'no');

function frequencyLines(r: DoctorReport): string[] {
  const lines = [`CPU frequency (sources in order: ${r.frequency.sources.join(', ')})`];
  const cpus = r.frequency.cpus;
  if (cpus.length === 0) return [...lines, '  no CPUs reported (the frequency chain did not run)'];
  const byValue = new Map<string, number[]>();
  for (const c of cpus) {
    const key = c.hz === null ? 'no value' : `${formatHz(c.hz)} from ${c.source}`;
    byValue.set(key, [...(byValue.get(key) ?? []), c.cpu]);
  }
  // Values differ per CPU on real hosts: one line each; identical answers collapse.
  if (byValue.size === cpus.length) {
    for (const c of cpus) lines.push(`  cpu${c.cpu}  ${c.hz === null ? 'no value' : `${formatHz(c.hz)} from ${c.source}`}`);
  } else {
    for (const [value, list] of byValue) lines.push(`  cpu${cpuRanges(list)}  ${value}`);
  }
  const groups = new Map<string, { source: string; ok: boolean; reason: string; cpus: number[] }>();
  for (const c of cpus) {
    for (const t of c.tried) {
      const key = `${t.source}\0${t.ok}\0${t.reason}`;
      const g = groups.get(key) ?? { source: t.source, ok: t.ok, reason: t.reason, cpus: [] };
      g.cpus.push(c.cpu);
      groups.set(key, g);
    }
  }
  lines.push('  sources tried:');
  for (const g of groups.values()) {
    lines.push(`    ${g.source.padEnd(8)} ${`cpu${cpuRanges(g.cpus)}`.padEnd(10)} ${g.ok ? 'used' : 'not used'}: ${g.reason}`);
  }
  if (r.frequency.degraded.length > 0) {
    lines.push('  degraded paths (sysmon.cpu.frequency.source{source}):');
    for (const d of r.frequency.degraded) {
      lines.push(`    ${d.series} = ${d.used ? 1 : 0}  cpu${cpuRanges(d.cpus)}: ${d.reason}`);
    }
  }
  for (const n of r.frequency.notes) lines.push(`  note: ${n}`);
  return lines;
}

function perfLines(r: DoctorReport): string[] {
  const p = r.perf;
  const caps = p.capabilities
    ? `CapEff ${p.capabilities.capEff} (CAP_PERFMON ${yes(p.capabilities.CAP_PERFMON)}, CAP_SYS_ADMIN ${yes(p.capabilities.CAP_SYS_ADMIN)})`
    : 'unknown (/proc/self/status unreadable)';
  const lines = [
    'perf counters',
    `  ${p.usable ? 'usable' : 'not usable'}: ${p.reason}`,
    `  perf_event_paranoid ${p.paranoid ?? 'unknown'}; capabilities ${caps}`,
  ];
  for (const e of p.events) lines.push(`  ${e.ok ? 'ok  ' : 'fail'} ${e.event}: ${e.reason}`);
  for (const f of p.fixes) lines.push(`  fix: ${f}`);
  return lines;
}

function hostLines(r: DoctorReport): string[] {
  const { container, vm, swap, tree } = r.host;
  return [
    'Host',
    `  host tree: ${tree.kind}: ${tree.reason}${tree.live ? '' : ' (perf is skipped unless listed explicitly)'}`,
    `  container: ${container.detected ? `${container.runtime} (${container.evidence.join('; ')})` : 'none detected'}`,
    `  virtual machine: ${vm.detected ? `${vm.hypervisor ?? 'yes'} (${vm.evidence.join('; ')})` : 'none detected'}`,
    `  swap: ${swap.present ? swap.devices.map((d) => `${d.device} ${formatBytes(d.usedBytes)} of ${formatBytes(d.sizeBytes)}`).join(', ') : swap.reason}`,
    `  PSI: ${r.psi.reason}`,
  ];
}

function exportLines(r: DoctorReport): string[] {
  const e = r.export;
  if (e.reachable === null) return ['Export', `  ${e.reason}`];
  return ['Export', `  OTLP ${e.protocol} ${e.endpoint}: ${e.reachable ? 'reachable' : 'NOT reachable'} (${e.reason})`];
}

export function formatDoctorText(r: DoctorReport): string {
  return [frequencyLines(r), perfLines(r), hostLines(r), hostSourcesLines(r.sources), exportLines(r)].map((s) => s.join('\n')).join('\n\n') + '\n';
}
