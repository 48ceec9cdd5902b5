#!/usr/bin/env bash
# Runs every integration suite against one built ofq: each tests/<suite>/run.sh takes the
# binary's path and exits non-zero on any failure. Prints one line per suite and a total.
set -uo pipefail
ofq=${1:?usage: tools/run_integration.sh /abs/path/to/ofq}
cd "$(dirname "$0")/.."
suites=(cli messy differential real server refget production python)
passed=0 failed=0 failed_names=()
for s in "${suites[@]}"; do
  runner=tests/$s/run.sh
  if [ ! -x "$runner" ]; then
    echo "== $s: MISSING ($runner)"; failed=$((failed + 1)); failed_names+=("$s"); continue
  fi
  echo "== $s"
  start=$(date +%s)
  if "$runner" "$ofq"; then
    passed=$((passed + 1)); echo "== $s: ok ($(( $(date +%s) - start )) s)"
  else
    failed=$((failed + 1)); failed_names+=("$s"); echo "== $s: FAILED ($(( $(date +%s) - start )) s)"
  fi
done
[ $failed -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "integration: $passed passed, $failed failed"
[ $failed -eq 0 ]
