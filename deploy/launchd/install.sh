#!/bin/bash
# Installs otel-sysmon as a LaunchDaemon on macOS from a source checkout: the agent in /usr/local/otel-sysmon,
# configuration in /usr/local/etc/otel-sysmon, state in /usr/local/var/otel-sysmon, logs in
# /var/log/otel-sysmon, and /Library/LaunchDaemons/io.otel-sysmon.agent.plist loaded with
# `launchctl bootstrap system`. Running it again upgrades the agent and keeps the configuration.
#
# Usage: sudo deploy/launchd/install.sh [--no-build]
#   --no-build   use the checkout's existing dist/ and node_modules/ instead of npm ci + build
# Node.js 20.19 or later must be installed (brew install node@20); NODE=/path/to/node picks one.
set -euo pipefail

LABEL=io.otel-sysmon.agent
PLIST=/Library/LaunchDaemons/$LABEL.plist
PREFIX=/usr/local/otel-sysmon
CONF_DIR=/usr/local/etc/otel-sysmon
DATA_DIR=/usr/local/var/otel-sysmon
LOG_DIR=/var/log/otel-sysmon
NODE_MIN=20.19

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: %s\n' "$*" >&2; exit 1; }

build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "install: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

[ "$(uname -s)" = Darwin ] || die "this installer is for macOS; on Linux use deploy/systemd/install-almalinux.sh"
[ "$(id -u)" -eq 0 ] || die "run with sudo"

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
if ! grep -qs '"name": "otel-sysmon"' "$source_dir/package.json"; then
  die "run this script from an otel-sysmon checkout ($source_dir is not one)"
fi

# sudo resets PATH: look where Homebrew and the node.js installer put node.
find_node() {
  local candidate
  for candidate in "${NODE:-}" /opt/homebrew/opt/node@20/bin/node /opt/homebrew/bin/node \
    /usr/local/opt/node@20/bin/node /usr/local/bin/node "$(command -v node || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}
node=$(find_node) || die "node not found: brew install node@20, or set NODE=/path/to/node"
"$node" -e '
  const [have, need] = process.argv.slice(1).map((v) => v.split(".").map(Number));
  process.exit(have[0] > need[0] || (have[0] === need[0] && have[1] >= need[1]) ? 0 : 1);
' "$("$node" -p 'process.versions.node')" "$NODE_MIN" || die "$node is older than Node.js $NODE_MIN"
say "using $node ($("$node" --version))"

if [ "$build" = 1 ]; then
  # Build as the user who owns the checkout, so no root-owned files are left in it.
  owner=$(stat -f %Su "$source_dir")
  say "building in $source_dir as $owner"
  sudo -u "$owner" env PATH="$(dirname "$node"):$PATH" sh -c 'cd "$1" && npm ci --no-audit --no-fund && npx tsc -p tsconfig.json' sh "$source_dir"
fi
[ -f "$source_dir/dist/src/cli/main.js" ] || die "$source_dir/dist is missing: build first or drop --no-build"

say "installing the agent to $PREFIX"
rm -rf "$PREFIX.new"
mkdir -p "$PREFIX.new"
cp -R "$source_dir/package.json" "$source_dir/bin" "$source_dir/dist" "$source_dir/node_modules" "$PREFIX.new/"
chown -R root:wheel "$PREFIX.new"
chmod -R go-w "$PREFIX.new"
rm -rf "$PREFIX.old"
if [ -e "$PREFIX" ]; then mv "$PREFIX" "$PREFIX.old"; fi
mv "$PREFIX.new" "$PREFIX"
rm -rf "$PREFIX.old"

install -d -m 0755 -o root -g wheel "$CONF_DIR" "$LOG_DIR"
install -d -m 0700 -o root -g wheel "$DATA_DIR"
if [ -e "$CONF_DIR/config.yaml" ]; then
  say "keeping $CONF_DIR/config.yaml"
else
  install -m 0644 -o root -g wheel "$source_dir/deploy/launchd/config.yaml" "$CONF_DIR/config.yaml"
  say "wrote $CONF_DIR/config.yaml"
fi

# Replace a loaded daemon: bootstrap refuses a label that is already loaded.
if launchctl print "system/$LABEL" >/dev/null 2>&1; then
  launchctl bootout "system/$LABEL" || true
  for _ in $(seq 1 50); do
    launchctl print "system/$LABEL" >/dev/null 2>&1 || break
    sleep 0.2
  done
fi

install -m 0644 -o root -g wheel "$source_dir/deploy/launchd/$LABEL.plist" "$PLIST"
/usr/libexec/PlistBuddy -c "Set :ProgramArguments:0 $node" "$PLIST"
plutil -lint "$PLIST" >/dev/null
launchctl enable "system/$LABEL"
launchctl bootstrap system "$PLIST"
say "loaded $LABEL: sudo launchctl print system/$LABEL; tail -f $LOG_DIR/otel-sysmon.log"
