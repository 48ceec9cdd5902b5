#!/usr/bin/env bash
# Usage: tests/differential/run.sh OFQ_BINARY [options of differential_test.py]
# Prints a final line "N passed, M failed"; exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 OFQ_BINARY" >&2; exit 2; }
exec /usr/bin/python3 "$here/differential_test.py" "$@"
