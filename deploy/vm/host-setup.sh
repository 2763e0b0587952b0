#!/usr/bin/env bash
# Prepares the host for the AlmaLinux VM: on macOS (Apple Silicon) checks Hypervisor.framework support,
# installs QEMU (with its edk2 UEFI firmware), gnupg and wget with Homebrew; on Linux reports what is missing.
# Creates the workspace ($SYSMON_VM_DIR) and the VM's SSH key. Safe to run again.
# Usage: make -C deploy/vm host-setup
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

missing=0
check() {
  # $1: command, $2: how to get it
  if command -v "$1" >/dev/null 2>&1; then
    say "found $1"
  else
    warn "$1 is missing: $2"
    missing=1
  fi
}

if is_macos; then
  [ "$(uname -m)" = arm64 ] || warn "this is not Apple Silicon: the guest will run under TCG emulation (slow)"
  if [ "$(sysctl -n kern.hv_support 2>/dev/null || echo 0)" != 1 ]; then
    die "Hypervisor.framework is not available (kern.hv_support != 1): QEMU cannot use -accel hvf"
  fi
  say "Hypervisor.framework available"
  command -v brew >/dev/null 2>&1 || die "Homebrew is missing: see https://brew.sh"
  for formula in qemu gnupg wget; do
    if brew list --formula "$formula" >/dev/null 2>&1; then
      say "found $formula"
    else
      brew install "$formula"
    fi
  done
else
  check qemu-system-aarch64 "apt-get install qemu-system-arm / dnf install qemu-system-aarch64"
  check qemu-img "apt-get install qemu-utils / dnf install qemu-img"
  if ! command -v genisoimage >/dev/null 2>&1 && ! command -v xorriso >/dev/null 2>&1 \
    && ! command -v mkisofs >/dev/null 2>&1; then
    warn "no ISO tool for the cloud-init seed: apt-get install genisoimage / dnf install xorriso"
    missing=1
  fi
  check gpg "apt-get install gnupg / dnf install gnupg2"
  if [ "$(uname -m)" = aarch64 ] && [ -w /dev/kvm ]; then
    say "KVM available"
  else
    warn "no usable /dev/kvm on an aarch64 host: the guest will run under TCG emulation (slow)"
  fi
fi
check curl "install curl"
check ssh "install an OpenSSH client"
firmware_code >/dev/null || { warn "no aarch64 UEFI firmware (edk2-aarch64-code.fd / AAVMF_CODE.fd)"; missing=1; }

mkdir -p "$SYSMON_VM_DIR" "$IMAGES_DIR"
ensure_ssh_key
say "workspace $SYSMON_VM_DIR, SSH key $SSH_KEY"
if [ "$missing" = 1 ]; then die "install the missing tools above, then run this again"; fi
say "host ready: next, make fetch-image"
