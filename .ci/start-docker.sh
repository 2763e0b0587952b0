#!/bin/sh
# Starts Debian's Docker engine for the tests when none answers: dockerd as root with default settings,
# in the background, logging to /var/log/otel-sysmon-ci-dockerd.log. Without root it only says so (the
# Docker test then skips with that reason). Never fails the CI run by itself.
set -u
PATH="$PATH:/usr/sbin:/sbin"
client=/usr/bin/docker
log=/var/log/otel-sysmon-ci-dockerd.log

if [ -x "$client" ] && timeout 20 "$client" version >/dev/null 2>&1; then
  echo "start-docker: engine already running"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v dockerd >/dev/null 2>&1; then
  echo "start-docker: not started (needs root and dockerd from docker.io); the Docker test will skip"
  exit 0
fi
echo "start-docker: starting dockerd (log $log)"
# setsid: the daemon outlives this script and is not tied to its terminal or process group.
setsid dockerd >"$log" 2>&1 </dev/null &
i=0
while [ "$i" -lt 60 ]; do
  if timeout 10 "$client" version >/dev/null 2>&1; then
    echo "start-docker: engine $("$client" version --format '{{.Server.Version}}') ready after ${i}s"
    exit 0
  fi
  i=$((i + 1))
  sleep 1
done
echo "start-docker: dockerd did not answer within 60 s; last lines of $log:"
tail -n 20 "$log"
exit 0
