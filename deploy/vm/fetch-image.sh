#!/usr/bin/env bash
# Downloads the AlmaLinux GenericCloud image into $SYSMON_VM_DIR/images and verifies it: the CHECKSUM file's
# signature against the pinned AlmaLinux key fingerprint (VERIFY_GPG), then the image's SHA-256 against
# CHECKSUM. A mismatching download is deleted. Records URL, checksum and version in <image>.env.
# Skips the download when the image on disk already matches the published checksum.
# Usage: make -C deploy/vm fetch-image
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
require curl

mkdir -p "$IMAGES_DIR"
work=$(mktemp -d "$IMAGES_DIR/.fetch.XXXXXX")
cleanup() {
  # gpg may have started an agent for the throw-away keyring; it must not outlive it.
  if [ -d "$work/gnupg" ] && command -v gpgconf >/dev/null 2>&1; then
    gpgconf --homedir "$work/gnupg" --kill all 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Prints the SHA-256 recorded for file $1 in checksum file $2 (BSD "SHA256 (name) = hex" or GNU "hex  name").
checksum_for() {
  awk -v name="$1" '
    $1 == "SHA256" && $2 == "(" name ")" && $3 == "=" { print tolower($4); found = 1; exit }
    $1 ~ /^[0-9a-fA-F]{64}$/ && ($2 == name || $2 == "*" name) { print tolower($1); found = 1; exit }
    END { if (!found) exit 1 }
  ' "$2"
}

# The other name CHECKSUM lists with the same hash, e.g. the dated file behind "...-latest...".
version_name_for() {
  awk -v hash="$2" -v name="$1" '
    $1 == "SHA256" && tolower($4) == hash { n = $2; gsub(/[()]/, "", n); if (n != name) { print n; exit } }
  ' "$3"
}

# Verifies the CHECKSUM signature and leaves the signed text in $work/CHECKSUM.signed.
verify_signature() {
  local checksum="$work/CHECKSUM" mode=""
  if [ "$VERIFY_GPG" = no ]; then
    warn "VERIFY_GPG=no: trusting CHECKSUM from $ALMA_BASE_URL without a signature"
    cp "$checksum" "$work/CHECKSUM.signed"
    return 0
  fi
  if head -n 1 "$checksum" | grep -q '^-----BEGIN PGP SIGNED MESSAGE-----'; then
    mode=inline
  elif curl -fsSL -o "$work/CHECKSUM.asc" "$ALMA_BASE_URL/CHECKSUM.asc"; then
    mode=detached
  elif [ "$VERIFY_GPG" = require ]; then
    die "no signature for $ALMA_BASE_URL/CHECKSUM (VERIFY_GPG=require)"
  else
    warn "no signature published for $ALMA_BASE_URL/CHECKSUM: relying on the checksum over HTTPS only"
    cp "$checksum" "$work/CHECKSUM.signed"
    return 0
  fi
  require gpg
  [ -n "$ALMA_GPG_FINGERPRINT" ] || die "set ALMA_GPG_FINGERPRINT to the fingerprint of the AlmaLinux $ALMA_MAJOR key"
  local home="$work/gnupg" fingerprint status
  mkdir -m 0700 "$home"
  curl -fsSL -o "$work/key.asc" "$ALMA_GPG_KEY_URL" || die "cannot download the signing key $ALMA_GPG_KEY_URL"
  gpg --homedir "$home" --batch --quiet --import "$work/key.asc" 2>/dev/null || die "$ALMA_GPG_KEY_URL is not a PGP key"
  fingerprint=$(gpg --homedir "$home" --batch --with-colons --fingerprint | awk -F: '$1 == "fpr" { print $10; exit }')
  [ "$fingerprint" = "$ALMA_GPG_FINGERPRINT" ] \
    || die "the key at $ALMA_GPG_KEY_URL has fingerprint $fingerprint, not the pinned $ALMA_GPG_FINGERPRINT"
  if [ "$mode" = inline ]; then
    status=$(gpg --homedir "$home" --batch --status-fd 1 --output "$work/CHECKSUM.signed" --decrypt "$checksum" 2>/dev/null) \
      || die "bad signature on CHECKSUM"
  else
    status=$(gpg --homedir "$home" --batch --status-fd 1 --verify "$work/CHECKSUM.asc" "$checksum" 2>/dev/null) \
      || die "bad signature on CHECKSUM"
    cp "$checksum" "$work/CHECKSUM.signed"
  fi
  printf '%s\n' "$status" | grep -q "^\[GNUPG:\] VALIDSIG .*$ALMA_GPG_FINGERPRINT" \
    || die "CHECKSUM is not signed by $ALMA_GPG_FINGERPRINT"
  say "CHECKSUM signature good (key $ALMA_GPG_FINGERPRINT)"
}

say "fetching $ALMA_BASE_URL/CHECKSUM"
curl -fsSL --retry 3 -o "$work/CHECKSUM" "$ALMA_BASE_URL/CHECKSUM" || die "cannot download $ALMA_BASE_URL/CHECKSUM"
verify_signature
expected=$(checksum_for "$ALMA_IMAGE" "$work/CHECKSUM.signed") || die "CHECKSUM has no SHA-256 for $ALMA_IMAGE"
target="$IMAGES_DIR/$ALMA_IMAGE"

if [ -f "$target" ] && [ "$(sha256_of "$target")" = "$expected" ]; then
  say "$target is up to date"
else
  say "downloading $ALMA_BASE_URL/$ALMA_IMAGE"
  progress=--silent
  if [ -t 2 ]; then progress=--progress-bar; fi
  curl -fL --retry 3 "$progress" -o "$work/$ALMA_IMAGE" "$ALMA_BASE_URL/$ALMA_IMAGE" \
    || die "cannot download $ALMA_BASE_URL/$ALMA_IMAGE"
  actual=$(sha256_of "$work/$ALMA_IMAGE")
  [ "$actual" = "$expected" ] || die "checksum mismatch for $ALMA_IMAGE: expected $expected, got $actual (download deleted)"
  mv "$work/$ALMA_IMAGE" "$target"
  say "verified and saved $target"
fi

version=$(version_name_for "$ALMA_IMAGE" "$expected" "$work/CHECKSUM.signed" || true)
{
  printf 'IMAGE_URL=%s\n' "$ALMA_BASE_URL/$ALMA_IMAGE"
  printf 'IMAGE_SHA256=%s\n' "$expected"
  printf 'IMAGE_VERSION=%s\n' "${version:-$ALMA_IMAGE}"
  printf 'FETCHED_AT=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$target.env"
say "recorded $target.env"
