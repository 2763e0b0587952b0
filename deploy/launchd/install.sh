#!/bin/bash
# Installs otel-sysmon as a LaunchDaemon on macOS from a source checkout: the agent in /usr/local/otel-sysmon,
# configuration in /usr/local/etc/otel-sysmon, state in /usr/local/var/otel-sysmon, logs in
# /var/log/otel-sysmon (rotated by newsyslog: /etc/newsyslog.d/io.otel-sysmon.agent.conf), and
# /Library/LaunchDaemons/io.otel-sysmon.agent.plist loaded with `launchctl bootstrap system`.
# Running it again upgrades the agent and keeps the configuration.
#
# Usage: sudo deploy/launchd/install.sh [--no-build] [--destdir DIR]
#   --no-build     use the checkout's existing dist/ and node_modules/ instead of npm ci + build
#   --destdir DIR  stage every file under DIR and stop there (no launchctl, no root needed, any OS)
# Node.js 20.19 or later, arm64 on Apple Silicon: brew install node@20 (or node@22, node@24). The plist
# pins Homebrew's versioned keg path (/opt/homebrew/opt/node@20/bin/node), never the unversioned `node`
# formula, which `brew upgrade` moves to a new major and so breaks the native modules. NODE=/path/to/node
# picks one.
set -euo pipefail

LABEL=io.otel-sysmon.agent
PLIST=/Library/LaunchDaemons/$LABEL.plist
PREFIX=/usr/local/otel-sysmon
CONF_DIR=/usr/local/etc/otel-sysmon
DATA_DIR=/usr/local/var/otel-sysmon
LOG_DIR=/var/log/otel-sysmon
NEWSYSLOG=/etc/newsyslog.d/$LABEL.conf
NODE_MIN=20.19
# What the daemon and the bridge read at run time, relative to the checkout: the compiled agent, its
# dependencies, the OTLP protocol definitions (proto/), the Proton DDL (otel-collector-config/) and the
# web page's static files (src/web/static).
RUNTIME_FILES=(package.json bin dist node_modules proto otel-collector-config src/web/static)
# The node path in the plist template, replaced by the pinned one.
TEMPLATE_NODE=/opt/homebrew/opt/node@20/bin/node

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: %s\n' "$*" >&2; exit 1; }

build=1
destdir=
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --destdir)
      [ $# -ge 2 ] || { echo "install: --destdir needs a directory" >&2; exit 2; }
      destdir=$2
      shift
      ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "install: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$destdir" ]; then
  [ "$(uname -s)" = Darwin ] || die "this installer is for macOS; on Linux use deploy/systemd/install-almalinux.sh"
  [ "$(id -u)" -eq 0 ] || die "run with sudo"
fi

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
if ! grep -qs '"name": "otel-sysmon"' "$source_dir/package.json"; then
  die "run this script from an otel-sysmon checkout ($source_dir is not one)"
fi
# shellcheck source=unload.sh
. "$source_dir/deploy/launchd/unload.sh"

# sudo resets PATH: look where Homebrew puts its versioned kegs, newest major first.
find_node() {
  local candidate prefix major
  if [ -n "${NODE:-}" ]; then
    [ -x "$NODE" ] || die "NODE=$NODE is not an executable"
    printf '%s\n' "$NODE"
    return 0
  fi
  for prefix in /opt/homebrew /usr/local; do
    for major in 24 22 20; do
      candidate=$prefix/opt/node@$major/bin/node
      if [ -x "$candidate" ]; then
        printf '%s\n' "$candidate"
        return 0
      fi
    done
  done
  candidate=$(command -v node || true)
  [ -n "$candidate" ] || die "node not found: brew install node@20, or set NODE=/path/to/node"
  printf '%s\n' "$candidate"
}

# The path to pin for a node binary: a Homebrew node becomes its versioned keg's opt path (stable across
# patch upgrades, gone only when that major is uninstalled); the unversioned `node` formula is refused.
pin_node() {
  local real formula prefix
  real=$("$1" -e 'process.stdout.write(require("fs").realpathSync(process.argv[1]))' "$1") || die "$1 does not run"
  case "$real" in
    */Cellar/*/bin/node)
      prefix=${real%%/Cellar/*}
      formula=${real#"$prefix"/Cellar/}
      formula=${formula%%/*}
      case "$formula" in
        node@[0-9]*) printf '%s\n' "$prefix/opt/$formula/bin/node" ;;
        *) die "$1 is Homebrew's unversioned '$formula' formula ($real): a brew upgrade to a new major would break the agent's native modules; brew install node@20 (or node@22) and run again" ;;
      esac
      ;;
    *) printf '%s\n' "$1" ;;
  esac
}

node=$(find_node)
"$node" -e '
  const [have, need] = process.argv.slice(1).map((v) => v.split(".").map(Number));
  process.exit(have[0] > need[0] || (have[0] === need[0] && have[1] >= need[1]) ? 0 : 1);
' "$("$node" -p 'process.versions.node')" "$NODE_MIN" || die "$node is older than Node.js $NODE_MIN"
# An x86_64 node on Apple Silicon runs under Rosetta, where IOReport has no CPU frequencies.
if [ "$(sysctl -n hw.optional.arm64 2>/dev/null || echo 0)" = 1 ]; then
  arch=$("$node" -p 'process.arch')
  [ "$arch" = arm64 ] || die "$node is an $arch build: on Apple Silicon it runs under Rosetta, where IOReport gives no CPU frequencies; install the arm64 Node.js (Homebrew in /opt/homebrew: brew install node@20)"
fi
pinned=$(pin_node "$node")
case "$pinned" in
  *[!A-Za-z0-9._/@+-]*) die "cannot pin $pinned in the plist: only letters, digits and ._/@+- are allowed in the node path" ;;
esac
say "using $node ($("$node" --version)); the daemon runs $pinned"

if [ "$build" = 1 ]; then
  # Build as the user who owns the checkout, so no root-owned files are left in it.
  owner=$(stat -f %Su "$source_dir" 2>/dev/null || stat -c %U "$source_dir")
  say "building in $source_dir as $owner"
  sudo -u "$owner" env PATH="$(dirname "$node"):$PATH" sh -c 'cd "$1" && npm ci --no-audit --no-fund && npx tsc -p tsconfig.json' sh "$source_dir"
fi
[ -f "$source_dir/dist/src/cli/main.js" ] || die "$source_dir/dist is missing: build first or drop --no-build"
for file in "${RUNTIME_FILES[@]}"; do
  [ -e "$source_dir/$file" ] || die "$source_dir/$file is missing: the agent needs it at run time"
done

root=${destdir%/}
say "installing the agent to $root$PREFIX"
rm -rf "$root$PREFIX.new"
mkdir -p "$root$PREFIX.new"
for file in "${RUNTIME_FILES[@]}"; do
  mkdir -p "$(dirname "$root$PREFIX.new/$file")"
  cp -R "$source_dir/$file" "$root$PREFIX.new/$file"
done
if [ -z "$destdir" ]; then chown -R root:wheel "$PREFIX.new"; fi
chmod -R go-w "$root$PREFIX.new"
rm -rf "$root$PREFIX.old"
if [ -e "$root$PREFIX" ]; then mv "$root$PREFIX" "$root$PREFIX.old"; fi
mv "$root$PREFIX.new" "$root$PREFIX"
rm -rf "$root$PREFIX.old"

# install(1) owned by root:wheel, except when staging (an empty array under set -u breaks macOS's bash 3.2).
install_owned() { if [ -z "$destdir" ]; then install -o root -g wheel "$@"; else install "$@"; fi; }
install_owned -d -m 0755 "$root$CONF_DIR" "$root$LOG_DIR" "$root$(dirname "$NEWSYSLOG")" "$root$(dirname "$PLIST")"
install_owned -d -m 0700 "$root$DATA_DIR"
if [ -e "$root$CONF_DIR/config.yaml" ]; then
  say "keeping $CONF_DIR/config.yaml"
else
  install_owned -m 0644 "$source_dir/deploy/launchd/config.yaml" "$root$CONF_DIR/config.yaml"
  say "wrote $CONF_DIR/config.yaml"
fi
install_owned -m 0644 "$source_dir/deploy/launchd/newsyslog.conf" "$root$NEWSYSLOG"
say "log rotation: $NEWSYSLOG"

# The plist with the pinned node, written aside and moved into place.
sed "s|<string>$TEMPLATE_NODE</string>|<string>$pinned</string>|" "$source_dir/deploy/launchd/$LABEL.plist" >"$root$PLIST.new"
grep -q "<string>$pinned</string>" "$root$PLIST.new" || die "could not set the node path in $PLIST"
if [ -n "$destdir" ]; then
  mv "$root$PLIST.new" "$root$PLIST"
  say "staged under $destdir (nothing loaded)"
  exit 0
fi

# Replace a loaded daemon: bootstrap refuses a label that is already loaded.
unload_daemon "$LABEL" || die "system/$LABEL would not unload; see: sudo launchctl print system/$LABEL"
chown root:wheel "$PLIST.new"
chmod 0644 "$PLIST.new"
mv "$PLIST.new" "$PLIST"
plutil -lint "$PLIST" >/dev/null
launchctl enable "system/$LABEL"
launchctl bootstrap system "$PLIST"
say "loaded $LABEL: sudo launchctl print system/$LABEL; tail -f $LOG_DIR/otel-sysmon.log"
