#!/usr/bin/env bash
# Opens a shell in the VM (or runs a command: vm-ssh.sh uptime) with the VM's own key.
# Usage: make -C deploy/vm vm-ssh
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
require ssh
[ -f "$SSH_KEY" ] || die "no VM key $SSH_KEY: run make host-setup and vm-create first"
vm_ssh "$@"
