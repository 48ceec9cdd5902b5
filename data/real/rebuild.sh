#!/usr/bin/env bash
# Rebuild the real data files that are too big to commit (today: BioMarKs50k_18S_V4.fa,
# 21 MB) from the Debian 12 package that ships them, then check them against SHA256SUMS.
#
#   data/real/rebuild.sh            rebuild what is missing (a present, correct file is kept)
#   data/real/rebuild.sh --force    rebuild even when present
#   data/real/rebuild.sh --check    only check every present file against SHA256SUMS
#
# Steps: `apt-get download PKG=VERSION` into a temporary folder (no install, no root
# needed once `apt-get update` has run), `dpkg-deb -x`, gunzip the data file here,
# then `sha256sum -c`. Needs apt-get, dpkg-deb, gzip, sha256sum.
# Exit 0 when every file listed in SHA256SUMS that is present matches and nothing is missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
force=0
check_only=0
case "${1:-}" in
  --force) force=1 ;;
  --check) check_only=1 ;;
  "") ;;
  -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
  *) echo "rebuild.sh: unknown argument: $1" >&2; exit 2 ;;
esac

# name in this folder | Debian package | version | path inside the package | how
big=(
  "BioMarKs50k_18S_V4.fa|vsearch-examples|2.22.1-1|usr/share/doc/vsearch-examples/BioMarKs50k.fsa.gz|gunzip"
)

want_sum() { awk -v n="$1" '$2 == n { print $1 }' "$here/SHA256SUMS"; }

check_all() {
  ( cd "$here" && sha256sum -c --quiet --ignore-missing SHA256SUMS )
}

if [ "$check_only" = 1 ]; then
  check_all && echo "rebuild.sh: all present files match SHA256SUMS"
  exit $?
fi

tmp=""
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT

for entry in "${big[@]}"; do
  IFS='|' read -r name pkg version src how <<<"$entry"
  dest="$here/$name"
  sum="$(want_sum "$name")"
  [ -n "$sum" ] || { echo "rebuild.sh: $name is not in SHA256SUMS" >&2; exit 1; }
  if [ "$force" = 0 ] && [ -f "$dest" ] && echo "$sum  $dest" | sha256sum -c --quiet - >/dev/null 2>&1; then
    continue
  fi
  [ -n "$tmp" ] || tmp="$(mktemp -d)"
  echo "rebuild.sh: $name <= $pkg=$version:/$src" >&2
  mkdir -p "$tmp/deb/$pkg" "$tmp/root/$pkg"
  ( cd "$tmp/deb/$pkg"
    apt-get download -q "$pkg=$version" >/dev/null 2>&1 \
      || { echo "rebuild.sh: $pkg=$version not available, trying the current $pkg" >&2
           apt-get download -q "$pkg" >/dev/null; } )
  dpkg-deb -x "$tmp/deb/$pkg/"*.deb "$tmp/root/$pkg"
  case "$how" in
    gunzip) gzip -dc "$tmp/root/$pkg/$src" > "$dest.part" ;;
    copy)   cp "$tmp/root/$pkg/$src" "$dest.part" ;;
  esac
  if ! echo "$sum  $dest.part" | sha256sum -c --quiet - ; then
    echo "rebuild.sh: $name from $pkg does not match SHA256SUMS (the Debian data changed?)" >&2
    rm -f "$dest.part"
    exit 1
  fi
  chmod 644 "$dest.part"
  mv "$dest.part" "$dest"
done

check_all
