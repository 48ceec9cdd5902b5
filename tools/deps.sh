#!/usr/bin/env bash
# The one list of what ofq needs from Debian, used by make, make test, make demo and CI.
# Installs only what is missing, so a second run costs a dpkg query and nothing else.
#   tools/deps.sh build   compilers and libraries for build/ofq
#   tools/deps.sh test    build + what the tests compare against (samtools, bgzip, python3 ...)
#   tools/deps.sh bench   test + the peers and load tools of bench/
set -euo pipefail
level=${1:-build}

build=(build-essential cmake pkg-config zlib1g-dev libisal-dev libdeflate-dev libboost-dev
       nlohmann-json3-dev libsimdjson-dev libcli11-dev libcsv-dev libxxhash-dev libsqlite3-dev
       libssl-dev)
test=(libgtest-dev libgmock-dev samtools tabix python3 python3-pandas python3-requests
      python3-pytest python3-venv python3-pip python3-biopython curl xz-utils bzip2 zstd zip
      nginx openssl python3-tqdm)
bench=(libbenchmark-dev bedtools seqkit python3-pyfaidx python3-pysam nginx wrk hyperfine
       python3-tqdm time bc)

want=("${build[@]}")
case "$level" in
  build) ;;
  test) want+=("${test[@]}") ;;
  bench) want+=("${test[@]}" "${bench[@]}") ;;
  *) echo "usage: tools/deps.sh build|test|bench" >&2; exit 1 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root to run: apt-get install ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# An old or missing package list finds nothing; refresh once, then install.
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
