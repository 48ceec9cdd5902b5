#!/usr/bin/env bash
# Runs the Python client's tests (python/tests) with Debian's python3 and pytest.
# Env: OFQ_BINARY (default build/ofq), OFQ_CATALOG (default data/, else ../shared/data).
# Exit: pytest's status, except that "no tests collected" (5) is a failure too.
# Extra arguments go to pytest, e.g. tests/python/run.sh -k seed -x
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
# tools/run_integration.sh passes the binary first, like every suite's runner: then it must exist.
if [ $# -gt 0 ] && [ -f "$1" ]; then
  export OFQ_BINARY=$1
  shift
  [ -x "$OFQ_BINARY" ] || { echo "tests/python/run.sh: $OFQ_BINARY is not executable" >&2; exit 1; }
fi
export OFQ_BINARY=${OFQ_BINARY:-$repo/build/ofq}
if [ ! -x "$OFQ_BINARY" ]; then
  echo "tests/python/run.sh: WARNING: no ofq binary at $OFQ_BINARY: the tests against a real server are SKIPPED" >&2
fi
cd "$repo/python" || exit 1
PYTHONPATH="$repo/python/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1 \
  /usr/bin/python3 -m pytest -p no:cacheprovider -q -rs tests "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "tests/python/run.sh: pytest collected no tests: failing" >&2
  exit 1
fi
exit "$rc"
