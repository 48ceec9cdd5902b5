#!/usr/bin/env bash
# Issue #4's three numbers for `ofq serve`, on loopback, with a dated report in bench/results/:
#  1. the original's sample query of ten regions by the original client's protocol (three
#     HTTP calls: list-fasta-files, POST fasta-sequences, GET result), end to end: < 20 ms;
#  2. single-region GETs of 1 kb under `wrk -t2 -c64` against nginx serving a static 1 kb
#     file in the same run (nginx started here on loopback): >= half its req/s; p50/p99;
#  3. a streamed batch of 100,000 positions (POST /v1/samples/{id}/sequences, CSV) against
#     `ofq extract` of the same positions: >= 70 % of its regions/s, server memory flat
#     (peak resident memory while answering 100 b and 1 kb regions, 10x the bytes).
#
#   bench/bench_server.sh [--quick] [--ofq PATH] [--data DIR] [--wrk-seconds S] [--rounds N]
# --quick: 3 s of wrk, 2 rounds, 50 protocol runs. Default: 10 s, 3 rounds, 200 runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
PY=${PY:-/usr/bin/python3}
OFQ=${OFQ:-$top/build/ofq}
data=$top/data
[ -f "$data/catalog.tsv" ] || data=$(dirname "$top")/shared/data
wrk_s=10
rounds=3
runs=200
mode=default
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) wrk_s=3; rounds=2; runs=50; mode=--quick ;;
    --ofq) OFQ=$2; shift ;;
    --data) data=$2; shift ;;
    --wrk-seconds) wrk_s=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    *) echo "bench_server.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
  shift
done
[ -x "$OFQ" ] || { echo "bench_server.sh: no ofq at $OFQ (build it, or --ofq PATH)" >&2; exit 1; }
for t in wrk nginx curl; do command -v $t >/dev/null || { echo "bench_server.sh: needs $t (tools/deps.sh bench)" >&2; exit 1; }; done

work=$top/bench/work/server
rm -rf "$work"
mkdir -p "$work/idx" "$work/nginx/www" "$work/nginx/tmp"
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

srv_pid=""; ngx_started=""
cleanup() {
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null || true
  [ -n "$ngx_started" ] && nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -s stop 2>/dev/null || true
}
trap cleanup EXIT

port=$(free_port)
"$OFQ" serve "$data" --listen 127.0.0.1:$port --index-dir "$work/idx" -q 2>"$work/serve.log" &
srv_pid=$!
url=http://127.0.0.1:$port/
for _ in $(seq 200); do curl -sf "${url}healthz" >/dev/null 2>&1 && break; sleep 0.05; done
for _ in $(seq 600); do
  curl -sf "${url}v1/samples" | grep -q '"building"' || break
  sleep 0.1
done

# --- 1. the original protocol
read -r p50 p99 pmin < <($PY "$here/lib/server_bench.py" protocol "$url" "$runs" "$data")
echo "protocol: median $p50 ms, p99 $p99 ms, best $pmin ms"

# --- 2. single-region GET vs nginx static
rec=$(curl -s "${url}v1/samples/VIBRIO_H1/records?page_size=2000" | $PY -c '
import json,sys; r=json.load(sys.stdin)["records"]; print([x["id"] for x in r if x["length"]>=2000][0])')
get_path="/v1/samples/VIBRIO_H1/sequences/$rec?start=1000&end=2000"
curl -s "${url}${get_path#/}" > "$work/nginx/www/one_kb.txt"
[ "$(wc -c < "$work/nginx/www/one_kb.txt")" = 1000 ] || { echo "bench_server.sh: the GET did not give 1000 bases" >&2; exit 1; }
nport=$(free_port)
cat > "$work/nginx/nginx.conf" <<NGX
worker_processes auto;
error_log $work/nginx/error.log;
pid $work/nginx/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp; proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp; uwsgi_temp_path $work/nginx/tmp; scgi_temp_path $work/nginx/tmp;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$nport; root $work/nginx/www; }
}
NGX
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
ngx_started=1
sleep 0.3
curl -sf "http://127.0.0.1:$nport/one_kb.txt" | cmp - "$work/nginx/www/one_kb.txt"

wrk_run() {  # URL -> "req/s p50 p99"
  wrk -t2 -c64 -d${wrk_s}s --latency "$1" > "$work/wrk.out"
  $PY - "$work/wrk.out" <<'PYEOF'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
def lat(p):
    m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % p, t)
    v = float(m.group(1)); return v / 1000 if m.group(2) == "us" else (v * 1000 if m.group(2) == "s" else v)
errs = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
if errs: sys.exit("wrk: %s non-2xx answers" % errs.group(1))
print("%.0f %.3f %.3f" % (rps, lat(50), lat(99)))
PYEOF
}
ofq_rps=(); ngx_rps=(); ofq_lat=""; ngx_lat=""
for r in $(seq "$rounds"); do
  read -r a a50 a99 < <(wrk_run "http://127.0.0.1:$port$get_path")
  read -r b b50 b99 < <(wrk_run "http://127.0.0.1:$nport/one_kb.txt")
  ofq_rps+=("$a"); ngx_rps+=("$b"); ofq_lat="$a50 $a99"; ngx_lat="$b50 $b99"
  echo "round $r: ofq $a req/s (p50 $a50 ms, p99 $a99 ms), nginx $b req/s (p50 $b50 ms, p99 $b99 ms)"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ofq_m=$(median "${ofq_rps[@]}"); ngx_m=$(median "${ngx_rps[@]}")

# --- 3. streamed batch vs ofq extract
fasta="$data/real/vibrio_cholerae_H1_contigs.fa"
read -r n1 ext1 srv1 rss0 peak1 rss1 bytes1 < <($PY "$here/lib/server_bench.py" batch "$url" VIBRIO_H1 100000 100 "$srv_pid" "$OFQ" "$fasta" "$work")
read -r n2 ext2 srv2 rss0b peak2 rss2 bytes2 < <($PY "$here/lib/server_bench.py" batch "$url" VIBRIO_H1 100000 1000 "$srv_pid" "$OFQ" "$fasta" "$work")
echo "batch 100 b: extract $ext1 regions/s, served $srv1 regions/s; server RSS $rss0 -> peak $peak1 kB"
echo "batch 1 kb:  extract $ext2 regions/s, served $srv2 regions/s; server RSS $rss0b -> peak $peak2 kB"

# --- memory: fresh servers, answers of 10 MB to 400 MB
mem_rows=$($PY "$here/lib/server_bench.py" memory "$OFQ" "$data" "$work")
echo "$mem_rows" | while read -r n sz base grow; do echo "memory: $n x 10 kb, $((sz/1000000)) MB answer: +$((grow/1024)) MiB"; done

ok() { $PY -c "import sys; print('yes' if $1 else 'NO')"; }
date_s=$(date -u +%Y-%m-%d)
host=$(hostname -s 2>/dev/null || echo host)
report=$top/bench/results/$date_s-$host-server.md
{
  echo "# ofq serve, $date_s on $host ($(nproc) cores)"
  echo
  echo "\`bench/bench_server.sh\` ($mode); $("$OFQ" --version 2>/dev/null || echo ofq), nginx $(nginx -v 2>&1 | sed 's/.*\///'), wrk -t2 -c64 -d${wrk_s}s, $rounds rounds. Everything on loopback, the server started by the script."
  echo
  echo "| question | measured | target | met |"
  echo "|---|---|---|---|"
  echo "| original protocol, 10 regions, 3 HTTP calls (fresh connections) | median $p50 ms, p99 $p99 ms | < 20 ms | $(ok "$p50 < 20") |"
  echo "| 1 kb GET, ofq / nginx static (median of rounds) | $ofq_m / $ngx_m req/s = $($PY -c "print('%.2f' % ($ofq_m/$ngx_m))") | >= 0.5 | $(ok "$ofq_m >= 0.5*$ngx_m") |"
  echo "| 1 kb GET latency (last round) | ofq p50/p99 $ofq_lat ms; nginx $ngx_lat ms | reported | |"
  echo "| streamed batch, 100,000 x 100 b, served / extract regions/s | $srv1 / $ext1 = $($PY -c "print('%.2f' % ($srv1/$ext1))") | >= 0.7 | $(ok "$srv1 >= 0.7*$ext1") |"
  echo "| streamed batch, 100,000 x 1 kb, served / extract regions/s | $srv2 / $ext2 = $($PY -c "print('%.2f' % ($srv2/$ext2))") | >= 0.7 | $(ok "$srv2 >= 0.7*$ext2") |"
  echo "| server peak RSS growth during the two batches above: $((bytes1/1000000)) MB / $((bytes2/1000000)) MB answers | +$(( (peak1-rss0)/1024 )) / +$(( (peak2-rss0b)/1024 )) MiB | bounded | |"
  echo
  echo "Memory, flat in the answer's size: a fresh server per row, peak resident memory growth"
  echo "while it streams the answer of N positions of 10 kb (VIBRIO_H1, CSV):"
  echo
  echo "| positions | answer | peak RSS growth |"
  echo "|---|---|---|"
  echo "$mem_rows" | while read -r n sz base grow; do echo "| $n | $((sz/1000000)) MB | +$((grow/1024)) MiB |"; done
  echo
  echo "The growth is the request body (JSON positions), the batch and the engine's and"
  echo "allocator's working buffers; the answer passes through a 1 MiB pipe. Answers are checked"
  echo "byte for byte against \`ofq extract\` and the published CSV before any time counts."
} > "$report"
cat "$report"
echo "report: $report"
