#!/usr/bin/env bash
# Runs INSIDE the AlmaLinux guest as root (vm-bootstrap.sh pipes it over ssh): package updates and tooling,
# chronyd, kernel.perf_event_paranoid for perf counters, cpufreq and the performance governor where the
# virtual CPU has them, and Docker CE for the sidecar set-up. Ends with what the guest offers for frequency.
set -euo pipefail

: "${PERF_EVENT_PARANOID:=0}" "${INSTALL_DOCKER:=1}" "${GUEST_USER:=alma}"
say() { printf 'guest-bootstrap: %s\n' "$*"; }

dnf -y update
dnf -y install git curl vim-enhanced jq tar kernel-tools chrony dnf-plugins-core
systemctl enable --now chronyd

printf 'kernel.perf_event_paranoid = %s\n' "$PERF_EVENT_PARANOID" >/etc/sysctl.d/90-otel-sysmon.conf
sysctl -q -p /etc/sysctl.d/90-otel-sysmon.conf
say "kernel.perf_event_paranoid = $(cat /proc/sys/kernel/perf_event_paranoid)"

# Device-tree cpufreq only exists where the (virtual) platform describes clocks; under HVF it usually does not.
if modprobe cpufreq-dt 2>/dev/null && [ -d /sys/devices/system/cpu/cpu0/cpufreq ]; then
  echo cpufreq-dt >/etc/modules-load.d/otel-sysmon-cpufreq.conf
  cpupower frequency-set -g performance >/dev/null 2>&1 || say "the performance governor is not available"
fi

if [ "$INSTALL_DOCKER" = 1 ]; then
  dnf config-manager --add-repo https://download.docker.com/linux/rhel/docker-ce.repo
  dnf -y install docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
  systemctl enable --now docker
  usermod -aG docker "$GUEST_USER"
fi

if [ -r /sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq ]; then
  say "cpufreq present: cpu0 at $(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq) kHz"
else
  say "no cpufreq in this guest: otel-sysmon uses perf counters (and reports none if they are synthetic)"
fi
pmus=""
for pmu in /sys/bus/event_source/devices/*; do pmus="$pmus ${pmu##*/}"; done
say "perf PMUs:$pmus"
