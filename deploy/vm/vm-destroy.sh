#!/usr/bin/env bash
# Stops the VM and deletes its disk, seed and UEFI variables ($VM_HOME). The downloaded image stays for the
# next vm-create unless --images is given.
# Usage: make -C deploy/vm vm-destroy [DESTROY_FLAGS=--images]
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

images=0
case "${1:-}" in
  --images) images=1 ;;
  "") ;;
  *) die "usage: $0 [--images]" ;;
esac

"$vm_scripts/vm-stop.sh"
rm -rf "$VM_HOME"
if [ -f "$KNOWN_HOSTS" ]; then ssh-keygen -q -R "[127.0.0.1]:$VM_SSH_PORT" -f "$KNOWN_HOSTS" >/dev/null 2>&1 || true; fi
say "removed $VM_HOME"
if [ "$images" = 1 ]; then
  rm -rf "$IMAGES_DIR"
  say "removed $IMAGES_DIR"
fi
