#!/usr/bin/env bash
# bench_python.sh: the Python client's whole-call times against a real `ofq serve` on
# loopback, with the server's own time (curl, same request body, answer to /dev/null)
# beside each, and where the client's time goes (JSON body, HTTP, DataFrame parse).
#
# Targets (issue #6): the seed's ten-position query through get_sequences_from_fasta under
# 50 ms; 100,000 random positions into a DataFrame under 2 s.
#
# Data: a synthetic Tara-like catalog (bench/gen/make_catalog.py, --size-mb, default 100)
# and 100,000 seeded positions (bench/gen/make_queries.py, median 300 bases, default type
# mix), generated once under --work; the seed sample is the published TARA_A100000171.
# Before any time counts, the answers are checked: the seed against the published table,
# the 100,000 rows against `samtools faidx` for the raw rows.
#
# usage: bench/bench_python.sh [--ofq PATH] [--size-mb N] [--positions N] [--runs N]
#                              [--work DIR] [--out FILE]
#   --ofq        the ofq binary [$OFQ_BINARY, else build/ofq]
#   --size-mb    synthetic catalog size [100]
#   --positions  positions of the large batch [100000]
#   --runs       timed runs of the large batch [5] (the seed query runs 50 times)
#   --work       generated data [bench/work/python]
#   --out        the report [bench/results/python-<UTC date>-<host>.md]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
PY=/usr/bin/python3
OFQ=${OFQ_BINARY:-$ROOT/build/ofq}
SIZE_MB=100
N=100000
RUNS=5
WORK=$HERE/work/python
OUT=
die() { echo "bench_python.sh: $*" >&2; exit 1; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --ofq) OFQ=$2; shift ;;
    --size-mb) SIZE_MB=$2; shift ;;
    --positions) N=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --work) WORK=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
  shift
done
[[ -x $OFQ ]] || die "no ofq binary at $OFQ (build it, or --ofq PATH)"
command -v curl >/dev/null || die "needs curl"
command -v samtools >/dev/null || die "needs samtools (to check the answers)"
SHARED=$(cd "$ROOT/../shared" 2>/dev/null && pwd) || die "needs ../shared beside the repo"
DATA=$ROOT/data; [[ -f $DATA/catalog.tsv ]] || DATA=$SHARED/data
OUT=${OUT:-$HERE/results/python-$(date -u +%Y-%m-%d)-$(hostname -s).md}

# ---- data, once -------------------------------------------------------------------------
cat_root=$WORK/root-${SIZE_MB}mb
mkdir -p "$cat_root"
fa=$cat_root/bench.fa
if [[ ! -s $fa ]]; then
  echo "bench_python.sh: writing a ${SIZE_MB} MB catalog to $fa" >&2
  "$PY" "$HERE/gen/make_catalog.py" "$fa.tmp" --size-mb "$SIZE_MB" && mv "$fa.tmp" "$fa"
fi
# the .fai for make_queries lives outside the served folder
fai=$WORK/bench-${SIZE_MB}mb.fa.fai
[[ -s $fai ]] || samtools faidx "$fa" --fai-idx "$fai"
q=$WORK/queries-${SIZE_MB}mb-$N
[[ -s $q.tsv ]] || "$PY" "$HERE/gen/make_queries.py" "$fai" "$N" "$q" >/dev/null
cp -f "$DATA/published/assemblies/TARA_A100000171.scaftig.gz" "$cat_root/TARA_A100000171.scaftig.gz"
printf 'sample_id\tpath\tannotation\nBENCH\tbench.fa\t\nTARA_A100000171\tTARA_A100000171.scaftig.gz\t\n' \
  >"$cat_root/catalog.tsv"

# ---- the server -------------------------------------------------------------------------
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$WORK/serve.log
"$OFQ" serve "$cat_root" --listen "127.0.0.1:$port" >"$log" 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null || true' EXIT
url=http://127.0.0.1:$port/
for _ in $(seq 600); do
  curl -fs "${url}healthz" >/dev/null 2>&1 && break
  kill -0 $srv 2>/dev/null || die "ofq serve exited: $(tail -5 "$log")"
  sleep 0.1
done

# ---- measure ----------------------------------------------------------------------------
mkdir -p "$(dirname "$OUT")"
PYTHONPATH=$ROOT/python/src "$PY" - "$url" "$q.tsv" "$fa" "$DATA/published" "$RUNS" "$OUT" "$OFQ" "$SIZE_MB" "$fai" <<'EOF'
import io, json, os, platform, statistics as st, subprocess, sys, tempfile, time
import pandas as pd
import requests
import oceania
import oceania._csv
from oceania import OceaniaClient

url, qfile, fa, published, runs, out, ofq, size_mb, fai = sys.argv[1:]
runs = int(runs)
c = OceaniaClient(url=url, timeout=300)
seed = [tuple(x if i == 0 or i == 3 else int(x) for i, x in enumerate(line.split(",")))
        for line in open(os.path.join(published, "query_tara_a100000171.csv")).read().split()]
want = pd.read_csv(os.path.join(published, "expected_tara_a100000171.csv"), dtype=str,
                   keep_default_na=False, na_filter=False).astype({"start": "int64", "end": "int64"})


def curl(path, body, n):
    """curl's total time for the same request, the answer thrown away: the server's own time."""
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as f:
        f.write(json.dumps(body).encode())
    times = []
    for _ in range(n):
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{http_code} %{size_download}",
                            "-H", "Content-Type: application/json", "--data-binary", "@" + f.name, url + path],
                           capture_output=True, text=True, check=True)
        t, code, size = r.stdout.split()
        assert code == "200", r.stdout
        times.append(float(t))
    os.unlink(f.name)
    return times, int(size)


def ms(xs):
    return f"{st.median(xs) * 1000:.1f} ms (min {min(xs) * 1000:.1f}, max {max(xs) * 1000:.1f})"


def s(xs):
    return f"{st.median(xs):.3f} s (min {min(xs):.3f}, max {max(xs):.3f})"


# the seed: check, warm, then 50 whole calls
got = c.get_sequences_from_fasta("TARA_A100000171", seed)
pd.testing.assert_frame_equal(got, want)
seed_times = []
for _ in range(50):
    t = time.perf_counter()
    c.get_sequences_from_fasta("TARA_A100000171", seed)
    seed_times.append(time.perf_counter() - t)
seed_curl, _ = curl("v1/samples/TARA_A100000171/sequences", {"positions": seed, "format": "csv"}, 20)
# module-level function, as the notebook calls it (client from the environment)
os.environ["OCEANIA_API_URL"] = url
oceania.get_sequences_from_fasta("TARA_A100000171", seed)
mod_times = []
for _ in range(20):
    t = time.perf_counter()
    oceania.get_sequences_from_fasta("TARA_A100000171", seed)
    mod_times.append(time.perf_counter() - t)

# the large batch
frame = pd.read_csv(qfile, sep="\t", dtype={"id": str, "type": str})
positions = list(frame.itertuples(index=False, name=None))
n = len(positions)
got = c.get_sequences_from_fasta("BENCH", positions)
assert len(got) == n and got["id"].tolist() == frame["id"].tolist()
assert got["start"].tolist() == frame["start"].tolist() and got["end"].tolist() == frame["end"].tolist()
raw = frame.index[frame["type"] == "raw"][:2000]
regions = [f"{frame.at[i, 'id']}:{frame.at[i, 'start'] + 1}-{frame.at[i, 'end']}" for i in raw]
sam = subprocess.run(["samtools", "faidx", fa, "--fai-idx", fai, *regions],
                     capture_output=True, text=True, check=True).stdout
sam_seqs = [x.split("\n", 1)[1].replace("\n", "") for x in sam.split(">")[1:]]
assert sam_seqs == got.loc[raw, "sequence"].tolist(), "answers differ from samtools"
bases = int(got["sequence"].str.len().sum())

big_times, enc_times, http_times, parse_times = [], [], [], []
for _ in range(runs):
    t = time.perf_counter()
    c.get_sequences_from_fasta("BENCH", positions)
    big_times.append(time.perf_counter() - t)
    # the parts, one after the other, as the client does them
    t0 = time.perf_counter()
    body = json.dumps({"positions": oceania._positions.normalize(positions), "format": "csv"},
                      separators=(",", ":")).encode()
    t1 = time.perf_counter()
    r = c._session.post(url + "v1/samples/BENCH/sequences", data=body,
                        headers={"Content-Type": "application/json"})
    data = r.content
    t2 = time.perf_counter()
    table = oceania._csv.SequenceCsv()
    for i in range(0, len(data), 1 << 20):
        table.feed(data[i:i + (1 << 20)])
    table.frame()
    t3 = time.perf_counter()
    enc_times.append(t1 - t0); http_times.append(t2 - t1); parse_times.append(t3 - t2)
big_curl, big_size = curl("v1/samples/BENCH/sequences",
                          {"positions": [list(p) for p in positions], "format": "csv"}, runs)

seed_ok = st.median(seed_times) < 0.050
big_ok = st.median(big_times) < 2.0
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
report = f"""# Python client bench ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})

`bench/bench_python.sh`: the client (`python/src/oceania`, requests {requests.__version__},
pandas {pd.__version__}, Python {platform.python_version()}) against `{ofq} serve` on loopback,
{os.cpu_count()} CPUs ({cpu}), load average {os.getloadavg()[0]:.1f} at the end.
The server's own time is curl's total for the same request body, the answer thrown away.
Answers were checked first: the seed against `expected_tara_a100000171.csv`, the large
batch's ids and coordinates against the positions, and 2,000 of its raw rows against
`samtools faidx`.

| case | client, whole call (median of runs) | server (curl) | target | |
|---|---|---|---|---|
| seed, 10 positions, `OceaniaClient.get_sequences_from_fasta` (50 runs) | {ms(seed_times)} | {ms(seed_curl)} | < 50 ms | {'met' if seed_ok else 'MISSED'} |
| seed, module-level `get_sequences_from_fasta` (20 runs) | {ms(mod_times)} | | < 50 ms | {'met' if st.median(mod_times) < 0.05 else 'MISSED'} |
| {n:,} positions ({size_mb} MB catalog, {bases / 1e6:.1f} Mbases, {big_size / 1e6:.1f} MB of CSV) into a DataFrame ({runs} runs) | {s(big_times)} | {s(big_curl)} | < 2 s | {'met' if big_ok else 'MISSED'} |

Where the large call's time goes (medians, each part alone; the client overlaps the last
two, reading the CSV chunk by chunk while the server still writes): JSON body
{st.median(enc_times) * 1000:.0f} ms, HTTP request and whole answer {st.median(http_times) * 1000:.0f} ms,
CSV into the DataFrame {st.median(parse_times) * 1000:.0f} ms.
"""
open(out, "w").write(report)
print(report)
sys.exit(0 if seed_ok and big_ok else 1)
EOF
