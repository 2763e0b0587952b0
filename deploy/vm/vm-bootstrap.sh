#!/usr/bin/env bash
# Prepares the running guest for otel-sysmon: runs guest-bootstrap.sh in it as root over ssh (updates,
# tooling, chronyd, perf_event_paranoid, cpufreq and governor where available, Docker CE).
# Usage: make -C deploy/vm vm-bootstrap
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
vm_pid >/dev/null || warn "$VM_NAME is not running in the background here; trying ssh anyway"
vm_ssh sudo env "PERF_EVENT_PARANOID=$PERF_EVENT_PARANOID" "INSTALL_DOCKER=$INSTALL_DOCKER" "GUEST_USER=$VM_USER" \
  bash -s <"$vm_scripts/guest-bootstrap.sh"
say "guest bootstrapped: next, make vm-install"
