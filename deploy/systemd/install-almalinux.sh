#!/usr/bin/env bash
# Installs otel-sysmon from a source checkout on AlmaLinux / Rocky / RHEL 9 or 10 without an RPM:
# Node.js from the distribution, the agent in /opt/otel-sysmon, configuration and the API token in
# /etc/otel-sysmon, the hardened unit in /etc/systemd/system, `otel-sysmon` in /usr/local/bin.
# Running it again upgrades the agent and keeps the configuration and the token.
#
# Usage (as root):  deploy/systemd/install-almalinux.sh [options]
#   --no-start        install and enable, but do not (re)start the service
#   --skip-packages   do not install packages with dnf (Node.js >= 20.19 must already be there)
#   --no-build        use the checkout's existing dist/ and node_modules/ instead of npm ci + build
#   --destdir DIR     stage the files under DIR only: no dnf, no group, no systemctl (packaging, review)
set -euo pipefail

PREFIX=/opt/otel-sysmon
CONF_DIR=/etc/otel-sysmon
UNIT_DIR=/etc/systemd/system
BIN_LINK=/usr/local/bin/otel-sysmon
GROUP=otel-sysmon
NODE_MIN=20.19

start=1
packages=1
build=1
destdir=

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --no-start) start=0 ;;
    --skip-packages) packages=0 ;;
    --no-build) build=0 ;;
    --destdir)
      [ $# -ge 2 ] || { echo "install: --destdir needs a directory" >&2; exit 2; }
      destdir=$(cd "$2" && pwd) || { echo "install: --destdir $2 does not exist" >&2; exit 2; }
      shift
      ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: %s\n' "$*" >&2; exit 1; }

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
if ! grep -qs '"name": "otel-sysmon"' "$source_dir/package.json"; then
  die "run this script from an otel-sysmon checkout ($source_dir is not one)"
fi

if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (or stage with --destdir DIR)"
fi

install_packages() {
  [ -r /etc/os-release ] || die "/etc/os-release missing: not an AlmaLinux/RHEL host (use --skip-packages)"
  # shellcheck disable=SC1091
  . /etc/os-release
  case " ${ID:-} ${ID_LIKE:-} " in
    *" rhel "* | *" centos "* | *" fedora "* | *" almalinux "* | *" rocky "*) ;;
    *) die "unsupported distribution ${ID:-unknown} (use --skip-packages with Node.js >= $NODE_MIN installed)" ;;
  esac
  local major=${VERSION_ID%%.*}
  if [ "$major" = 9 ]; then
    # EL9's default Node.js stream is 16/18; the agent needs 20.19 or later.
    dnf -y module reset nodejs
    dnf -y module enable nodejs:20
  fi
  # gcc-c++, make and python3 build better-sqlite3/koffi when no prebuilt binary matches.
  dnf -y install nodejs npm gcc-c++ make python3
}

check_node() {
  command -v node >/dev/null 2>&1 || die "node not found (install Node.js >= $NODE_MIN or drop --skip-packages)"
  local version
  version=$(node -p 'process.versions.node')
  node -e '
    const [have, need] = process.argv.slice(1).map((v) => v.split(".").map(Number));
    process.exit(have[0] > need[0] || (have[0] === need[0] && have[1] >= need[1]) ? 0 : 1);
  ' "$version" "$NODE_MIN" || die "Node.js $version is too old: the agent needs $NODE_MIN or later"
  say "using node $version at $(command -v node)"
}

build_agent() {
  say "building in $source_dir"
  (cd "$source_dir" && npm ci --no-audit --no-fund && npx tsc -p tsconfig.json)
}

install_files() {
  local app="$destdir$PREFIX"
  [ -f "$source_dir/dist/src/cli/main.js" ] || die "$source_dir/dist is missing: build first or drop --no-build"
  [ -d "$source_dir/node_modules" ] || die "$source_dir/node_modules is missing: run npm ci or drop --no-build"
  say "installing the agent to $app"
  # A fresh directory each time: files removed upstream must not linger from an older version.
  local staging="$app.new"
  rm -rf "$staging"
  install -d -m 0755 "$staging"
  cp -a "$source_dir/package.json" "$source_dir/package-lock.json" "$source_dir/bin" "$source_dir/dist" \
    "$source_dir/node_modules" "$staging/"
  if [ -f "$source_dir/README.md" ]; then cp -a "$source_dir/README.md" "$staging/"; fi
  if [ "$build" = 1 ]; then
    (cd "$staging" && npm prune --omit=dev --no-audit --no-fund)
  fi
  # The service's transient user must read everything, whatever umask the checkout was made with.
  find "$staging" ! -perm -o+r -exec chmod go+rX {} +
  rm -rf "$app.old"
  if [ -e "$app" ]; then mv "$app" "$app.old"; fi
  mv "$staging" "$app"
  rm -rf "$app.old"

  install -d -m 0755 "$destdir/usr/local/bin"
  ln -sfn "$PREFIX/bin/otel-sysmon.js" "$destdir$BIN_LINK"
}

install_config() {
  local conf="$destdir$CONF_DIR"
  install -d -m 0755 "$conf"
  if [ -e "$conf/config.yaml" ]; then
    say "keeping $conf/config.yaml"
  else
    install -m 0644 "$source_dir/deploy/systemd/config.yaml" "$conf/config.yaml"
    say "wrote $conf/config.yaml"
  fi
  if [ -z "$destdir" ] && ! getent group "$GROUP" >/dev/null; then
    groupadd --system "$GROUP"
    say "created group $GROUP (add build users to it to let them use the API token)"
  fi
  if [ -s "$conf/api-token" ]; then
    say "keeping $conf/api-token"
  else
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$conf/api-token")
    say "generated $conf/api-token"
  fi
  chmod 0640 "$conf/api-token"
  if [ -z "$destdir" ]; then chgrp "$GROUP" "$conf/api-token"; fi
}

install_unit() {
  local unit="$destdir$UNIT_DIR/otel-sysmon.service" node
  node=$(command -v node)
  install -d -m 0755 "$destdir$UNIT_DIR"
  # The unit names /usr/bin/node (the distribution's); point it at the node actually installed.
  sed "s#^ExecStart=/usr/bin/node #ExecStart=$node #" "$source_dir/deploy/systemd/otel-sysmon.service" >"$unit.tmp"
  chmod 0644 "$unit.tmp"
  mv "$unit.tmp" "$unit"
  say "installed $unit"
}

activate() {
  if command -v restorecon >/dev/null 2>&1; then
    restorecon -R "$PREFIX" "$CONF_DIR" "$UNIT_DIR/otel-sysmon.service"
  fi
  systemctl daemon-reload
  systemctl enable otel-sysmon.service
  if [ "$start" = 1 ]; then
    systemctl restart otel-sysmon.service
    say "otel-sysmon is running: systemctl status otel-sysmon; journalctl -u otel-sysmon -f"
  else
    say "otel-sysmon is enabled; start it with: systemctl start otel-sysmon"
  fi
}

if [ -z "$destdir" ] && [ "$packages" = 1 ]; then install_packages; fi
check_node
if [ "$build" = 1 ]; then build_agent; fi
install_files
install_config
install_unit
if [ -z "$destdir" ]; then
  activate
else
  say "staged under $destdir (no group, no systemctl)"
fi
