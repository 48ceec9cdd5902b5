#!/usr/bin/python3
"""ofq on the repository's real data (data/).

    /usr/bin/python3 tests/real/real_test.py OFQ_BINARY [--data DIR] [--keep]

(a) Published fixtures: the two Tara scaftig samples (data/published/assemblies/*.scaftig.gz,
    gunzipped into a temporary folder) queried with data/published/query_tara_*.csv must give
    data/published/expected_tara_*.csv byte for byte; then the same with the .gz read
    directly (multi-member gzip; expected to fail only while `ofq index` says gzip is
    unsupported).
(b) Gene extraction: every gene of data/real/vibrio_cholerae_H1_contigs.prodigal_meta.gff
    (3,701 CDS, partial genes included) extracted from vibrio_cholerae_H1_contigs.fa (as BED
    with strand, and as CSV with reverse_complement for `-` genes) equals the gene sequence
    prodigal wrote in ...prodigal_meta.ffn (headers `>ID # start # end # strand # ...`), exactly
    (prodigal keeps the contigs' case; the contigs are all uppercase).
(c) NCBI's own gene FASTA of the Y. pestis plasmid (data/real/NC_005816.ffn, headers
    `...|:start-end` or `:cSTART-END` for the minus strand) against NC_005816.fna.
(d) BioMarKs50k_18S_V4.fa (50,000 lowercase unwrapped amplicons; rebuilt by
    data/real/rebuild.sh when missing, --no-rebuild skips it): .fai as samtools writes it,
    random regions of all types against the file read here.
(e) uniprot_20k_proteins.faa.gz (20,000 proteins, plain gzip) read directly: raw regions
    against the file read here, complement refused (expected to fail only while `ofq index`
    says gzip is unsupported).
"""

import argparse
import csv
import io
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from ofqtest import ROOT, Checker, first_diff, run, short, tmpdir  # noqa: E402


def read_fasta(path):
    recs = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(">"):
                recs.append([line[1:], []])
            elif line:
                recs[-1][1].append(line)
    return [(h, "".join(s)) for h, s in recs]


def unsupported(err):
    e = err.lower()
    return any(w in e for w in ("unsupported", "not supported", "not yet supported"))


def published(ck, ofq, data, work):
    pub = os.path.join(data, "published")
    for sample in ("a100000171", "r110002003"):
        gz_src = os.path.join(pub, "assemblies", f"TARA_{sample.upper()}.scaftig.gz")
        query = os.path.join(pub, f"query_tara_{sample}.csv")
        want = open(os.path.join(pub, f"expected_tara_{sample}.csv"), "rb").read()
        plain = os.path.join(work, f"TARA_{sample.upper()}.scaftig")
        with open(plain, "wb") as f:
            subprocess.run(["gzip", "-dc", gz_src], stdout=f, check=True)
        for fmt_args, label in (([], "default format"), (["--format", "csv"], "--format csv")):
            p = run([ofq, "extract", plain] + [query] + fmt_args)
            ck.check(p.returncode == 0 and p.stdout == want, "published-plain",
                     f"{sample} ({label}): exit {p.returncode} {short(p.stderr)} "
                     f"{first_diff(p.stdout, want) if p.stdout != want else ''}")
        out = os.path.join(work, f"{sample}.out.csv")
        p = run([ofq, "extract", plain, query, "-o", out])
        ck.check(p.returncode == 0 and os.path.exists(out) and open(out, "rb").read() == want,
                 "published-plain-o", f"{sample} -o: exit {p.returncode} {short(p.stderr)}")
        # the .gz as published (multi-member gzip), copied so the index lands in the temp folder
        gz = os.path.join(work, os.path.basename(gz_src))
        shutil.copyfile(gz_src, gz)
        p = run([ofq, "extract", gz, query, "--format", "csv"])
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode != 0 and unsupported(err):
            ck.xfail("published-gz", f"{sample}: {err.strip()[:200]}")
        else:
            ck.check(p.returncode == 0 and p.stdout == want, "published-gz",
                     f"{sample} .gz: exit {p.returncode} {short(err)} "
                     f"{first_diff(p.stdout, want) if p.stdout != want else ''}")


def prodigal_genes(data):
    gff = os.path.join(data, "real", "vibrio_cholerae_H1_contigs.prodigal_meta.gff")
    genes = []
    with open(gff) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            c = line.rstrip("\n").split("\t")
            if c[2] != "CDS":
                continue
            gid = re.search(r"ID=([^;]+)", c[8]).group(1)
            partial = re.search(r"partial=(\d\d)", c[8]).group(1)
            genes.append({"seqid": c[0], "start": int(c[3]), "end": int(c[4]), "strand": c[6],
                          "id": gid, "partial": partial})
    ffn = {}
    for h, s in read_fasta(os.path.join(data, "real", "vibrio_cholerae_H1_contigs.prodigal_meta.ffn")):
        parts = [x.strip() for x in h.split("#")]
        gid = re.search(r"ID=([^;]+)", parts[4]).group(1)
        ffn[gid] = {"name": parts[0], "start": int(parts[1]), "end": int(parts[2]),
                    "strand": int(parts[3]), "seq": s}
    return genes, ffn


def vibrio(ck, ofq, data, work):
    genes, ffn = prodigal_genes(data)
    ck.check(len(genes) == 3701 and len(ffn) == 3701, "prodigal-parse",
             f"{len(genes)} GFF genes, {len(ffn)} ffn genes (want 3701)")
    partial = sum(1 for g in genes if g["partial"] != "00")
    ck.check(partial == 203, "prodigal-partial", f"{partial} partial genes, want 203")
    # the ffn header numbers are the GFF's (checks the test's reading of both files)
    same = all(ffn[g["id"]]["start"] == g["start"] and ffn[g["id"]]["end"] == g["end"]
               and ffn[g["id"]]["strand"] == (1 if g["strand"] == "+" else -1) for g in genes)
    ck.check(same, "prodigal-coords", "ffn header coordinates differ from the GFF's")
    ck.check(all(ffn[g["id"]]["seq"] == ffn[g["id"]]["seq"].upper() for g in genes),
             "prodigal-uppercase", "prodigal ffn has lowercase: compare case-insensitively?")

    fa = os.path.join(work, "vibrio_cholerae_H1_contigs.fa")
    shutil.copyfile(os.path.join(data, "real", "vibrio_cholerae_H1_contigs.fa"), fa)
    p = run([ofq, "index", fa])
    if not ck.check(p.returncode == 0, "vibrio-index", f"exit {p.returncode} {short(p.stderr)}"):
        return
    # .fai as samtools writes it
    fai_ofq = open(fa + ".fai", "rb").read() if os.path.exists(fa + ".fai") else b""
    sdir = os.path.join(work, "samtools")
    os.makedirs(sdir, exist_ok=True)
    sfa = os.path.join(sdir, os.path.basename(fa))
    shutil.copyfile(fa, sfa)
    subprocess.run(["samtools", "faidx", sfa], check=True)
    fai_sam = open(sfa + ".fai", "rb").read()
    ck.check(fai_ofq == fai_sam, "vibrio-fai", f"ofq's .fai differs: {first_diff(fai_ofq, fai_sam)}")

    # (1) BED with strand and name: '-' genes come back reverse-complemented
    bed = os.path.join(work, "genes.bed")
    with open(bed, "w") as f:
        for g in genes:
            f.write(f"{g['seqid']}\t{g['start'] - 1}\t{g['end']}\t{g['id']}\t0\t{g['strand']}\n")
    p = run([ofq, "extract", fa, bed, "--format", "tsv"])
    if ck.check(p.returncode == 0, "vibrio-bed-exit", f"exit {p.returncode} {short(p.stderr)}"):
        rows = list(csv.reader(io.StringIO(p.stdout.decode()), delimiter="\t"))
        ck.check(rows and rows[0] == ["id", "start", "end", "type", "name", "sequence"],
                 "vibrio-bed-header", f"TSV header {rows[0] if rows else None}, want id start end "
                 "type name sequence (SEMANTICS: name column after type)")
        body = rows[1:]
        if ck.check(len(body) == len(genes), "vibrio-bed-rows", f"{len(body)} rows for {len(genes)}"):
            col = {k: i for i, k in enumerate(rows[0])}
            bad = 0
            for g, r in zip(genes, body):
                want_type = "reverse_complement" if g["strand"] == "-" else "raw"
                try:
                    got = (r[col["id"]], r[col["start"]], r[col["end"]], r[col["type"]],
                           r[col["name"]], r[col["sequence"]])
                except (KeyError, IndexError):
                    got = tuple(r)
                want = (g["seqid"], str(g["start"] - 1), str(g["end"]), want_type, g["id"],
                        ffn[g["id"]]["seq"])
                if not ck.check(got == want, "vibrio-bed-gene",
                                f"{g['id']} {g['seqid']}:{g['start']}-{g['end']}{g['strand']} "
                                f"partial={g['partial']}: got {short(repr(got), 200)}"):
                    bad += 1
            if bad:
                ck.note(f"  BED: {bad} of {len(genes)} genes differ")

    # (2) the original's CSV with reverse_complement for '-' genes
    pos = os.path.join(work, "genes.csv")
    with open(pos, "w") as f:
        for g in genes:
            t = "reverse_complement" if g["strand"] == "-" else "raw"
            f.write(f"{g['seqid']},{g['start'] - 1},{g['end']},{t}\n")
    p = run([ofq, "extract", fa, pos, "--format", "csv"])
    want = "id,start,end,type,sequence\n" + "".join(
        f"{g['seqid']},{g['start'] - 1},{g['end']},"
        f"{'reverse_complement' if g['strand'] == '-' else 'raw'},{ffn[g['id']]['seq']}\n"
        for g in genes)
    ok = p.returncode == 0 and p.stdout == want.encode()
    ck.check(ok, "vibrio-csv-genes", f"exit {p.returncode} {short(p.stderr)} "
             f"{first_diff(p.stdout, want.encode()) if not ok else ''}")
    if ok:
        ck.passed += len(genes) - 1


def ncbi_plasmid(ck, ofq, data, work):
    fna = os.path.join(work, "NC_005816.fna")
    shutil.copyfile(os.path.join(data, "real", "NC_005816.fna"), fna)
    (seq_name, _), = [(h.split()[0], s) for h, s in read_fasta(fna)]
    rows = []
    for h, s in read_fasta(os.path.join(data, "real", "NC_005816.ffn")):
        m = re.search(r":(c?)(\d+)-(\d+)", h.split()[0])
        minus = m.group(1) == "c"
        a, b = int(m.group(2)), int(m.group(3))
        lo, hi = (b, a) if minus else (a, b)
        rows.append((lo - 1, hi, "reverse_complement" if minus else "raw", s))
    ck.check(len(rows) == 10, "ncbi-parse", f"{len(rows)} genes in NC_005816.ffn, want 10")
    pos = os.path.join(work, "ncbi.csv")
    with open(pos, "w") as f:
        for s, e, t, _ in rows:
            f.write(f"{seq_name},{s},{e},{t}\n")
    p = run([ofq, "extract", fna, pos, "--format", "tsv"])
    got = [ln.split("\t")[-1] for ln in p.stdout.decode().split("\n")[1:-1]]
    want = [r[3] for r in rows]
    ck.check(p.returncode == 0 and got == want, "ncbi-genes",
             f"exit {p.returncode} {short(p.stderr)}; "
             f"{sum(1 for x, y in zip(got, want) if x != y)} of {len(want)} genes differ")


def parse_simple(text):
    """A regular FASTA text (as these Debian files are) into {name: seq} and the name order."""
    recs, order, cur = {}, [], None
    for line in text.split("\n"):
        if line.startswith(">"):
            cur = line[1:].split()[0]
            recs[cur] = []
            order.append(cur)
        elif line:
            recs[cur].append(line)
    return {k: "".join(v) for k, v in recs.items()}, order


def region_rows(rng, recs, order, n, types):
    rows = []
    for _ in range(n):
        name = rng.choice(order)
        L = len(recs[name])
        s = rng.randint(0, L)
        e = rng.randint(s, L + (5 if rng.random() < 0.1 else 0))
        rows.append((name, s, e, rng.choice(types)))
    return rows


def biomarks(ck, ofq, data, work, rebuild):
    import random
    from ofqtest import expected
    src = os.path.join(data, "real", "BioMarKs50k_18S_V4.fa")
    if not os.path.exists(src):
        if not rebuild:
            ck.note("BioMarKs50k_18S_V4.fa missing and --no-rebuild: skipped")
            return
        p = run(["bash", os.path.join(data, "real", "rebuild.sh")], timeout=600)
        if not ck.check(p.returncode == 0 and os.path.exists(src), "biomarks-rebuild",
                        f"data/real/rebuild.sh exit {p.returncode}: {short(p.stderr)}"):
            return
    fa = os.path.join(work, "BioMarKs50k_18S_V4.fa")
    shutil.copyfile(src, fa)
    p = run([ofq, "index", fa])
    if not ck.check(p.returncode == 0, "biomarks-index", f"exit {p.returncode} {short(p.stderr)}"):
        return
    sdir = os.path.join(work, "samtools-biomarks")
    os.makedirs(sdir, exist_ok=True)
    sfa = os.path.join(sdir, "BioMarKs50k_18S_V4.fa")
    shutil.copyfile(src, sfa)
    subprocess.run(["samtools", "faidx", sfa], check=True)
    a = open(fa + ".fai", "rb").read() if os.path.exists(fa + ".fai") else b""
    b = open(sfa + ".fai", "rb").read()
    ck.check(a == b, "biomarks-fai", f".fai differs from samtools': {first_diff(a, b)}")
    recs, order = parse_simple(open(src).read())
    ck.check(len(order) == 50000, "biomarks-parse", f"{len(order)} records, want 50000")
    rng = random.Random(18)
    rows = region_rows(rng, recs, order, 3000, ["raw", "complement", "reverse_complement"])
    pos = os.path.join(work, "biomarks.csv")
    with open(pos, "w") as f:
        f.write("".join(f"{n},{s},{e},{t}\n" for n, s, e, t in rows))
    want = "id,start,end,type,sequence\n" + "".join(
        f"{n},{s},{e},{t},{expected(recs[n], s, e, t, 'dna')}\n" for n, s, e, t in rows)
    p = run([ofq, "extract", fa, pos, "--format", "csv"])
    ok = p.returncode == 0 and p.stdout == want.encode()
    ck.check(ok, "biomarks-regions", f"exit {p.returncode} {short(p.stderr)} "
             f"{first_diff(p.stdout, want.encode()) if not ok else ''}")


def uniprot(ck, ofq, data, work):
    import gzip
    import random
    src = os.path.join(data, "real", "uniprot_20k_proteins.faa.gz")
    gz = os.path.join(work, os.path.basename(src))
    shutil.copyfile(src, gz)
    p = run([ofq, "index", gz])
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode != 0 and unsupported(err):
        ck.xfail("uniprot-gz", err.strip()[:200])
        return
    if not ck.check(p.returncode == 0, "uniprot-index", f"exit {p.returncode} {short(err)}"):
        return
    recs, order = parse_simple(gzip.decompress(open(src, "rb").read()).decode())
    rng = random.Random(20000)
    rows = region_rows(rng, recs, order, 3000, ["raw"])
    pos = os.path.join(work, "uniprot.tsv")
    with open(pos, "w") as f:
        f.write("id\tstart\tend\ttype\n" + "".join(f"{n}\t{s}\t{e}\t{t}\n" for n, s, e, t in rows))
    want = "id\tstart\tend\ttype\tsequence\n" + "".join(
        f"{n}\t{s}\t{e}\t{t}\t{recs[n][s:e]}\n" for n, s, e, t in rows)
    p = run([ofq, "extract", gz, pos, "--format", "tsv"])
    ok = p.returncode == 0 and p.stdout == want.encode()
    ck.check(ok, "uniprot-regions", f"exit {p.returncode} {short(p.stderr)} "
             f"{first_diff(p.stdout, want.encode()) if not ok else ''}")
    name = order[0]
    pos1 = os.path.join(work, "uniprot1.csv")
    with open(pos1, "w") as f:
        f.write(f"{name},0,10,reverse_complement\n")
    p = run([ofq, "extract", gz, pos1])
    ck.check(p.returncode not in (0, 4) and p.stdout == b"" and name in p.stderr.decode("utf-8", "replace"),
             "uniprot-complement-refused", f"exit {p.returncode} {short(p.stderr)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ofq")
    ap.add_argument("--data", default=os.path.join(ROOT, "data"))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-rebuild", action="store_true",
                    help="skip BioMarKs when data/real/rebuild.sh has not been run")
    args = ap.parse_args()
    ofq = os.path.abspath(args.ofq)
    ck = Checker("real")
    work = tmpdir("ofq-real-")
    try:
        published(ck, ofq, args.data, work)
        vibrio(ck, ofq, args.data, work)
        ncbi_plasmid(ck, ofq, args.data, work)
        biomarks(ck, ofq, args.data, work, not args.no_rebuild)
        uniprot(ck, ofq, args.data, work)
    finally:
        if args.keep:
            ck.note(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
