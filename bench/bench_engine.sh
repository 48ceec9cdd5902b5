#!/usr/bin/env bash
# bench_engine.sh: ofq against the public peers, whole processes, warm page cache.
#
# Question (issue #2): on a synthetic Tara-like catalog (make_catalog.py, 1 GB, ~300,000
# records, 80 columns), how many regions per second does `ofq extract` answer compared
# with samtools faidx -r, bedtools getfasta, seqkit faidx/subseq and pyfaidx (raw,
# reverse-complement and mixed positions, 10,000 and 100,000 of them); how fast is
# `ofq index` against `samtools faidx` (with `wc -l` and `cat` as ceilings); what does one
# region cost as a whole process on the 300,000-record file and on a 5-million-record one;
# and how much anonymous memory do the answers hold. Baseline: samtools faidx (htslib).
#
# Every timed command is first run once and its answer compared with the baseline's (the
# sequences, in order; `ofq faidx` byte for byte with samtools); a case that disagrees is
# not timed, the report says so at the top, and the script exits 1.
#
# usage: bench/bench_engine.sh [--quick] [--size-mb N] [--records N] [--runs N]
#                              [--ofq PATH] [--threads N] [--work DIR] [--out FILE]
#                              [--sections LIST]
#   --quick       100 MB catalog, 500,000-record file, 1,000 / 10,000 positions, 2 runs
#   --size-mb     catalog size in MB [1000]
#   --records     records in the many-records file [5000000]
#   --runs        timed runs per case (hyperfine) [5]
#   --ofq         the ofq binary [$OFQ, else build/ofq]; without it only the peers run
#   --threads     pass --threads N to `ofq extract` [ofq's default]
#   --work        generated data and outputs (reused between runs) [bench/work]
#   --out         the report [bench/results/<UTC date>-<host>.md]
#   --sections    comma list of data,extract,long,index,lookup,memory [all]
# Environment: IDLE_MAX (seconds to wait for a quiet machine before a case [300]),
# IDLE_TOTAL (for the whole run [1800]), PY (a python3 with pyfaidx [/usr/bin/python3]),
# OFQ (the ofq binary).
#
# Needs: samtools, bedtools, seqkit, hyperfine, /usr/bin/python3 with pyfaidx (Debian
# python3-pyfaidx), GNU coreutils. Data are generated once under --work and reused.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
PY=${PY:-/usr/bin/python3}
SIZE_MB=1000
RECORDS=5000000
RUNS=5
NS="10000 100000"
OFQ=${OFQ:-}
THREADS=
WORK=$HERE/work
OUT=
SECTIONS=data,extract,long,index,lookup,memory
QUICK=0

die() { echo "bench_engine.sh: $*" >&2; exit 1; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1; SIZE_MB=100; RECORDS=500000; RUNS=2; NS="1000 10000" ;;
    --size-mb) SIZE_MB=$2; shift ;;
    --records) RECORDS=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --ofq) OFQ=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --work) WORK=$2; shift ;;
    --out) OUT=$2; shift ;;
    --sections) SECTIONS=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
  shift
done
[[ -z $OFQ && -x $ROOT/build/ofq ]] && OFQ=$ROOT/build/ofq
[[ -n $OFQ && ! -x $OFQ ]] && die "--ofq $OFQ is not an executable"
[[ -n $OFQ ]] && OFQ=$(realpath "$OFQ")
for t in samtools bedtools seqkit hyperfine awk rev cmp; do
  command -v "$t" >/dev/null || die "$t not found"
done
"$PY" -c 'import pyfaidx' 2>/dev/null || die "$PY cannot import pyfaidx (apt install python3-pyfaidx, or set PY)"
has() { [[ ",$SECTIONS," == *",$1,"* ]]; }

mkdir -p "$WORK"
WORK=$(realpath "$WORK")
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUN=$WORK/runs/$STAMP
mkdir -p "$RUN/json" "$RUN/out" "$RUN/cmp"
SUFFIX=
[[ $QUICK == 1 ]] && SUFFIX=-quick
[[ -n $OUT ]] || OUT=$HERE/results/$(date -u +%F)-$(hostname -s)$SUFFIX.md
MANIFEST=$RUN/manifest.tsv
printf 'section\tcase\ttool\tunit\tamount\tjson\tstatus\tcommand\tbusy\n' > "$MANIFEST"
MEMORY=$RUN/memory.tsv
printf 'case\ttool\tpositions\tpeak_anon_kb\tpeak_file_kb\tmax_rss_kb\twall_s\tsamples\texit\n' > "$MEMORY"
FAILED=0
IDLE_MAX=${IDLE_MAX:-300}
manifest() {  # SECTION CASE TOOL UNIT AMOUNT JSON STATUS COMMAND
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" "$BUSY" >> "$MANIFEST"
}
log() { printf '[%s] %s\n' "$(date -u +%T)" "$*" >&2; }

# ---------------------------------------------------------------- data (generated once)
CAT=$WORK/catalog-${SIZE_MB}mb.fa
MANY=$WORK/many-${RECORDS}.fa
Q=$WORK/queries-${SIZE_MB}mb

# Generate into a temporary name and rename, so an interrupted run never leaves a short
# file that the next run would trust.
make_fasta() {  # OUT ARGS...
  local out=$1; shift
  [[ -s $out ]] && return 0
  log "generating $out"
  "$PY" "$HERE/gen/make_catalog.py" "$out.tmp" "$@"
  mv "$out.tmp" "$out"
}
# The samtools .fai is the reference index: kept as FILE.fai.samtools so that ofq, which
# also writes FILE.fai, is compared with it and never silently replaces it.
samtools_fai() {  # FASTA
  if [[ ! -s $1.fai.samtools || $1 -nt $1.fai.samtools ]]; then
    samtools faidx "$1"
    cp "$1.fai" "$1.fai.samtools"
  fi
  cmp -s "$1.fai" "$1.fai.samtools" || cp "$1.fai.samtools" "$1.fai"
}

prepare_data() {
  make_fasta "$CAT" --size-mb "$SIZE_MB"
  # ~79 bytes a record with these options (20-60 bp, median 40); 5,000,000 records ~396 MB.
  make_fasta "$MANY" --size-mb "$(awk -v n="$RECORDS" 'BEGIN{printf "%.3f", n * 79.02 / 1e6}')" \
    --ln-median 40 --sigma 0.3 --min-len 20 --max-len 60
  samtools_fai "$CAT"
  samtools_fai "$MANY"
  # seqkit faidx reads FILE.fai; seqkit subseq --bed builds FILE.seqkit.fai on its first
  # run, which is the untimed checking run.
  mkdir -p "$Q"
  local n
  for n in $NS; do
    [[ -s $Q/q$n-raw.tsv ]] && continue
    log "queries: $n positions"
    # Same seed, so the three sets name the same regions and differ only in type.
    "$PY" "$HERE/gen/make_queries.py" "$CAT.fai" "$n" "$Q/q$n-mixed"
    "$PY" "$HERE/gen/make_queries.py" "$CAT.fai" "$n" "$Q/q$n-raw" --types raw:1
    "$PY" "$HERE/gen/make_queries.py" "$CAT.fai" "$n" "$Q/q$n-rc" --types reverse_complement:1
  done
  # Long regions: every record of 50 kb and more, whole.
  if [[ ! -s $Q/long-raw.tsv ]]; then
    awk -F'\t' -v q="$Q" 'BEGIN{print "id\tstart\tend\ttype" > q"/long-raw.tsv";
                                print "id\tstart\tend\ttype" > q"/long-rc.tsv"}
      $2 >= 50000 { print $1"\t0\t"$2"\traw" > q"/long-raw.tsv"
                    print $1"\t0\t"$2"\treverse_complement" > q"/long-rc.tsv"
                    print $1":1-"$2 > q"/long.regions.txt" }' "$CAT.fai"
  fi
  # seqkit faidx reverse-complements a region written end-start.
  for f in "$Q"/q*-rc.regions.txt; do
    [[ -s ${f%.regions.txt}.seqkit.txt ]] ||
      sed -E 's/^(.*):([0-9]+)-([0-9]+)$/\1:\3-\2/' "$f" > "${f%.regions.txt}.seqkit.txt"
  done
}

# ---------------------------------------------------------------- checking and timing
# The machine is shared: before each timed case, wait (up to IDLE_MAX seconds, env) until
# the other processes use under 15% of the CPUs over one second. BUSY keeps the last
# reading (percent of all cores), written beside each case so the report can flag it.
cpu_busy() {
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
BUSY=0
IDLE_LEFT=${IDLE_TOTAL:-1800}  # all the waiting one run may do, seconds
wait_idle() {
  local waited=0
  BUSY=$(cpu_busy)
  while (( BUSY >= 15 && waited < IDLE_MAX && IDLE_LEFT > 0 )); do
    if (( waited == 0 )); then log "machine busy (${BUSY}% CPU); waiting up to ${IDLE_MAX}s"; fi
    sleep 4; waited=$((waited + 5)); IDLE_LEFT=$((IDLE_LEFT - 5))
    BUSY=$(cpu_busy)
  done
}
seqs() { "$PY" "$HERE/lib/fasta_seqs.py" "$@"; }

# Compare a normalised answer with the expected one; on a mismatch say where, loudly.
agree() {  # NAME GOT EXPECTED
  if cmp -s "$2" "$3"; then return 0; fi
  echo "!!! OUTPUTS DISAGREE: $1" >&2
  echo "!!!   got $2 ($(wc -l < "$2") lines), expected $3 ($(wc -l < "$3") lines);" \
    "first difference (120 columns shown):" >&2
  diff <(cut -c1-120 "$2") <(cut -c1-120 "$3") | head -4 | sed 's/^/!!!   /' >&2 || true
  FAILED=1
  return 1
}

# run_case SECTION CASE TOOL UNIT AMOUNT EXPECTED NORM_OPTS -- COMMAND...
# Runs COMMAND once (stdout to a file), checks its sequences against EXPECTED (a file of
# one sequence a line; "-" makes this run the expected one), then times it with hyperfine.
run_case() {
  local section=$1 case=$2 tool=$3 unit=$4 amount=$5 expected=$6 normopts=$7
  shift 8
  local tag="${section}_${case}_${tool}"
  tag=${tag//[^A-Za-z0-9_.-]/_}
  local out=$RUN/out/$tag.fa norm=$RUN/cmp/$tag.txt json=$RUN/json/$tag.json
  local cmd
  cmd=$(printf '%q ' "$@")
  log "$section $case: $tool"
  if ! "$@" > "$out" 2> "$RUN/out/$tag.err"; then
    echo "!!! $tool failed on $section $case: $(tail -3 "$RUN/out/$tag.err")" >&2
    FAILED=1
    manifest "$section" "$case" "$tool" "$unit" "$amount" - failed "$cmd"
    return 0
  fi
  # shellcheck disable=SC2086
  seqs $normopts "$out" > "$norm"
  if [[ $expected == - ]]; then
    LAST_NORM=$norm
  elif ! agree "$tool $section $case" "$norm" "$expected"; then
    manifest "$section" "$case" "$tool" "$unit" "$amount" - DISAGREES "$cmd"
    return 0
  fi
  wait_idle
  hyperfine --style basic --runs "$RUNS" --warmup 1 --export-json "$json" \
    "$cmd > $(printf '%q' "$out")" > "$RUN/out/$tag.hyperfine" 2>&1 ||
    { echo "!!! hyperfine failed for $tool $section $case" >&2; FAILED=1; }
  manifest "$section" "$case" "$tool" "$unit" "$amount" "$json" agrees "$cmd"
  rm -f "$out"
}

OFQ_THREADS=()
[[ -n $THREADS ]] && OFQ_THREADS=(--threads "$THREADS")

# ---------------------------------------------------------------- batch extraction
bench_extract() {
  local n ref_raw ref_rc ref_mixed
  for n in $NS; do
    # Baselines first: their answers are the expected ones.
    run_case extract "raw-$n" samtools regions "$n" - "" -- \
      samtools faidx -r "$Q/q$n-raw.regions.txt" "$CAT"
    ref_raw=$LAST_NORM
    run_case extract "rc-$n" samtools regions "$n" - "" -- \
      samtools faidx -i -r "$Q/q$n-rc.regions.txt" "$CAT"
    ref_rc=$LAST_NORM
    # Mixed: raw rows as samtools, reverse_complement rows as samtools -i, complement rows
    # the reverse of samtools -i (complement = reverse of reverse complement).
    ref_mixed=$RUN/cmp/expected-mixed-$n.txt
    paste <(tail -n +2 "$Q/q$n-mixed.tsv" | cut -f4) "$ref_raw" "$ref_rc" <(rev "$ref_rc") |
      awk -F'\t' '{ print ($1 == "raw") ? $2 : ($1 == "reverse_complement") ? $3 : $4 }' > "$ref_mixed"

    for kind in raw rc mixed; do
      local ref=$ref_raw strand=""
      [[ $kind == rc ]] && ref=$ref_rc && strand=-s
      [[ $kind == mixed ]] && ref=$ref_mixed
      if [[ -n $OFQ ]]; then
        run_case extract "$kind-$n" ofq regions "$n" "$ref" "" -- \
          "$OFQ" extract "$CAT" "$Q/q$n-$kind.tsv" --format fasta --quiet "${OFQ_THREADS[@]}"
        # The peers use one core; this row shows what ofq does with one too.
        [[ -z $THREADS ]] && run_case extract "$kind-$n" "ofq -t1" regions "$n" "$ref" "" -- \
          "$OFQ" extract "$CAT" "$Q/q$n-$kind.tsv" --format fasta --quiet --threads 1
      fi
      run_case extract "$kind-$n" pyfaidx regions "$n" "$ref" "" -- \
        "$PY" "$HERE/lib/pyfaidx_extract.py" "$CAT" "$Q/q$n-$kind.tsv"
      [[ $kind == mixed ]] && continue  # no other peer has complement
      run_case extract "$kind-$n" bedtools regions "$n" "$ref" "" -- \
        bedtools getfasta $strand -fi "$CAT" -bed "$Q/q$n-$kind.bed"
      local skf=$Q/q$n-raw.regions.txt
      [[ $kind == rc ]] && skf=$Q/q$n-rc.seqkit.txt
      run_case extract "$kind-$n" seqkit-faidx regions "$n" "$ref" "" -- \
        seqkit faidx "$CAT" -l "$skf"
      run_case extract "$kind-$n" seqkit-subseq regions "$n" "$ref" --order-by-bed-name -- \
        seqkit subseq --quiet --bed "$Q/q$n-$kind.bed" "$CAT"
    done
  done
}

# ---------------------------------------------------------------- long regions
bench_long() {
  local nlong bytes ref_raw ref_rc
  nlong=$(($(wc -l < "$Q/long-raw.tsv") - 1))
  bytes=$(awk -F'\t' 'NR > 1 { s += $3 } END { print s }' "$Q/long-raw.tsv")
  run_case long raw samtools bases "$bytes" - "" -- samtools faidx -r "$Q/long.regions.txt" "$CAT"
  ref_raw=$LAST_NORM
  run_case long rc samtools bases "$bytes" - "" -- samtools faidx -i -r "$Q/long.regions.txt" "$CAT"
  ref_rc=$LAST_NORM
  echo "$nlong" > "$RUN/long-records"
  [[ -n $OFQ ]] || return 0
  run_case long raw ofq bases "$bytes" "$ref_raw" "" -- \
    "$OFQ" extract "$CAT" "$Q/long-raw.tsv" --format fasta --quiet "${OFQ_THREADS[@]}"
  run_case long rc ofq bases "$bytes" "$ref_rc" "" -- \
    "$OFQ" extract "$CAT" "$Q/long-rc.tsv" --format fasta --quiet "${OFQ_THREADS[@]}"
}

# ---------------------------------------------------------------- index build
# hyperfine's --prepare removes the indexes before every run, so each run builds; the
# samtools .fai is restored afterwards (samtools_fai) for the other sections.
time_plain() {  # SECTION CASE TOOL UNIT AMOUNT PREPARE COMMAND (a shell string)
  local tag="${1}_${2}_${3}"
  tag=${tag//[^A-Za-z0-9_.-]/_}
  local json=$RUN/json/$tag.json
  log "$1 $2: $3"
  wait_idle
  if hyperfine --style basic --runs "$RUNS" --warmup 1 --prepare "$6" --export-json "$json" "$7" \
      > "$RUN/out/$tag.hyperfine" 2>&1; then
    manifest "$1" "$2" "$3" "$4" "$5" "$json" agrees "$7"
  else
    echo "!!! $3 failed on $1 $2: $(tail -3 "$RUN/out/$tag.hyperfine")" >&2
    FAILED=1
    manifest "$1" "$2" "$3" "$4" "$5" - failed "$7"
  fi
}

bench_index() {
  local f name bytes qf
  for f in "$CAT" "$MANY"; do
    name=$(basename "$f" .fa)
    bytes=$(stat -c %s "$f")
    qf=$(printf '%q' "$f")
    time_plain index "$name" cat bytes "$bytes" true "cat $qf > /dev/null"
    time_plain index "$name" "wc -l" bytes "$bytes" true "wc -l $qf > /dev/null"
    time_plain index "$name" samtools bytes "$bytes" "rm -f $qf.fai" "samtools faidx $qf"
    samtools_fai "$f"
    [[ -n $OFQ ]] || continue
    # Check first: ofq's .fai must be samtools' byte for byte.
    rm -f "$f.ofqi" "$f.fai"
    if "$OFQ" index "$f" --quiet && agree "ofq index $name (.fai)" "$f.fai" "$f.fai.samtools"; then
      time_plain index "$name" ofq bytes "$bytes" "rm -f $qf.ofqi $qf.fai" "$(printf '%q' "$OFQ") index $qf --quiet"
    else
      FAILED=1
      manifest index "$name" ofq bytes "$bytes" - DISAGREES "ofq index"
    fi
    [[ -s $f.ofqi ]] || "$OFQ" index "$f" --quiet || true
    samtools_fai "$f"
  done
}

# ---------------------------------------------------------------- one region
# A record from the middle of each file; hyperfine -N (no shell) since these are ms.
lookup_region() {  # FASTA: the first 200 bases of the record in the middle of the .fai
  awk -F'\t' -v m="$(($(wc -l < "$1.fai") / 2))" \
    'NR == m { print $1":1-"($2 < 200 ? $2 : 200); exit }' "$1.fai"
}
bench_lookup() {
  local f name region runs_st
  for f in "$CAT" "$MANY"; do
    name=$(basename "$f" .fa)
    region=$(lookup_region "$f")
    samtools faidx "$f" "$region" > "$RUN/out/lookup-$name-samtools.fa"
    runs_st=$RUNS
    lookup_time "$name" samtools "$runs_st" samtools faidx "$f" "$region"
    [[ -n $OFQ ]] || continue
    [[ -s $f.ofqi ]] || "$OFQ" index "$f" --quiet
    samtools_fai "$f"
    "$OFQ" faidx "$f" "$region" > "$RUN/out/lookup-$name-ofq.fa" || true
    if cmp -s "$RUN/out/lookup-$name-ofq.fa" "$RUN/out/lookup-$name-samtools.fa"; then
      lookup_time "$name" "ofq faidx" $((RUNS * 10)) "$OFQ" faidx "$f" "$region"
    else
      echo "!!! OUTPUTS DISAGREE: ofq faidx $name $region (bytes differ from samtools)" >&2
      FAILED=1
      manifest lookup "$name" "ofq faidx" regions 1 - DISAGREES "ofq faidx"
    fi
    "$OFQ" extract "$f" -r "$region" --format fasta --quiet > "$RUN/out/lookup-$name-ofqx.fa" || true
    seqs "$RUN/out/lookup-$name-ofqx.fa" > "$RUN/cmp/lookup-$name-ofqx.txt"
    seqs "$RUN/out/lookup-$name-samtools.fa" > "$RUN/cmp/lookup-$name-samtools.txt"
    if agree "ofq extract -r $name" "$RUN/cmp/lookup-$name-ofqx.txt" "$RUN/cmp/lookup-$name-samtools.txt"; then
      lookup_time "$name" "ofq extract -r" $((RUNS * 10)) "$OFQ" extract "$f" -r "$region" --format fasta --quiet
    else
      manifest lookup "$name" "ofq extract -r" regions 1 - DISAGREES "ofq extract -r"
    fi
  done
}
lookup_time() {  # CASE TOOL RUNS COMMAND...
  local case=$1 tool=$2 runs=$3
  shift 3
  local tag="lookup_${case}_${tool}"
  tag=${tag//[^A-Za-z0-9_.-]/_}
  local json=$RUN/json/$tag.json cmd
  cmd=$(printf '%q ' "$@")
  log "lookup $case: $tool"
  wait_idle
  hyperfine --style basic -N --runs "$runs" --warmup 3 --export-json "$json" "$cmd" \
    > "$RUN/out/$tag.hyperfine" 2>&1 || { echo "!!! $tool failed on lookup $case" >&2; FAILED=1; }
  manifest lookup "$case" "$tool" regions 1 "$json" agrees "$cmd"
}

# ---------------------------------------------------------------- memory
memprobe() {  # CASE TOOL POSITIONS COMMAND...
  local case=$1 tool=$2 n=$3
  shift 3
  local r i best=""
  # Three runs, keep the largest peak_anon: a sampled peak can only under-read (a spike
  # between two samples, or a process that ends before the first one), never over-read.
  wait_idle
  for i in 1 2 3; do
    r=$("$PY" "$HERE/lib/memprobe.py" -- "$@") || { FAILED=1; echo "!!! memprobe: $tool $case failed" >&2; }
    if [[ -z $best ]] || (( $(cut -f1 <<< "$r") > $(cut -f1 <<< "$best") )); then best=$r; fi
  done
  printf '%s\t%s\t%s\t%s\n' "$case" "$tool" "$n" "$best" >> "$MEMORY"
}

bench_memory() {
  local n nlong
  nlong=$(($(wc -l < "$Q/long-raw.tsv") - 1))
  for n in $NS; do
    memprobe "extract mixed $n" samtools "$n" samtools faidx -r "$Q/q$n-mixed.regions.txt" "$CAT"
    if [[ -n $OFQ ]]; then
      memprobe "extract mixed $n" ofq "$n" "$OFQ" extract "$CAT" "$Q/q$n-mixed.tsv" --format fasta --quiet "${OFQ_THREADS[@]}"
    fi
  done
  memprobe "long rc (whole records >= 50 kb)" samtools "$nlong" samtools faidx -i -r "$Q/long.regions.txt" "$CAT"
  if [[ -n $OFQ ]]; then
    memprobe "long rc (whole records >= 50 kb)" ofq "$nlong" "$OFQ" extract "$CAT" "$Q/long-rc.tsv" --format fasta --quiet "${OFQ_THREADS[@]}"
  fi
  local f name region
  for f in "$CAT" "$MANY"; do
    name=$(basename "$f" .fa)
    region=$(lookup_region "$f")
    memprobe "one region, $name" samtools 1 samtools faidx "$f" "$region"
    if [[ -n $OFQ ]]; then
      [[ -s $f.ofqi ]] || "$OFQ" index "$f" --quiet
      samtools_fai "$f"
      memprobe "one region, $name" ofq 1 "$OFQ" faidx "$f" "$region"
    fi
  done
  for f in "$CAT" "$MANY"; do
    memprobe "index $(basename "$f" .fa)" samtools 0 samtools faidx "$f"
    samtools_fai "$f"
    if [[ -n $OFQ ]]; then
      rm -f "$f.ofqi"
      memprobe "index $(basename "$f" .fa)" ofq 0 "$OFQ" index "$f" --quiet
      samtools_fai "$f"
    fi
  done
}

# ---------------------------------------------------------------- main
{
  echo "started $(date -u '+%F %T') UTC"
  echo "host $(hostname -s); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "memory $(free -g | awk '/^Mem/{print $2}') GB; kernel $(uname -r)"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "samtools: $(samtools --version | head -1); bedtools: $(bedtools --version); seqkit: $(seqkit version)"
  echo "pyfaidx: $(dpkg-query -W -f '${Version}' python3-pyfaidx 2>/dev/null || echo '?') ($PY); hyperfine: $(hyperfine --version)"
  echo "ofq: ${OFQ:-not found} $([[ -n $OFQ ]] && { "$OFQ" --version 2>/dev/null || true; } | head -1)"
  [[ -n $OFQ ]] && echo "ofq binary: $(stat -c '%y' "$OFQ"), git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
  echo "args: size ${SIZE_MB} MB, records ${RECORDS}, runs ${RUNS}, positions ${NS}, threads ${THREADS:-default}"
} > "$RUN/env.txt"
log "run dir $RUN"
if has data; then prepare_data; fi
[[ -s $CAT.fai ]] || die "no data: run with the data section first"
{
  echo "catalog: $CAT, $(stat -c %s "$CAT") bytes, $(wc -l < "$CAT.fai") records, line width $(head -1 "$CAT.fai" | cut -f4)"
  echo "many: $MANY, $(stat -c %s "$MANY") bytes, $(wc -l < "$MANY.fai") records"
} >> "$RUN/env.txt"
if has extract; then bench_extract; fi
if has long; then bench_long; fi
if has index; then bench_index; fi
if has lookup; then bench_lookup; fi
if has memory; then bench_memory; fi
{
  for f in "$CAT" "$MANY"; do
    echo "index files of $(basename "$f"): .fai $(stat -c %s "$f.fai" 2>/dev/null || echo -) bytes," \
      ".ofqi $(stat -c %s "$f.ofqi" 2>/dev/null || echo -) bytes"
  done
  echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >> "$RUN/env.txt"
mkdir -p "$(dirname "$OUT")"
"$PY" "$HERE/lib/report.py" "$RUN" "$FAILED" > "$OUT"
log "report: $OUT"
if [[ $FAILED != 0 ]]; then
  echo "!!! bench_engine.sh: some outputs disagree or a tool failed; see the top of $OUT" >&2
  exit 1
fi
