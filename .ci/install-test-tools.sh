#!/bin/sh
# Installs the Debian tools the tests use: promtool and the Prometheus server, shellcheck,
# systemd-analyze, plistutil, what the VM scripts use (curl, gpg, ssh-keygen, make), openssl and script(1),
# and Docker (engine, debootstrap for its base images), whose daemon it then starts (start-docker.sh).
# Idempotent: installs only what is missing, and runs apt-get only when something is.
# hadolint is not packaged in Debian; the Dockerfile test checks its instructions structurally instead.
set -eu
# dockerd and debootstrap live in sbin, which a non-login PATH may lack.
PATH="$PATH:/usr/sbin:/sbin"
export PATH
here=$(dirname "$0")

missing=""
need() {
  # $1: command that must exist, $2: Debian package that provides it (listed once)
  if ! command -v "$1" >/dev/null 2>&1; then
    case " $missing " in
      *" $2 "*) ;;
      *) missing="$missing $2" ;;
    esac
  fi
}

need promtool prometheus
need prometheus prometheus
need shellcheck shellcheck
need systemd-analyze systemd
need plistutil libplist-utils
need python3 python3
need make make
need curl curl
need gpg gnupg
need ssh-keygen openssh-client
# The TLS fault tests make certificates with openssl; the `top` test drives a pseudo-terminal with script(1).
need openssl openssl
need script bsdutils
# The Docker image test (test/deploy/docker-sidecar.test.ts): Debian's engine (dockerd; a docker client
# elsewhere on PATH is not enough) and debootstrap for base images without a registry.
need dockerd docker.io
need debootstrap debootstrap
# The web page tests drive a real browser (playwright-core, never a downloaded one).
need chromium chromium

if [ -z "$missing" ]; then
  echo "install-test-tools: everything present"
  exec sh "$here/start-docker.sh"
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

echo "install-test-tools: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# Package scripts must not start services on a CI machine: policy-rc.d exit 101 forbids it for the
# duration of this install only.
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  created_policy=1
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing || status=$?
if [ -n "$created_policy" ]; then
  $SUDO rm -f "$policy"
fi
if [ "${status:-0}" -ne 0 ]; then
  exit "$status"
fi
exec sh "$here/start-docker.sh"
