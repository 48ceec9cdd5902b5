#!/usr/bin/env bash
# Production tests of `ofq serve` (issue 5), on loopback: durable jobs across kill -9,
# expiry, every limit, tokens, rate limit, gzip, CORS, metrics, OpenAPI, access logs,
# SIGTERM with a streamed answer in flight. Every test starts its own server.
#   tests/production/run.sh BUILD/ofq [pytest arguments]
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../common/pytest_suite.sh" "$here" "$@"
