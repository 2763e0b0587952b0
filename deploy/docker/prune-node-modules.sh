#!/bin/sh
# Removes from a production node_modules what Node.js never loads on this platform, for the image's
# runtime stage: koffi's prebuilt binaries for the other platforms (it ships 18), the sources and object
# files of better-sqlite3's compiled addon, type declarations, source maps, bundler-only builds and docs.
# Usage: prune-node-modules.sh NODE_MODULES_DIR   (run where the image's node runs: it names the platform)
set -eu

dir=${1:?usage: prune-node-modules.sh NODE_MODULES_DIR}
# koffi's directory names: <platform>_<arch>, with suffixes on some (linux_armhf, linux_riscv64d).
triplet=$(node -p 'process.platform + "_" + process.arch')

for d in "$dir"/koffi/build/koffi/*/; do
  case "$(basename "$d")" in
    "$triplet"*) ;;
    *) rm -rf "$d" ;;
  esac
done
rm -rf "$dir/koffi/src" "$dir/koffi/vendor" "$dir/koffi/doc"

# The bindings package loads build/Release/better_sqlite3.node, whether downloaded or compiled here.
if [ -d "$dir/better-sqlite3/build/Release" ]; then
  find "$dir/better-sqlite3/build" -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
  find "$dir/better-sqlite3/build/Release" -mindepth 1 ! -name better_sqlite3.node -exec rm -rf {} +
fi
rm -rf "$dir/better-sqlite3/deps" "$dir/better-sqlite3/src"

# "esnext" builds are read only by bundlers (the package.json esnext field), never by Node.js.
find "$dir" -type d -name esnext -prune -exec rm -rf {} +
find "$dir" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
  -o -name 'README*' -o -name 'CHANGELOG*' -o -name 'HISTORY*' \) -delete
