#!/usr/bin/env bash
# Runs one loopback pytest suite (tests/server, tests/production) against a built ofq:
#   tests/common/pytest_suite.sh SUITE_DIR PATH/TO/ofq [pytest arguments]
# OFQ_BINARY is the binary's absolute path; OFQ_DATA_DIR the repo's data/ unless set.
set -euo pipefail
suite=$(cd "$1" && pwd)
name=tests/$(basename "$suite")
[ $# -ge 2 ] || { echo "usage: $name/run.sh PATH/TO/ofq [pytest args]" >&2; exit 1; }
OFQ_BINARY=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
shift 2
[ -x "$OFQ_BINARY" ] || { echo "$name: $OFQ_BINARY is not an executable ofq" >&2; exit 1; }
export OFQ_BINARY
if [ -z "${OFQ_DATA_DIR:-}" ]; then
  OFQ_DATA_DIR=$(cd "$suite/../../data" && pwd)
  [ -f "$OFQ_DATA_DIR/catalog.tsv" ] || { echo "$name: no catalog.tsv in $OFQ_DATA_DIR" >&2; exit 1; }
fi
export OFQ_DATA_DIR
cd "$suite"
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" .
