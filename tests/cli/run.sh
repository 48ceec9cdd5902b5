#!/usr/bin/env bash
# The CLI table: each row of cases.tsv is an exit code, the file stdout must equal, the file
# stderr must equal ('.' for "not checked", 'empty' for "must be empty"), and a command run
# by bash in a scratch folder holding copies of data/ (with $OFQ the binary under test).
# Usage: tests/cli/run.sh /abs/path/ofq        (OFQ_UPDATE=1 rewrites the expected files)
set -uo pipefail
ofq=${1:?usage: run.sh /abs/path/to/ofq}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/data/." "$work/"
cp "$here/../../data/published/query_tara_"*.csv "$work/"
for s in A100000171 R110002003; do
  gzip -dc "$here/../../data/published/assemblies/TARA_$s.scaftig.gz" > "$work/TARA_$s.fa"
done
pass=0 fail=0 n=0
while IFS=$'\t' read -r rc out err cmd; do
  case "$rc" in ''|'#'*) continue ;; esac
  n=$((n + 1))
  (cd "$work" && OFQ="$ofq" bash -c "$cmd" >"$work/.out" 2>"$work/.err"); got=$?
  ok=1 why=""
  [ "$got" = "$rc" ] || { ok=0; why="exit $got, expected $rc"; }
  check() {  # check STREAM EXPECTED
    local f=$1 want=$2
    case "$want" in
      .) ;;
      empty) [ -s "$work/$f" ] && { ok=0; why="$why; $f not empty"; } ;;
      *) if [ "${OFQ_UPDATE:-}" = 1 ]; then cp "$work/$f" "$here/expected/$want"; fi
         cmp -s "$work/$f" "$here/expected/$want" || { ok=0; why="$why; $f differs from expected/$want"; } ;;
    esac
  }
  check .out "$out"; check .err "$err"
  if [ $ok = 1 ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL case $n: $cmd: $why"
    echo "  stderr: $(head -c 400 "$work/.err")"
  fi
done < "$here/cases.tsv"
echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
