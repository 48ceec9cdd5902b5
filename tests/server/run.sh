#!/usr/bin/env bash
# Loopback tests of `ofq serve`: every test starts and stops its own server on a free port.
#   tests/server/run.sh BUILD/ofq [pytest arguments]
# The catalog is the repo's data/; OFQ_DATA_DIR overrides it.
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../common/pytest_suite.sh" "$here" "$@"
