#!/usr/bin/env bash
# Installs the agent from this checkout into the running guest: copies the sources (without node_modules,
# dist and .git) over ssh and runs deploy/systemd/install-almalinux.sh there, which installs Node.js 20,
# builds for the guest's architecture and starts the hardened otel-sysmon service.
# OTLP_ENDPOINT=http://<collector>:4317 writes that endpoint into the guest's config.
# Usage: make -C deploy/vm vm-install
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

repo=$(cd "$vm_scripts/../.." && pwd)
say "copying $repo to the guest"
# COPYFILE_DISABLE keeps macOS tar from adding ._ resource-fork files.
COPYFILE_DISABLE=1 tar -C "$repo" --exclude=./node_modules --exclude=./dist --exclude=./.git -czf - . \
  | vm_ssh 'rm -rf ~/otel-sysmon && mkdir ~/otel-sysmon && tar -xzf - -C ~/otel-sysmon'
vm_ssh sudo ./otel-sysmon/deploy/systemd/install-almalinux.sh
if [ -n "${OTLP_ENDPOINT:-}" ]; then
  vm_ssh sudo sed -i "s#^otlp-endpoint:.*#otlp-endpoint: $OTLP_ENDPOINT#" /etc/otel-sysmon/config.yaml
  vm_ssh sudo systemctl restart otel-sysmon
fi
vm_ssh systemctl --no-pager status otel-sysmon
say "agent installed; a one-off reading: make vm-ssh ARGS='otel-sysmon snapshot'"
