#!/usr/bin/env bash
# Writes the cloud-init NoCloud seed (user-data, meta-data) for the VM into DIR: hostname, the user
# $VM_USER with the VM's SSH key and passwordless sudo, no password logins. vm-create.sh packs it into
# seed.iso (volume label cidata).
# Usage: deploy/vm/cloud-init.sh DIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: $0 DIR"
out=$1
mkdir -p "$out"
ensure_ssh_key
public_key=$(cat "$SSH_KEY.pub")

cat >"$out/user-data" <<USERDATA
#cloud-config
hostname: $VM_NAME
preserve_hostname: false
ssh_pwauth: false
disable_root: true
users:
  - name: $VM_USER
    gecos: otel-sysmon automation
    groups: [wheel]
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    shell: /bin/bash
    lock_passwd: true
    ssh_authorized_keys:
      - $public_key
timezone: UTC
USERDATA

# A new instance-id makes cloud-init apply the seed again after vm-destroy + vm-create.
cat >"$out/meta-data" <<METADATA
instance-id: $VM_NAME-$(date -u +%Y%m%d%H%M%S)
local-hostname: $VM_NAME
METADATA
say "wrote $out/user-data and $out/meta-data"
