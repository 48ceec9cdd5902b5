#!/usr/bin/env bash
# Fixtures for the gzip / BGZF tests, made from a deterministic FASTA text by the real tools
# (gzip, bgzip, samtools), so that our readers are checked against what users have.
#   tests/data/make_compressed_fixtures.sh [OUT_DIR]   default tests/data/generated/compressed
# Idempotent and safe to run from parallel test processes: it builds in a temporary folder
# and renames it into place; a complete folder (with its STAMP) is left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/generated/compressed}
version=4  # bump when the fixtures change
if [ -f "$out/STAMP" ] && [ "$(cat "$out/STAMP")" = "$version" ]; then exit 0; fi
for tool in gzip bgzip samtools python3 zstd xz bzip2 zip; do
  command -v "$tool" >/dev/null || { echo "make_compressed_fixtures: $tool is missing: run tools/deps.sh test" >&2; exit 1; }
done
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "$(dirname "$out")/.compressed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# base.fa (~3 MB, what samtools also accepts): records of many lengths, widths 60/70/80, one
# unwrapped 400 kb record, soft-masked and N runs, an empty record, no final newline.
# irregular.fa (~300 kB): uneven lines, blank lines, CRLF line ends (ofq only).
# small.fa (~500 kB) for the quick cases.
python3 - <<'PY'
import random
ACGT = bytes(b"ACGT"[i % 4] for i in range(256))
def fasta(path, n_records, seed, max_len, irregular=False):
    r = random.Random(seed)
    parts = []
    for i in range(n_records):
        n = r.randint(0, max_len) if i % 7 else r.randint(1, 300)
        if i == 5: n = 400000
        seq = bytearray(r.randbytes(n).translate(ACGT))
        if n > 50 and i % 3 == 0:
            a = r.randrange(n - 40); seq[a:a + 40] = seq[a:a + 40].lower()
        if n > 300 and i % 5 == 0:
            a = r.randrange(n - 200); seq[a:a + 200] = b"N" * 200
        width = (60, 70, 80)[i % 3]
        parts.append(b">rec%d some description %d\n" % (i, i))
        if i == 5:
            parts.append(bytes(seq) + b"\n")
        elif i == 8:
            pass  # empty record
        elif irregular and i % 4 == 1:
            j = 0
            while j < n:  # uneven lines, a blank line now and then
                w = r.randint(1, 120)
                parts.append(bytes(seq[j:j + w]) + (b"\r\n" if i % 8 == 1 else b"\n"))
                if r.random() < 0.05: parts.append(b"\n")
                j += w
        else:
            eol = b"\r\n" if irregular and i % 4 == 3 else b"\n"
            for j in range(0, n, width):
                parts.append(bytes(seq[j:j + width]) + eol)
    data = b"".join(parts)
    open(path, "wb").write(data.rstrip(b"\n"))
fasta("base.fa", 160, 7, 36000)
fasta("irregular.fa", 40, 5, 12000, irregular=True)
fasta("small.fa", 40, 11, 9000)
PY

gzip -6 -n -c base.fa > base.gz6.fa.gz
gzip -1 -n -c base.fa > base.gz1.fa.gz
gzip -9 -n -c base.fa > base.gz9.fa.gz
gzip -n -c small.fa > small.fa.gz
gzip -n -c irregular.fa > irregular.fa.gz
bgzip -c irregular.fa > irregular.bgz.fa.gz
# Stored (level 0) deflate blocks, via python's zlib.
python3 -c "import gzip,sys; open('base.gz0.fa.gz','wb').write(gzip.compress(open('base.fa','rb').read(), 0, mtime=0))"

# Multi-member: cut mid-line, mid-header and between records; an empty member, zero padding
# of 1 and 512 bytes between members, a member holding a single byte.
python3 - <<'PY'
import gzip
d = open("base.fa", "rb").read()
cuts = [0, 1, 70001, d.index(b">rec20") + 3, 1000000, 1000001, 2000000, len(d)]
out = bytearray()
for i, (a, b) in enumerate(zip(cuts, cuts[1:])):
    out += gzip.compress(d[a:b], 6, mtime=0)
    if i == 1: out += gzip.compress(b"", 6, mtime=0)
    if i == 2: out += b"\0"
    if i == 4: out += b"\0" * 512
out += gzip.compress(b"", 9, mtime=0)
open("multi.fa.gz", "wb").write(out)
PY

# BGZF: many blocks; and two bgzip files concatenated (an empty block inside).
bgzip -c base.fa > base.bgz.fa.gz
head -c 1500000 base.fa > part1
tail -c +1500001 base.fa > part2
{ bgzip -c part1; bgzip -c part2; } > concat.bgz.fa.gz
cp base.bgz.fa.gz ref.base.bgz.fa.gz && bgzip -r ref.base.bgz.fa.gz && mv ref.base.bgz.fa.gz.gzi base.bgz.fa.gz.gzi.expected
cp concat.bgz.fa.gz ref.concat.bgz.fa.gz && bgzip -r ref.concat.bgz.fa.gz && mv ref.concat.bgz.fa.gz.gzi concat.bgz.fa.gz.gzi.expected
rm -f ref.*
cp base.bgz.fa.gz sam.fa.gz
samtools faidx sam.fa.gz
mv sam.fa.gz.fai base.bgz.fa.gz.fai.expected
rm -f sam.fa.gz*
# BGZF without the end-of-file block: read as plain gzip.
head -c $(( $(stat -c %s base.bgz.fa.gz) - 28 )) base.bgz.fa.gz > noeof.bgz.fa.gz

# Damaged files.
size6=$(stat -c %s base.gz6.fa.gz)
head -c $(( size6 / 2 )) base.gz6.fa.gz > truncated.fa.gz
head -c $(( size6 - 4 )) base.gz6.fa.gz > truncated_trailer.fa.gz
python3 - <<'PY'
d = bytearray(open("base.gz6.fa.gz", "rb").read())
d[-8] ^= 0x01                      # CRC-32 of the member
open("badcrc.fa.gz", "wb").write(d)
d = bytearray(open("base.gz6.fa.gz", "rb").read())
d[len(d) // 3] ^= 0x5a              # inside the deflate data
open("corrupt.fa.gz", "wb").write(d)
d = open("small.fa.gz", "rb").read()
open("garbage.fa.gz", "wb").write(d + b"trailing garbage\n")
b = open("base.bgz.fa.gz", "rb").read()
open("truncated.bgz.fa.gz", "wb").write(b[:len(b) // 2] + b[-28:])   # cut mid-block, EOF kept
c = bytearray(b); c[len(c) // 2] ^= 0x21
open("corrupt.bgz.fa.gz", "wb").write(c)
PY

# Other compressors: refused.
zstd -q -c small.fa > small.fa.zst
xz -c small.fa > small.fa.xz
bzip2 -c small.fa > small.fa.bz2
zip -q small.fa.zip small.fa

rm -f part1 part2
echo "$version" > STAMP
cd /
if ! mv -T "$tmp" "$out" 2>/dev/null; then
  # Another process finished first, or an old version is there: replace it when stale.
  if [ -f "$out/STAMP" ] && [ "$(cat "$out/STAMP")" = "$version" ]; then exit 0; fi
  rm -rf "$out.old.$$" && mv -T "$out" "$out.old.$$" && mv -T "$tmp" "$out" && rm -rf "$out.old.$$"
fi
trap - EXIT
