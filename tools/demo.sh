#!/usr/bin/env bash
# make demo: start `ofq serve` on the demo catalog, run the original service's two sample
# queries the way its client does (list-fasta-files -> POST fasta-sequences -> GET result)
# and an intergenic listing (the original's rule and /v1's, side by side), print the
# answers, stop the server.
#   tools/demo.sh [CATALOG_DIR]     default: data (the repo's copy of the demo catalog)
# OFQ=path/to/ofq overrides the binary (default build/ofq, built if missing).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
catalog=${1:-$top/data}
[ -f "$catalog/catalog.tsv" ] || [ -d "$catalog" ] || { echo "demo: no catalog at $catalog" >&2; exit 1; }
OFQ=${OFQ:-$top/build/ofq}
if [ ! -x "$OFQ" ]; then
  echo "demo: building $OFQ" >&2
  cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$top/build" -j"$(nproc)" --target ofq >/dev/null
fi
for t in curl python3; do command -v $t >/dev/null || { echo "demo: needs $t" >&2; exit 1; }; done

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Port 0: the server picks a free port and prints it.
"$OFQ" serve "$catalog" --listen 127.0.0.1:0 --index-dir "$work/idx" 2>"$work/log" &
pid=$!
url=""
for _ in $(seq 200); do
  url=$(sed -n 's|.*listening on \(http://[^ ]*/\).*|\1|p' "$work/log" | head -1)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/log" >&2; exit 1; }
  sleep 0.05
done
[ -n "$url" ] || { echo "demo: ofq serve did not start" >&2; cat "$work/log" >&2; exit 1; }
echo "== ofq serve $catalog on $url"
# Wait until the two demo samples are indexed (the first run builds their indexes).
for _ in $(seq 300); do
  curl -s "${url}v1/samples" | python3 -c '
import json,sys
s={x["sample_id"]:x["index"] for x in json.load(sys.stdin)["samples"]}
sys.exit(0 if s.get("TARA_A100000171")=="ready" and s.get("TARA_R110002003")=="ready" else 1)' && break
  sleep 0.1
done

echo
echo "== GET query/list-fasta-files/"
curl -s "${url}query/list-fasta-files/"

table() { if command -v column >/dev/null; then column -t -s $'\t'; else cat; fi; }

query() {  # SAMPLE QUERY_CSV: the original client's three calls
  local sample=$1 csvfile=$2 key body rkey
  key=$(curl -s "${url}query/list-fasta-files/" | awk -F, -v s="$sample" '$1==s {print $2}')
  body=$(python3 - "$key" "$csvfile" <<'PY'
import csv, json, sys
rows = [[r[0], int(r[1]), int(r[2])] + r[3:] for r in csv.reader(open(sys.argv[2]))]
print(json.dumps({"storage_key": sys.argv[1], "positions": rows, "output_format": "csv"}))
PY
)
  echo
  echo "== POST query/fasta-sequences/ ($sample, $(wc -l < "$csvfile") regions from $(basename "$csvfile"))"
  rkey=$(curl -s -H 'Content-Type: application/json' -d "$body" "${url}query/fasta-sequences/" |
         python3 -c 'import json,sys; print(json.load(sys.stdin)["results_key"])')
  echo "== GET query/result/$rkey"
  curl -s "${url}query/result/$rkey" | tee "$work/$sample.csv"
  if [ -f "$catalog/published/expected_${sample,,}.csv" ]; then
    cmp -s "$work/$sample.csv" "$catalog/published/expected_${sample,,}.csv" &&
      echo "-- identical to the original service's published answer" ||
      echo "-- DIFFERS from the original service's published answer"
  fi
}
query TARA_A100000171 "$catalog/published/query_tara_a100000171.csv"
query TARA_R110002003 "$catalog/published/query_tara_r110002003.csv"

echo
echo "== GET query/list-intergenic_regions/TARA_R110002003?page_size=6  (the original's rule)"
curl -s "${url}query/list-intergenic_regions/TARA_R110002003?page_size=6" | table
echo
echo "== GET /v1/samples/TARA_R110002003/intergenic?format=tsv&page_size=6  (SEMANTICS.md's rule)"
curl -s "${url}v1/samples/TARA_R110002003/intergenic?format=tsv&page_size=6" | table
echo
echo "-- the original counts the next gene's first base in each gap, credits a scaftig's first"
echo "   region to the previous scaftig's last gene, and never lists the region after a"
echo "   scaftig's last gene; /v1 lists the bases no gene covers, edges flagged."
echo
echo "== the seed notebook (python/examples/seed_notebook.py), unchanged, through the oceania client"
OCEANIA_API_URL="$url" PYTHONPATH="$top/python/src" /usr/bin/python3 "$top/python/examples/seed_notebook.py"
echo
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=""
echo "== server stopped"
