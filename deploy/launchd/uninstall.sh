#!/bin/bash
# Removes the otel-sysmon LaunchDaemon installed by deploy/launchd/install.sh: unloads it with
# `launchctl bootout`, deletes the plist and /usr/local/otel-sysmon.
#
# Usage: sudo deploy/launchd/uninstall.sh [--purge]
#   --purge   also delete the configuration, the state (store, spool, API token) and the logs
set -euo pipefail

LABEL=io.otel-sysmon.agent
PLIST=/Library/LaunchDaemons/$LABEL.plist
PREFIX=/usr/local/otel-sysmon
CONF_DIR=/usr/local/etc/otel-sysmon
DATA_DIR=/usr/local/var/otel-sysmon
LOG_DIR=/var/log/otel-sysmon

say() { printf 'uninstall: %s\n' "$*"; }
die() { printf 'uninstall: %s\n' "$*" >&2; exit 1; }

purge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --purge) purge=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "uninstall: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

[ "$(uname -s)" = Darwin ] || die "this uninstaller is for macOS"
[ "$(id -u)" -eq 0 ] || die "run with sudo"

if launchctl print "system/$LABEL" >/dev/null 2>&1; then
  launchctl bootout "system/$LABEL"
  say "unloaded $LABEL"
else
  say "$LABEL was not loaded"
fi
rm -f "$PLIST"
rm -rf "$PREFIX"
say "removed $PLIST and $PREFIX"
if [ "$purge" = 1 ]; then
  rm -rf "$CONF_DIR" "$DATA_DIR" "$LOG_DIR"
  say "removed $CONF_DIR, $DATA_DIR and $LOG_DIR"
else
  say "kept $CONF_DIR, $DATA_DIR and $LOG_DIR (--purge removes them)"
fi
