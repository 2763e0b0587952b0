#!/usr/bin/env bash
# Shuts the background VM down: a clean poweroff through ssh, QEMU terminated if the guest does not halt
# within $VM_STOP_TIMEOUT seconds.
# Usage: make -C deploy/vm vm-stop
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

pid=$(vm_pid) || { say "$VM_NAME is not running"; exit 0; }
vm_ssh sudo systemctl poweroff 2>/dev/null || warn "could not ask the guest to power off; stopping QEMU"
deadline=$((SECONDS + VM_STOP_TIMEOUT))
while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 1; done
if kill -0 "$pid" 2>/dev/null; then
  warn "guest still running after ${VM_STOP_TIMEOUT}s: terminating QEMU"
  kill "$pid"
fi
rm -f "$VM_HOME/qemu.pid"
say "$VM_NAME stopped"
