#!/usr/bin/env bash
# Creates the VM: a copy-on-write disk ($VM_DISK_SIZE) over the fetched AlmaLinux image, the cloud-init
# seed ISO (hdiutil on macOS, genisoimage/xorriso/mkisofs on Linux) and a writable UEFI variable store.
# Usage: make -C deploy/vm vm-create
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
require qemu-img

base="$IMAGES_DIR/$ALMA_IMAGE"
[ -f "$base" ] || die "$base is missing: run make fetch-image first"
[ ! -e "$VM_HOME/disk.qcow2" ] || die "$VM_HOME already has a disk: run make vm-destroy first"
vars_template=$(firmware_vars_template) || die "no aarch64 UEFI variable store template (run make host-setup)"

mkdir -p "$VM_HOME"
qemu-img create -q -f qcow2 -F qcow2 -b "$base" "$VM_HOME/disk.qcow2" "$VM_DISK_SIZE"
say "disk $VM_HOME/disk.qcow2 ($VM_DISK_SIZE, backed by $ALMA_IMAGE)"

"$vm_scripts/cloud-init.sh" "$VM_HOME/cloud-init"
rm -f "$VM_HOME/seed.iso"
if is_macos; then
  hdiutil makehybrid -quiet -o "$VM_HOME/seed.iso" -iso -joliet -default-volume-name cidata "$VM_HOME/cloud-init"
elif command -v genisoimage >/dev/null 2>&1; then
  genisoimage -quiet -output "$VM_HOME/seed.iso" -volid cidata -joliet -rock "$VM_HOME/cloud-init"
elif command -v xorriso >/dev/null 2>&1; then
  xorriso -as mkisofs -quiet -o "$VM_HOME/seed.iso" -V cidata -J -r "$VM_HOME/cloud-init"
elif command -v mkisofs >/dev/null 2>&1; then
  mkisofs -quiet -o "$VM_HOME/seed.iso" -V cidata -J -r "$VM_HOME/cloud-init"
else
  die "no ISO tool (hdiutil, genisoimage, xorriso or mkisofs) for the cloud-init seed"
fi
say "cloud-init seed $VM_HOME/seed.iso"

cp "$vars_template" "$VM_HOME/efi-vars.fd"
chmod u+w "$VM_HOME/efi-vars.fd"
say "created $VM_NAME: start it with make vm-start (console) or make vm-start-daemon (background)"
