# Shared by the deploy/vm scripts: settings, messages, platform checks and paths. Sourced, not run.
# Written for bash 3.2 too (macOS's /bin/bash): no mapfile, no associative arrays.
# shellcheck shell=bash disable=SC2034

vm_scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=vm.env
. "$vm_scripts/vm.env"
if [ -f "$vm_scripts/vm.local.env" ]; then
  # shellcheck source=/dev/null
  . "$vm_scripts/vm.local.env"
fi

VM_HOME="$SYSMON_VM_DIR/$VM_NAME"
IMAGES_DIR="$SYSMON_VM_DIR/images"
SSH_KEY="$SYSMON_VM_DIR/id_ed25519"
KNOWN_HOSTS="$SYSMON_VM_DIR/known_hosts"

say() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*"; }
warn() { printf '%s: warning: %s\n' "$(basename "$0" .sh)" "$*" >&2; }
die() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2; exit 1; }

is_macos() { [ "$(uname -s)" = Darwin ]; }

require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (run make host-setup)"
  done
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{ print $1 }'
  else
    shasum -a 256 "$1" | awk '{ print $1 }'
  fi
}

# A dedicated key pair for the VM, so no personal key is put into the guest.
ensure_ssh_key() {
  mkdir -p "$SYSMON_VM_DIR"
  if [ ! -f "$SSH_KEY" ]; then
    ssh-keygen -q -t ed25519 -N '' -C "otel-sysmon-vm" -f "$SSH_KEY"
  fi
}

vm_ssh() {
  ssh -i "$SSH_KEY" -p "$VM_SSH_PORT" -o IdentitiesOnly=yes -o ConnectTimeout=5 \
    -o StrictHostKeyChecking=accept-new -o "UserKnownHostsFile=$KNOWN_HOSTS" -o LogLevel=ERROR \
    "$VM_USER@127.0.0.1" "$@"
}

vm_pid() {
  local pid
  [ -f "$VM_HOME/qemu.pid" ] || return 1
  pid=$(cat "$VM_HOME/qemu.pid")
  kill -0 "$pid" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

# UEFI firmware for QEMU's aarch64 "virt" machine: Homebrew's qemu ships edk2 builds; Debian/Ubuntu and
# Fedora/EL package AAVMF.
firmware_code() {
  local candidate prefix=""
  if command -v brew >/dev/null 2>&1; then prefix=$(brew --prefix qemu 2>/dev/null || true); fi
  for candidate in "$prefix/share/qemu/edk2-aarch64-code.fd" /usr/share/qemu/edk2-aarch64-code.fd \
    /usr/share/AAVMF/AAVMF_CODE.fd /usr/share/edk2/aarch64/QEMU_EFI-pflash.raw; do
    if [ -f "$candidate" ]; then printf '%s\n' "$candidate"; return 0; fi
  done
  return 1
}

firmware_vars_template() {
  local candidate prefix=""
  if command -v brew >/dev/null 2>&1; then prefix=$(brew --prefix qemu 2>/dev/null || true); fi
  for candidate in "$prefix/share/qemu/edk2-arm-vars.fd" /usr/share/qemu/edk2-arm-vars.fd \
    /usr/share/AAVMF/AAVMF_VARS.fd /usr/share/edk2/aarch64/vars-template-pflash.raw; do
    if [ -f "$candidate" ]; then printf '%s\n' "$candidate"; return 0; fi
  done
  return 1
}
