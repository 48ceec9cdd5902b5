#!/usr/bin/env bash
# Issue #7's two numbers, with a dated report in bench/results/:
#  1. the digest pass (`ofq digest`, md5 + sha512t24u of every record, two threads) against
#     `openssl dgst -md5` plus `openssl dgst -sha512` on the same file: must reach 80 % of
#     their speed (pass time <= (md5 time + sha512 time) / 0.8);
#  2. `GET /sequence/{md5}?start=&end=` (1 kb) against the /v1 single-region GET of the
#     same bases, under `wrk -c 64`: within 10 %.
#
#   bench/bench_refget.sh [--quick] [--fasta FILE] [--size-mb N] [--runs N] [--ofq PATH]
#                         [--wrk-seconds S] [--rounds N] [--sections digest,http]
# --quick: a 100 MB file, 3 runs, 3 rounds of 5 s of wrk. Default: 1000 MB, 5 runs,
# 5 rounds of 10 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
shared=$(dirname "$top")/shared
PY=${PY:-/usr/bin/python3}
OFQ=${OFQ:-$top/build/ofq}
size_mb=1000
runs=5
wrk_s=10
rounds=5
fasta=""
sections=digest,http
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) size_mb=100; runs=3; wrk_s=5; rounds=3 ;;
    --rounds) rounds=$2; shift ;;
    --fasta) fasta=$2; shift ;;
    --size-mb) size_mb=$2; shift ;;
    --runs) runs=$2; shift ;;
    --ofq) OFQ=$2; shift ;;
    --wrk-seconds) wrk_s=$2; shift ;;
    --sections) sections=$2; shift ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "bench_refget.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
  shift
done
[ -x "$OFQ" ] || { echo "bench_refget.sh: no ofq at $OFQ (build it, or --ofq PATH)" >&2; exit 1; }
for t in openssl wrk curl; do
  command -v $t >/dev/null || { echo "bench_refget.sh: needs $t (tools/deps.sh bench)" >&2; exit 1; }
done

work=$top/bench/work/refget
mkdir -p "$work/idx" "$top/bench/results"
if [ -z "$fasta" ]; then
  fasta=$top/bench/work/catalog-${size_mb}mb.fa
  if [ ! -s "$fasta" ]; then
    echo "generating $fasta ..." >&2
    "$PY" "$top/bench/gen/make_catalog.py" "$fasta" --size-mb "$size_mb" >&2
  fi
fi
bytes=$(stat -c %s "$fasta")
stamp=$(date -u +%Y-%m-%dT%H%MZ)
report=$top/bench/results/$(date -u +%Y-%m-%d)-$(hostname -s)-refget.md
out=$(mktemp)
trap 'rm -f "$out"; [ -n "${srv_pid:-}" ] && kill "$srv_pid" 2>/dev/null || true' EXIT

say() { printf '%s\n' "$*" | tee -a "$out"; }
# Wall and CPU seconds of a command: "wall cpu".
timed() {
  local f
  f=$(mktemp)
  /usr/bin/time -o "$f" -f "%e %U %S" "$@" >/dev/null 2>&1
  tail -1 "$f" | awk '{printf "%.3f %.3f\n", $1, $2 + $3}'
  rm -f "$f"
}
min_of() { sort -n | head -1; }

say "# refget bench, $stamp"
say ""
say "- host: $(hostname -s), $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
say "- ofq: $OFQ"
say "- file: $(basename "$fasta"), $bytes bytes, $(grep -c '>' "$fasta") records"
say ""

if [[ $sections == *digest* ]]; then
  "$OFQ" index -q --index-dir "$work/idx" "$fasta"
  side=$(ls "$work"/idx/*.ofqi | head -1).digests
  cat "$fasta" >/dev/null  # warm the page cache
  ofq_w=() ofq_c=() md5_w=() md5_c=() sha_w=() sha_c=()
  for ((i = 0; i < runs; i++)); do
    rm -f "$side" "$side.partial"
    read -r w c < <(timed "$OFQ" digest -q --no-write --index-dir "$work/idx" -o /dev/null "$fasta")
    ofq_w+=("$w"); ofq_c+=("$c")
    read -r w c < <(timed openssl dgst -md5 "$fasta"); md5_w+=("$w"); md5_c+=("$c")
    read -r w c < <(timed openssl dgst -sha512 "$fasta"); sha_w+=("$w"); sha_c+=("$c")
  done
  # One run that writes the sidecar, and the cost of reading it back.
  rm -f "$side" "$side.partial"
  read -r write_w _ < <(timed "$OFQ" digest -q --index-dir "$work/idx" -o /dev/null "$fasta")
  read -r load_w _ < <(timed "$OFQ" digest -q --index-dir "$work/idx" -o /dev/null "$fasta")
  ow=$(printf '%s\n' "${ofq_w[@]}" | min_of); oc=$(printf '%s\n' "${ofq_c[@]}" | min_of)
  mw=$(printf '%s\n' "${md5_w[@]}" | min_of); mc=$(printf '%s\n' "${md5_c[@]}" | min_of)
  sw=$(printf '%s\n' "${sha_w[@]}" | min_of); sc=$(printf '%s\n' "${sha_c[@]}" | min_of)
  ratio=$(awk -v o="$ow" -v m="$mw" -v s="$sw" 'BEGIN{printf "%.0f", 100 * (m + s) / o}')
  verdict=$([ "$ratio" -ge 80 ] && echo "meets" || echo "MISSES")
  say "## Digest pass ($runs runs each, best wall time; the page cache is warm)"
  say ""
  say "| command | wall s | CPU s | MB/s (file bytes / wall) |"
  say "|---|---|---|---|"
  for row in "ofq digest (md5 + sha512, 2 threads)|$ow|$oc" "openssl dgst -md5|$mw|$mc" "openssl dgst -sha512|$sw|$sc"; do
    IFS='|' read -r name w c <<<"$row"
    say "| $name | $w | $c | $(awk -v b="$bytes" -v w="$w" 'BEGIN{printf "%.0f", b / 1e6 / w}') |"
  done
  say "| openssl md5 + sha512, one after the other | $(awk -v a="$mw" -v b="$sw" 'BEGIN{printf "%.3f", a + b}') | $(awk -v a="$mc" -v b="$sc" 'BEGIN{printf "%.3f", a + b}') | |"
  say ""
  say "- speed of the pass: **${ratio} %** of openssl md5 + sha512 on the same bytes (target >= 80 %: $verdict)"
  say "- indexing cost of the digests: $(awk -v c="$oc" -v b="$bytes" 'BEGIN{printf "%.2f", c / (b / 1e9)}') CPU-s per GB of FASTA,"\
" $(awk -v w="$ow" -v b="$bytes" 'BEGIN{printf "%.2f", w / (b / 1e9)}') s per GB on two cores"
  say "- with the sidecar written: ${write_w} s; reading it back (a second \`ofq digest\`): ${load_w} s"
  say ""
fi

if [[ $sections == *http* ]]; then
  # The request cost does not depend on the catalog's size: the 100 MB file when there is one.
  hfasta=$fasta
  [ -s "$top/bench/work/catalog-100mb.fa" ] && hfasta=$top/bench/work/catalog-100mb.fa
  cat_dir=$work/catalog
  mkdir -p "$cat_dir"
  sample=$(basename "$hfasta"); sample=${sample%%.*}
  [ -s "$cat_dir/$(basename "$hfasta")" ] || cp "$hfasta" "$cat_dir/"
  log=$work/serve.log
  "$OFQ" serve "$cat_dir" --listen 127.0.0.1:0 --index-dir "$work/idx-serve" 2>"$log" &
  srv_pid=$!
  url=""
  for _ in $(seq 1 600); do
    url=$(grep -o 'listening on http://[^/ ]*' "$log" | head -1 | sed 's/listening on //') || true
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "bench_refget.sh: ofq serve did not start:" >&2; cat "$log" >&2; exit 1; }
  # The first record of at least 2,000 bases, once its digest is known.
  pick=""
  for _ in $(seq 1 1200); do
    pick=$(curl -s "$url/v1/samples/$sample/records?page_size=1000" | "$PY" -c '
import json, sys
try:
    recs = json.load(sys.stdin)["records"]
except Exception:
    sys.exit(0)
for r in recs:
    if r["length"] >= 2000 and r["md5"]:
        print(r["id"], r["md5"]); break
') || true
    [ -n "$pick" ] && break
    sleep 0.5
  done
  [ -n "$pick" ] || { echo "bench_refget.sh: no digest after 10 minutes:" >&2; cat "$log" >&2; exit 1; }
  read -r rec md5 <<<"$pick"
  refget_url="$url/sequence/$md5?start=1000&end=2000"
  v1_url="$url/v1/samples/$sample/sequences/$rec?start=1000&end=2000"
  a=$(curl -s "$refget_url"); b=$(curl -s "$v1_url" | tr a-z A-Z)
  [ "${#a}" -eq 1000 ] && [ "$a" = "$b" ] || { echo "bench_refget.sh: refget and /v1 answers differ" >&2; exit 1; }
  rps() { wrk -t2 -c64 -d"${wrk_s}s" "$1" | awk '/Requests\/sec/{print $2}'; }
  wrk -t2 -c64 -d2s "$v1_url" >/dev/null; wrk -t2 -c64 -d2s "$refget_url" >/dev/null  # warm up
  v1s=() rgs=()
  for ((i = 0; i < rounds; i++)); do v1s+=("$(rps "$v1_url")"); rgs+=("$(rps "$refget_url")"); done
  med() { printf "%s\n" "$@" | sort -n | awk "{a[NR]=\$1} END{print a[int((NR+1)/2)]}"; }
  v1m=$(med "${v1s[@]}"); rgm=$(med "${rgs[@]}")
  pct=$(awk -v a="$rgm" -v b="$v1m" 'BEGIN{printf "%.1f", 100 * a / b}')
  # Each refget round against the /v1 round just before it: robust to a load that drifts.
  ratios=()
  for ((i = 0; i < rounds; i++)); do
    ratios+=("$(awk -v a="${rgs[$i]}" -v b="${v1s[$i]}" 'BEGIN{printf "%.1f", 100 * a / b}')")
  done
  rmed=$(med "${ratios[@]}")
  ok=$(awk -v p="$pct" 'BEGIN{print (p >= 90) ? "meets" : "MISSES"}')
  say "## 1 kb GET under wrk -t2 -c64 -d${wrk_s}s ($rounds rounds, alternating; median)"
  say ""
  say "| route | req/s (rounds) | median |"
  say "|---|---|---|"
  say "| \`GET /v1/samples/$sample/sequences/{id}?start=1000&end=2000\` | ${v1s[*]} | $v1m |"
  say "| \`GET /sequence/{md5}?start=1000&end=2000\` | ${rgs[*]} | $rgm |"
  say ""
  say "- refget at **${pct} %** of /v1 (ratio of medians; target: within 10 %: $ok); sample: $(basename "$hfasta"), record $rec"
  say "- round by round (refget / the /v1 round before it): ${ratios[*]} %; median ${rmed} %"
  say "- server, wrk and everything else share the same $(nproc) cores"
  say ""
  kill "$srv_pid"; wait "$srv_pid" 2>/dev/null || true; srv_pid=""
fi
say "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
cp "$out" "$report"
echo "report: $report" >&2
