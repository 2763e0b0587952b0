#!/usr/bin/env bash
# Boots the VM with QEMU: -machine virt with -accel hvf and -cpu host on macOS (KVM on aarch64 Linux, TCG
# emulation elsewhere), edk2 UEFI firmware, virtio disk and network, sshd forwarded to 127.0.0.1:$VM_SSH_PORT.
#   vm-start.sh            serial console in this terminal (Ctrl-A X quits QEMU)
#   vm-start.sh --daemon   in the background (console in $VM_HOME/console.log), returns once sshd answers
# Usage: make -C deploy/vm vm-start | vm-start-daemon
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
require qemu-system-aarch64

daemon=0
case "${1:-}" in
  --daemon) daemon=1 ;;
  "") ;;
  *) die "usage: $0 [--daemon]" ;;
esac

[ -f "$VM_HOME/disk.qcow2" ] || die "no VM in $VM_HOME: run make vm-create first"
if pid=$(vm_pid); then die "$VM_NAME is already running (pid $pid)"; fi
code=$(firmware_code) || die "no aarch64 UEFI firmware (run make host-setup)"

if is_macos; then
  accel=hvf cpu=host
elif [ "$(uname -m)" = aarch64 ] && [ -w /dev/kvm ]; then
  accel=kvm cpu=host
else
  warn "no hardware acceleration for aarch64 here: emulating with TCG (slow)"
  accel=tcg cpu=max
fi

args=(
  -name "$VM_NAME"
  -machine "virt,accel=$accel"
  -cpu "$cpu"
  -smp "$VM_CPUS"
  -m "$VM_MEMORY_MB"
  -drive "if=pflash,format=raw,readonly=on,file=$code"
  -drive "if=pflash,format=raw,file=$VM_HOME/efi-vars.fd"
  -drive "if=virtio,format=qcow2,file=$VM_HOME/disk.qcow2"
  -drive "if=virtio,format=raw,readonly=on,file=$VM_HOME/seed.iso"
  -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$VM_SSH_PORT-:22"
  -device "virtio-net-pci,netdev=net0"
  -device virtio-rng-pci
)

if [ "$daemon" = 0 ]; then
  say "booting $VM_NAME on the serial console (Ctrl-A X quits); ssh: make vm-ssh"
  exec qemu-system-aarch64 "${args[@]}" -nographic
fi

qemu-system-aarch64 "${args[@]}" -display none -daemonize -pidfile "$VM_HOME/qemu.pid" \
  -serial "file:$VM_HOME/console.log"
say "$VM_NAME started (pid $(cat "$VM_HOME/qemu.pid")), console in $VM_HOME/console.log; waiting for sshd"
deadline=$((SECONDS + VM_BOOT_TIMEOUT))
until vm_ssh true 2>/dev/null; do
  vm_pid >/dev/null || die "QEMU exited; see $VM_HOME/console.log"
  [ "$SECONDS" -lt "$deadline" ] || die "sshd did not answer within ${VM_BOOT_TIMEOUT}s; see $VM_HOME/console.log"
  sleep 3
done
say "$VM_NAME is up: make vm-ssh, then make vm-bootstrap"
