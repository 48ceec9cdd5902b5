#!/usr/bin/env bash
# Issue #5's load test of `ofq serve`, on loopback, with a dated report in bench/results/:
#  1. 1,000 concurrent idle keep-alive connections held (bench/lib/load_client.py idle)
#     while a second client still gets 1 kb answers in milliseconds (p50/p99 reported),
#     and every held connection still answers at the end;
#  2. `wrk -t2 -c256` for 60 s on a mix of single-region GETs and batch POSTs of 50
#     positions (bench/lib/load_mix.lua): errors (non-2xx + socket), p50/p99, server RSS
#     sampled every 0.5 s (flat = last within 10% of the first after warm-up); meanwhile
#     our own client replays the same mix and its answers are compared with `ofq extract`;
#  3. a job of 1,000,000 positions: POST /v1/jobs accepted in milliseconds, progress seen
#     while it runs, finished at >= 70 % of `ofq extract`'s speed on the same positions,
#     and its result byte-identical to the CLI's.
#
#   bench/bench_load.sh [--quick] [--ofq PATH] [--data DIR] [--wrk-seconds S] [--idle N] [--job-positions N]
# --quick: 10 s of wrk, 200 idle connections, 200,000 job positions.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
PY=${PY:-/usr/bin/python3}
OFQ=${OFQ:-$top/build/ofq}
data=$top/data
[ -f "$data/catalog.tsv" ] || data=$(dirname "$top")/shared/data
wrk_s=60
idle_n=1000
job_n=1000000
mode=default
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) wrk_s=10; idle_n=200; job_n=200000; mode=--quick ;;
    --ofq) OFQ=$2; shift ;;
    --data) data=$2; shift ;;
    --wrk-seconds) wrk_s=$2; shift ;;
    --idle) idle_n=$2; shift ;;
    --job-positions) job_n=$2; shift ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "bench_load.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
  shift
done
[ -x "$OFQ" ] || { echo "bench_load.sh: no ofq at $OFQ (build it, or --ofq PATH)" >&2; exit 1; }
for t in wrk curl; do command -v $t >/dev/null || { echo "bench_load.sh: needs $t (tools/deps.sh bench)" >&2; exit 1; }; done
ulimit -n 20000 2>/dev/null || true

work=$top/bench/work/load
rm -rf "$work"
mkdir -p "$work/catalog/real" "$work/idx"
cp "$data/real/vibrio_cholerae_H1_contigs.fa" "$work/catalog/real/"
printf 'sample_id\tpath\tannotation\nVIBRIO\treal/vibrio_cholerae_H1_contigs.fa\t\n' > "$work/catalog/catalog.tsv"
fasta=$work/catalog/real/vibrio_cholerae_H1_contigs.fa

# Positions: 2,000 for the mix (1 kb regions), job_n for the job (100 b to 1 kb), mixed types.
$PY - "$fasta" "$work" "$job_n" <<'EOF'
import json, random, sys
fasta, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
recs, name, L = [], None, 0
for line in open(fasta):
    if line.startswith(">"):
        if name: recs.append((name, L))
        name, L = line[1:].split()[0], 0
    else:
        L += len(line.strip())
recs.append((name, L))
recs = [r for r in recs if r[1] > 2000]
types = ["raw", "complement", "reverse_complement"]
def draw(rng, width_lo, width_hi):
    name, L = recs[rng.randrange(len(recs))]
    w = rng.randrange(width_lo, width_hi + 1)
    s = rng.randrange(L - w)
    return name, s, s + w, types[rng.randrange(3)]
rng = random.Random(1)
with open(work + "/mix.tsv", "w") as f:
    f.write("id\tstart\tend\ttype\n")
    for _ in range(2000):
        f.write("%s\t%d\t%d\t%s\n" % draw(rng, 1000, 1000))
rng = random.Random(2)
big = [draw(rng, 100, 1000) for _ in range(n)]
with open(work + "/job.tsv", "w") as f:
    f.write("id\tstart\tend\ttype\n")
    for p in big:
        f.write("%s\t%d\t%d\t%s\n" % p)
with open(work + "/job.json", "w") as f:
    json.dump({"sample_id": "VIBRIO", "format": "csv", "positions": [list(p) for p in big]}, f)
EOF

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
srv_pid=""
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null || true; }
trap cleanup EXIT

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
port=$(free_port)
url=http://127.0.0.1:$port/
"$OFQ" serve "$work/catalog" --listen 127.0.0.1:$port --index-dir "$work/idx" --jobs-db "$work/jobs.db" \
  --max-connections 5000 --idle-timeout 300 --job-threads 1 2>"$work/serve.log" &
srv_pid=$!
for _ in $(seq 200); do curl -sf "${url}healthz" >/dev/null 2>&1 && break; sleep 0.05; done
for _ in $(seq 600); do curl -sf "${url}v1/samples" | grep -q '"building"' || break; sleep 0.1; done
"$OFQ" index "$fasta" --index-dir "$work/idx" >/dev/null 2>&1 || true

echo "== 1. $idle_n idle connections, a second client timing 1 kb GETs for 15 s"
export OFQ_LOAD_RECORD=$(awk 'NR == 2 {print $1}' "$work/mix.tsv")  # a record of > 2 kb
idle_json=$($PY "$here/lib/load_client.py" idle "$url" "$idle_n" 15)
echo "$idle_json"

echo "== 2. wrk -t2 -c256 -d${wrk_s}s, GETs and batch POSTs; our client checks answers meanwhile"
$PY "$here/lib/load_client.py" rss "$srv_pid" $((wrk_s + 2)) "$work/rss.txt" &
rss_pid=$!
( sleep 2; $PY "$here/lib/load_client.py" check "$url" "$work/mix.tsv" 400 "$work/check" > "$work/check.json" ) &
check_pid=$!
OFQ_LOAD_POSITIONS=$work/mix.tsv wrk -t2 -c256 -d${wrk_s}s --timeout 10s --latency -s "$here/lib/load_mix.lua" \
  "$url" > "$work/wrk.txt"
wait $check_pid
wait $rss_pid || true
cat "$work/wrk.txt"
"$OFQ" extract "$fasta" "$work/check.tsv" -f csv -q --index-dir "$work/idx" > "$work/check_cli.csv"
if cmp -s "$work/check.csv" "$work/check_cli.csv"; then wrong=0; else wrong=$(diff "$work/check.csv" "$work/check_cli.csv" | grep -c '^<' || true); fi
check_json=$(cat "$work/check.json")
echo "checked: $check_json, wrong rows: $wrong"
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
p50=$(awk '/^p50_us/ {print $2}' "$work/wrk.txt"); p99=$(awk '/^p99_us/ {print $2}' "$work/wrk.txt")
non2xx=$(awk '/^non_2xx/ {print $2}' "$work/wrk.txt"); sockerr=$(awk '/^socket_errors/ {print $2}' "$work/wrk.txt")
wrk_requests=$(awk '/^requests/ {print $2}' "$work/wrk.txt")
read -r rss_first rss_max rss_last < <($PY - "$work/rss.txt" <<'EOF'
import sys
v = [int(l) for l in open(sys.argv[1]) if l.strip()]
w = v[len(v) // 10:] or v  # after the first tenth (warm-up)
print(w[0] // 1048576, max(w) // 1048576, w[-1] // 1048576)
EOF
)

echo "== 3. a job of $job_n positions against ofq extract"
best=""
for _ in 1 2 3; do
  t0=$(date +%s.%N)
  "$OFQ" extract "$fasta" "$work/job.tsv" -f csv -q --index-dir "$work/idx" -o "$work/job_cli.csv"
  t=$(echo "$(date +%s.%N) - $t0" | bc -l)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
done
accept=$(curl -s -o "$work/job_post.json" -w '%{time_total}' -H 'Content-Type: application/json' \
  --data-binary @"$work/job.json" "${url}v1/jobs")
job_id=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["job_id"])' "$work/job_post.json")
t0=$(date +%s.%N)
: > "$work/progress.txt"
while :; do
  st=$(curl -s "${url}v1/jobs/$job_id")
  echo "$(echo "$(date +%s.%N) - $t0" | bc -l) $st" >> "$work/progress.txt"
  case "$st" in *'"status":"done"'*|*'"status":"failed"'*) break ;; esac
  sleep 0.1
done
job_wall=$(echo "$(date +%s.%N) - $t0" | bc -l)
read -r job_s progress_seen < <($PY - "$work/progress.txt" <<'EOF'
import json, sys, datetime
rows = [json.loads(l.split(" ", 1)[1]) for l in open(sys.argv[1])]
last = rows[-1]
p = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
mid = sum(1 for r in rows if r["status"] == "running" and 0 < r["done"] < r["total"])
print("%.3f" % (p(last["finished_at"]) - p(last["created_at"])), mid)
EOF
)
curl -s "${url}v1/jobs/$job_id/result" -o "$work/job_result.csv"
if cmp -s "$work/job_result.csv" "$work/job_cli.csv"; then job_same=yes; else job_same=NO; fi
ratio=$(echo "$best / $job_s * 100" | bc -l)
accept_ms=$(echo "$accept * 1000" | bc -l)
echo "extract ${best}s, job ${job_s}s (${ratio}%), accepted in ${accept_ms} ms, progress seen $progress_seen times, same: $job_same"

ok=1
[ "$non2xx" = 0 ] && [ "$sockerr" = 0 ] && [ "$wrong" = 0 ] || ok=0
[ "$job_same" = yes ] || ok=0
[ "$(echo "$ratio >= 70" | bc -l)" = 1 ] || ok=0

report=$top/bench/results/$(date -u +%F)-vm-load.md
tmp=$report.tmp
{
  echo "# Load test of ofq serve ($(date -u +%FT%TZ), bench/bench_load.sh $mode)"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); load average"
  echo "at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg) (client and server share the cores)."
  echo "ofq: $OFQ, git $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo "Catalog: Vibrio cholerae H1 contigs (4 MB plain FASTA)."
  echo
  echo "## 1. Idle connections"
  echo
  echo '```'
  echo "$idle_json"
  echo '```'
  echo
  echo "$idle_n keep-alive connections held idle; a second client's 1 kb GETs (new connection each)"
  echo "answered meanwhile; \`alive_after\` = held connections that still answered at the end."
  echo
  echo "## 2. wrk -t2 -c256 -d${wrk_s}s: single-region GETs (1 kb, CSV) and batch POSTs (50 positions)"
  echo
  echo "| requests | req/s | p50 | p99 | non-2xx | socket errors | wrong rows (of our client's replay) | RSS first / max / last |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "| $wrk_requests | $rps | $((p50 / 1000)) ms | $((p99 / 1000)) ms | $non2xx | $sockerr | $wrong ($check_json) | $rss_first / $rss_max / $rss_last MiB |"
  echo
  echo '```'
  cat "$work/wrk.txt"
  echo '```'
  echo
  echo "## 3. A job of $job_n positions"
  echo
  echo "| ofq extract (best of 3) | job (created -> finished) | speed vs extract | POST accepted in | progress seen mid-run | result = CLI |"
  echo "|---|---|---|---|---|---|"
  printf '| %.2f s | %.2f s | %.0f %% | %.0f ms | %s polls | %s |\n' "$best" "$job_s" "$ratio" "$accept_ms" "$progress_seen" "$job_same"
  echo
  echo "The POST's time includes sending the $(du -h "$work/job.json" | cut -f1) body over loopback."
  echo
  echo "Verdict: $([ $ok = 1 ] && echo 'all targets met' || echo 'NOT all targets met')"
} > "$tmp"
mv "$tmp" "$report"
echo "report: $report"
[ $ok = 1 ]
