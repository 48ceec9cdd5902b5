#!/usr/bin/env bash
# GA4GH refget v2 against a real `ofq serve` (REFGET.md): the compliance suite's three
# sequences from ../shared/data/refget, NC circular through topology.tsv, insdc aliases
# through aliases.tsv, soft-masked / gzip / BGZF copies, and `ofq digest`.
#   tests/refget/run.sh build/ofq [pytest args...]
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: tests/refget/run.sh OFQ_BINARY [pytest args...]" >&2
  exit 1
fi
bin=$(readlink -f "$1")
shift
[ -x "$bin" ] || { echo "tests/refget/run.sh: $bin is not an executable" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
export OFQ_BINARY="$bin"
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$here/test_refget.py" "$@"
