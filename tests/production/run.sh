#!/usr/bin/env bash
# Production tests of `ofq serve` (issue 5), on loopback: durable jobs across kill -9,
# expiry, every limit, tokens, rate limit, gzip, CORS, metrics, OpenAPI, access logs,
# SIGTERM with a streamed answer in flight. Every test starts its own server.
#   tests/production/run.sh BUILD/ofq [pytest arguments]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: tests/production/run.sh PATH/TO/ofq [pytest args]" >&2; exit 1; }
OFQ_BINARY=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
[ -x "$OFQ_BINARY" ] || { echo "tests/production: $OFQ_BINARY is not an executable ofq" >&2; exit 1; }
export OFQ_BINARY
if [ -z "${OFQ_DATA_DIR:-}" ]; then
  if [ -f "$here/../../data/catalog.tsv" ]; then OFQ_DATA_DIR=$(cd "$here/../../data" && pwd)
  else OFQ_DATA_DIR=/work/shared/data; fi
fi
export OFQ_DATA_DIR
cd "$here"
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" .
