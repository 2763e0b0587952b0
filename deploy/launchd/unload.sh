# shellcheck shell=bash
# Sourced by install.sh and uninstall.sh: unloads a LaunchDaemon without giving up half way.
# `launchctl bootout` can fail or return before the job is gone (the agent's final flush runs up to
# the plist's ExitTimeOut of 30 s; bootout then reports "5: Input/output error"), so the job is
# waited for, killed with SIGKILL if it outlives the wait, and waited for again.

# Seconds to wait for a booted-out job before SIGKILL: the plist's ExitTimeOut plus a margin.
UNLOAD_WAIT=${UNLOAD_WAIT:-40}

loaded() { launchctl print "system/$1" >/dev/null 2>&1; }

# wait_gone LABEL SECONDS: 0 once the job is no longer loaded, 1 if it still is after SECONDS.
wait_gone() {
  local label=$1 tries=$(($2 * 5))
  while [ "$tries" -gt 0 ]; do
    loaded "$label" || return 0
    sleep 0.2
    tries=$((tries - 1))
  done
  ! loaded "$label"
}

# unload_daemon LABEL: 0 when the job is not loaded (any more), 1 when it survived SIGKILL too.
unload_daemon() {
  local label=$1 status=0
  loaded "$label" || return 0
  launchctl bootout "system/$label" 2>/dev/null || status=$?
  [ "$status" = 0 ] || say "launchctl bootout system/$label returned $status; waiting up to ${UNLOAD_WAIT} s for it to stop"
  wait_gone "$label" "$UNLOAD_WAIT" && return 0
  say "system/$label is still loaded after ${UNLOAD_WAIT} s: sending SIGKILL"
  launchctl kill SIGKILL "system/$label" 2>/dev/null || true
  launchctl bootout "system/$label" 2>/dev/null || true
  wait_gone "$label" 10
}
