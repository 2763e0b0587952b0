#!/bin/bash
# Removes the otel-sysmon LaunchDaemon installed by deploy/launchd/install.sh: unloads it with
# `launchctl bootout` (waiting for a slow stop, SIGKILL after 40 s), deletes the plist, the log rotation
# entry, the pid file and /usr/local/otel-sysmon. A bootout that fails or times out does not stop it
# half way: the files are removed in any case.
#
# Usage: sudo deploy/launchd/uninstall.sh [--purge] [--destdir DIR]
#   --purge        also delete the configuration, the state (store, spool, API token) and the logs
#   --destdir DIR  remove a tree staged by install.sh --destdir DIR (no root needed, any OS)
set -euo pipefail

LABEL=io.otel-sysmon.agent
PLIST=/Library/LaunchDaemons/$LABEL.plist
PREFIX=/usr/local/otel-sysmon
CONF_DIR=/usr/local/etc/otel-sysmon
DATA_DIR=/usr/local/var/otel-sysmon
LOG_DIR=/var/log/otel-sysmon
NEWSYSLOG=/etc/newsyslog.d/$LABEL.conf
PID_FILE=/var/run/$LABEL.pid

say() { printf 'uninstall: %s\n' "$*"; }
die() { printf 'uninstall: %s\n' "$*" >&2; exit 1; }

purge=0
destdir=
while [ $# -gt 0 ]; do
  case "$1" in
    --purge) purge=1 ;;
    --destdir)
      [ $# -ge 2 ] || { echo "uninstall: --destdir needs a directory" >&2; exit 2; }
      destdir=$2
      shift
      ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "uninstall: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$destdir" ]; then
  [ "$(uname -s)" = Darwin ] || die "this uninstaller is for macOS"
  [ "$(id -u)" -eq 0 ] || die "run with sudo"
fi
# shellcheck source=unload.sh
. "$(cd "$(dirname "$0")" && pwd)/unload.sh"
root=${destdir%/}

if ! loaded "$LABEL"; then
  say "$LABEL was not loaded"
elif unload_daemon "$LABEL"; then
  say "unloaded $LABEL"
else
  say "warning: $LABEL is still loaded after SIGKILL; removing its files anyway (see: sudo launchctl print system/$LABEL)"
fi
rm -f "$root$PLIST" "$root$NEWSYSLOG" "$root$PID_FILE"
rm -rf "$root$PREFIX"
say "removed $PLIST, $NEWSYSLOG and $PREFIX"
if [ "$purge" = 1 ]; then
  rm -rf "$root$CONF_DIR" "$root$DATA_DIR" "$root$LOG_DIR"
  say "removed $CONF_DIR, $DATA_DIR and $LOG_DIR"
else
  say "kept $CONF_DIR, $DATA_DIR and $LOG_DIR (--purge removes them)"
fi
