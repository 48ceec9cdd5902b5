#!/usr/bin/env bash
# Loopback tests of `ofq serve`: every test starts and stops its own server on a free port.
#   tests/server/run.sh BUILD/ofq [pytest arguments]
# The catalog is the repo's data/ (a copy of shared/data); OFQ_DATA_DIR overrides it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: tests/server/run.sh PATH/TO/ofq [pytest args]" >&2; exit 1; }
OFQ_BINARY=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
[ -x "$OFQ_BINARY" ] || { echo "tests/server: $OFQ_BINARY is not an executable ofq" >&2; exit 1; }
export OFQ_BINARY
if [ -z "${OFQ_DATA_DIR:-}" ]; then
  if [ -f "$here/../../data/catalog.tsv" ]; then OFQ_DATA_DIR=$(cd "$here/../../data" && pwd)
  else OFQ_DATA_DIR=$(cd "$here/../../../shared/data" 2>/dev/null && pwd || echo /work/shared/data); fi
fi
export OFQ_DATA_DIR
cd "$here"
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" .
