#!/usr/bin/python3
"""ofq on messy-but-valid FASTA and on the files SEMANTICS.md says must be refused.

    /usr/bin/python3 tests/messy/messy_test.py OFQ_BINARY [--seed N] [--regions N] [--keep]

For every valid file of tests/data/make_fixtures.py: `ofq index`, then random regions
(raw, complement, reverse_complement; empty regions; ends past the length; starts past the
length) through `ofq extract`, compared byte for byte with the answer computed here from
the generator's truth. Also: the same rows in TSV/FASTA/JSON/NDJSON, the omitted type,
--strict, protein complement refused, unknown ids. For every refused file: `ofq index`
exits 2 and the message names the file, the line and the record.
"""

import argparse
import gzip
import json
import os
import random
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from ofqtest import (Checker, classify, csv_bytes, expected, first_diff,  # noqa: E402
                     first_outside_table, make_fixtures, run, short, tmpdir, tsv_bytes, word_in)


def random_rows(rng, records, n):
    """n random (id, start, end, type_or_None, alphabet, seq) rows over records."""
    rows = []
    if not records:
        return rows
    for rec in records:  # fixed edge rows per record (first 300 records)
        if len(rows) > 6 * 300:
            break
        L = len(rec["seq"])
        nuc = rec["alphabet"] != "protein"
        types = ["raw", "complement", "reverse_complement"] if nuc else ["raw"]
        for s, e in ((0, L), (0, L + 7), (L, L), (L, L + 3), (L + 2, L + 9), (0, 0)):
            rows.append((rec["name"], s, e, rng.choice(types), rec))
    while len(rows) < n + 6 * min(len(records), 300):
        rec = rng.choice(records)
        L = len(rec["seq"])
        k = rng.random()
        if k < 0.1:
            s = rng.randint(0, L + 5)
            e = s
        elif k < 0.2:
            s = rng.randint(0, L + 3)
            e = s + rng.randint(0, 50) + max(0, L - s) + 1  # past the end
        elif k < 0.3:
            s = rng.randint(0, L)
            e = min(L, s + rng.randint(1, 3))
        else:
            s = rng.randint(0, L)
            e = rng.randint(s, L)
        nuc = rec["alphabet"] != "protein"
        t = rng.choice(["raw", "complement", "reverse_complement", None]) if nuc else \
            rng.choice(["raw", None])
        rows.append((rec["name"], s, e, t, rec))
    return rows


def positions_csv(rows):
    out = []
    for name, s, e, t, _ in rows:
        out.append(f"{name},{s},{e}" + (f",{t}" if t else ""))
    return ("\n".join(out) + "\n").encode() if out else b""


def expected_rows(rows):
    return [(name, s, e, t or "raw", expected(rec["seq"], s, e, t, rec["alphabet"]))
            for name, s, e, t, rec in rows]


def test_valid(ck, ofq, path, entry, rng, nregions, work, compressed=True):
    fname = os.path.basename(path)
    records = entry["records"]
    for rec in records:
        assert classify(rec["seq"]) == rec["alphabet"]
    p = run([ofq, "index", path])
    if not ck.check(p.returncode == 0, "index-valid",
                    f"{fname}: ofq index exit {p.returncode}: {short(p.stderr)}"):
        return
    ck.check(os.path.exists(path + ".ofqi"), "index-writes-ofqi", f"{fname}: no {fname}.ofqi")

    rows = random_rows(rng, records, nregions)
    pos = os.path.join(work, fname + ".positions.csv")
    with open(pos, "wb") as f:
        f.write(positions_csv(rows))
    want = expected_rows(rows)
    nclamped = sum(1 for r in rows if r[2] > len(r[4]["seq"]))

    out = os.path.join(work, fname + ".out.csv")
    p = run([ofq, "extract", path, pos, "--format", "csv", "-o", out])
    if not ck.check(p.returncode == 0, "extract-csv-exit",
                    f"{fname}: exit {p.returncode}: {short(p.stderr)}"):
        return
    got = open(out, "rb").read()
    wb = csv_bytes(want)
    if got == wb:
        ck.check(True, "extract-csv")
        ck.passed += len(want)  # one check per row, all equal
    else:
        ck.check(False, "extract-csv", f"{fname}: output differs; {first_diff(got, wb)}")
        got_lines = got.split(b"\n")
        want_lines = wb.split(b"\n")
        bad = 0
        for i, wl in enumerate(want_lines[1:-1], start=1):
            gl = got_lines[i] if i < len(got_lines) else b"<missing>"
            if not ck.check(gl == wl, "extract-csv-row",
                            f"{fname} row {i} ({rows[i-1][0]},{rows[i-1][1]},{rows[i-1][2]},"
                            f"{rows[i-1][3]}; length {len(rows[i-1][4]['seq'])}): got "
                            f"{short(gl, 160)!r} want {short(wl, 160)!r}"):
                bad += 1
        ck.note(f"  {fname}: {bad} of {len(want)} rows differ")
    if nclamped:
        ck.check(word_in(p.stderr.decode("utf-8", "replace"), nclamped), "clamp-summary",
                 f"{fname}: {nclamped} rows clamped, stderr does not say so: {short(p.stderr)}")

    # the same answer from compressed copies: gzip, multi-member gzip cut mid-line, BGZF
    if compressed:
        raw = open(path, "rb").read()
        for variant in ("gzip", "gzip-multimember", "bgzf"):
            vdir = os.path.join(work, variant)
            os.makedirs(vdir, exist_ok=True)
            vpath = os.path.join(vdir, fname + ".gz")
            if variant == "gzip":
                data = gzip.compress(raw, mtime=0)
            elif variant == "gzip-multimember":
                cuts = sorted({0, len(raw)} | {len(raw) * k // 5 + 3 for k in range(1, 5)
                                               if len(raw) * k // 5 + 3 < len(raw)})
                data = b"".join(gzip.compress(raw[a:b], mtime=0) for a, b in zip(cuts, cuts[1:]))
                if not raw:
                    data = gzip.compress(b"", mtime=0)
            else:
                data = subprocess.run(["bgzip", "-c"], input=raw, stdout=subprocess.PIPE,
                                      check=True).stdout
            with open(vpath, "wb") as f:
                f.write(data)
            p = run([ofq, "extract", vpath, pos, "--format", "csv", "-q"])
            err = p.stderr.decode("utf-8", "replace")
            if p.returncode != 0 and any(w in err.lower() for w in ("unsupported", "not supported")):
                ck.xfail(f"compressed-{variant}", f"{fname}: {err.strip()[:200]}")
                continue
            ck.check(p.returncode == 0 and p.stdout == wb, f"compressed-{variant}",
                     f"{fname}.gz ({variant}): exit {p.returncode} {short(err)} "
                     f"{first_diff(p.stdout, wb) if p.stdout != wb else ''}")

    # the same answer on stdout, and through '-' for the positions
    p = run([ofq, "extract", path, "-", "--format", "csv"], stdin=open(pos, "rb"))
    ck.check(p.returncode == 0 and p.stdout == wb, "extract-stdin-stdout",
             f"{fname}: exit {p.returncode} {short(p.stderr)}; "
             f"{first_diff(p.stdout, wb) if p.stdout != wb else ''}")

    # other formats on a sample of the rows
    sample = rows[:: max(1, len(rows) // 300)]
    sample_want = expected_rows(sample)
    spos = os.path.join(work, fname + ".sample.csv")
    with open(spos, "wb") as f:
        f.write(positions_csv(sample))
    p = run([ofq, "extract", path, spos, "--format", "tsv"])
    wt = tsv_bytes(sample_want)
    ck.check(p.returncode == 0 and p.stdout == wt, "extract-tsv",
             f"{fname}: exit {p.returncode} {short(p.stderr)} {first_diff(p.stdout, wt)}")
    for fmt in ("json", "ndjson"):
        p = run([ofq, "extract", path, spos, "--format", fmt])
        # SEMANTICS.md: an array of objects (JSON), one object a line (NDJSON). The CLI may
        # also carry the clamped count ({"sequences": [...], "clamped": N}; a last NDJSON
        # line {"summary": {"rows": R, "clamped": N}}): then N and R must be exact.
        nclamp = sum(1 for r in sample if r[2] > len(r[4]["seq"]))
        summary_ok = True
        try:
            if fmt == "json":
                doc = json.loads(p.stdout)
                if isinstance(doc, dict):
                    summary_ok = set(doc) == {"sequences", "clamped"} and doc["clamped"] == nclamp
                    objs = doc["sequences"]
                else:
                    objs = doc
            else:
                objs = [json.loads(x) for x in p.stdout.decode().split("\n") if x.strip()]
                if objs and set(objs[-1]) == {"summary"}:
                    summary_ok = objs[-1]["summary"] == {"rows": len(sample), "clamped": nclamp}
                    objs = objs[:-1]
            got_rows = [(o["id"], o["start"], o["end"], o["type"], o["sequence"]) for o in objs]
            summary_ok = summary_ok and all(
                set(o) == {"id", "start", "end", "type", "sequence"} for o in objs)
        except Exception as e:  # noqa: BLE001
            got_rows = f"unparsable: {e}: {short(p.stdout)}"
        ok = p.returncode == 0 and got_rows == sample_want and summary_ok
        detail = f"{fname}: exit {p.returncode} {short(p.stderr)}"
        if not ok and isinstance(got_rows, list):
            for g, w in zip(got_rows, sample_want):
                if g != w:
                    detail += f"; first differing row got {short(repr(g), 200)} want {short(repr(w), 200)}"
                    break
            else:
                detail += f"; {len(got_rows)} rows, want {len(sample_want)}"
        elif not ok:
            detail += f"; {got_rows}"
        if not summary_ok:
            detail += f"; wrong keys or clamped count (want {nclamp}): {short(p.stdout[-200:])}"
        ck.check(ok, f"extract-{fmt}", detail)
    # FASTA: the header carries the end as asked, like every other format (SEMANTICS "Bounds")
    fsample = sample
    fwant = expected_rows(fsample)
    fpos = os.path.join(work, fname + ".fasta-sample.csv")
    with open(fpos, "wb") as f:
        f.write(positions_csv(fsample))
    for width in (None, 0, 7):
        cmd = [ofq, "extract", path, fpos, "--format", "fasta"]
        if width is not None:
            cmd += ["--width", str(width)]
        p = run(cmd)
        w = 60 if width is None else width
        wb2 = b""
        for name, s, e, t, seq in fwant:
            wb2 += f">{name}:{s}-{e} {t}\n".encode()
            if seq:
                if w == 0:
                    wb2 += seq.encode() + b"\n"
                else:
                    wb2 += b"".join(seq[i:i + w].encode() + b"\n" for i in range(0, len(seq), w))
        ck.check(p.returncode == 0 and p.stdout == wb2, "extract-fasta",
                 f"{fname} --width {width}: exit {p.returncode} {short(p.stderr)} "
                 f"{first_diff(p.stdout, wb2)}")

    if not records:
        return
    # --strict: in-bounds rows pass, a row past the end is an error naming its line
    inb = [r for r in rows if r[2] <= len(r[4]["seq"])][:50]
    if inb:
        ipos = os.path.join(work, fname + ".inbounds.csv")
        with open(ipos, "wb") as f:
            f.write(positions_csv(inb))
        p = run([ofq, "extract", path, ipos, "--strict"])
        ck.check(p.returncode == 0 and p.stdout == csv_bytes(expected_rows(inb)), "strict-inbounds",
                 f"{fname}: exit {p.returncode} {short(p.stderr)}")
    rec = records[-1]
    L = len(rec["seq"])
    bad = inb[:3] + [(rec["name"], 0, L + 1, "raw", rec)]
    bpos = os.path.join(work, fname + ".strict.csv")
    with open(bpos, "wb") as f:
        f.write(positions_csv(bad))
    p = run([ofq, "extract", path, bpos, "--strict"])
    err = p.stderr.decode("utf-8", "replace")
    ck.check(p.returncode == 1 and p.stdout == b"" and word_in(err, len(bad)), "strict-past-end",
             f"{fname}: want exit 1, no output, line {len(bad)} named; got exit {p.returncode}, "
             f"{len(p.stdout)} bytes out, stderr {short(p.stderr)}")

    # unknown id: error naming it
    upos = os.path.join(work, fname + ".unknown.csv")
    with open(upos, "wb") as f:
        f.write(f"{records[0]['name']},0,1\nno_such_record_xyz,0,5\n".encode())
    p = run([ofq, "extract", path, upos])
    ck.check(p.returncode == 1 and p.stdout == b"" and "no_such_record_xyz" in p.stderr.decode(
        "utf-8", "replace"), "unknown-id",
        f"{fname}: exit {p.returncode}, {len(p.stdout)} bytes out, stderr {short(p.stderr)}")

    # protein records: complement and reverse_complement refused, naming record, letter, position
    for rec in [r for r in records if r["alphabet"] == "protein"][:4]:
        i, c = first_outside_table(rec["seq"])
        for t in ("complement", "reverse_complement"):
            ppos = os.path.join(work, fname + ".protein.csv")
            with open(ppos, "wb") as f:
                f.write(f"{rec['name']},0,{len(rec['seq'])},{t}\n".encode())
            p = run([ofq, "extract", path, ppos])
            err = p.stderr.decode("utf-8", "replace")
            ok = (p.returncode != 0 and p.returncode != 4 and p.stdout == b"" and rec["name"] in err
                  and f"'{c}'" in err and word_in(err, f"position {i}"))
            ck.check(ok, "protein-complement-refused",
                     f"{fname} {rec['name']} {t}: want an error naming the record, {c!r} and "
                     f"'position {i}' (0-based); got exit {p.returncode}, stderr {short(p.stderr)}")
            if p.returncode not in (0, 4) and not getattr(ck, "_protein_msg", False):
                ck.note(f"  message (protein {t}, exit {p.returncode}): {err.strip()}")
                ck._protein_msg = True


def test_input_formats(ck, ofq, path, entry, rng, work):
    """The same rows given as TSV with a header, BED (strand, name) and samtools regions."""
    fname = os.path.basename(path)
    recs = [r for r in entry["records"] if r["alphabet"] != "protein"]
    if not recs:
        return
    rows = []
    for _ in range(200):
        rec = rng.choice(recs)
        L = len(rec["seq"])
        s = rng.randint(0, L)
        e = rng.randint(s, L)
        rows.append((rec, s, e, rng.choice(["raw", "complement", "reverse_complement"])))
    tsv = os.path.join(work, fname + ".positions.tsv")
    with open(tsv, "w") as f:
        f.write("id\tstart\tend\ttype\n")
        f.write("".join(f"{r['name']}\t{s}\t{e}\t{t}\n" for r, s, e, t in rows))
    want = csv_bytes([(r["name"], s, e, t, expected(r["seq"], s, e, t, r["alphabet"]))
                      for r, s, e, t in rows])
    p = run([ofq, "extract", path, tsv])
    ck.check(p.returncode == 0 and p.stdout == want, "positions-tsv",
             f"{fname}: exit {p.returncode} {short(p.stderr)} {first_diff(p.stdout, want)}")
    # BED: + is raw, - is reverse_complement; the name column comes back after type
    brows = [(r, s, e, "reverse_complement" if t != "raw" else "raw", f"n{i}")
             for i, (r, s, e, t) in enumerate(rows)]
    bed = os.path.join(work, fname + ".positions.bed")
    with open(bed, "w") as f:
        f.write("".join(f"{r['name']}\t{s}\t{e}\t{n}\t0\t{'-' if t != 'raw' else '+'}\n"
                        for r, s, e, t, n in brows))
    want = csv_bytes([(r["name"], s, e, t, n, expected(r["seq"], s, e, t, r["alphabet"]))
                      for r, s, e, t, n in brows],
                     header=("id", "start", "end", "type", "name", "sequence"))
    p = run([ofq, "extract", path, bed, "--format", "csv"])
    ck.check(p.returncode == 0 and p.stdout == want, "positions-bed",
             f"{fname}: exit {p.returncode} {short(p.stderr)} {first_diff(p.stdout, want)}")
    # samtools regions, 1-based inclusive, non-empty ones only, written back 0-based
    rrows = [(r, s, e) for r, s, e, _ in rows if e > s and ":" not in r["name"]]
    txt = os.path.join(work, fname + ".regions.txt")
    with open(txt, "w") as f:
        f.write("".join(f"{r['name']}:{s + 1}-{e}\n" for r, s, e in rrows))
    want = csv_bytes([(r["name"], s, e, "raw", r["seq"][s:e]) for r, s, e in rrows])
    p = run([ofq, "extract", path, txt])
    ck.check(p.returncode == 0 and p.stdout == want, "positions-regions-txt",
             f"{fname}: exit {p.returncode} {short(p.stderr)} {first_diff(p.stdout, want)}")


def test_stale_index(ck, ofq, work):
    """A changed file is never answered from its old index, even with the old mtime."""
    path = os.path.join(work, "stale.fa")
    seq = "ACGT" * 50
    with open(path, "w") as f:
        f.write(">s1 case=stale_index\n" + seq + "\n>s2\n" + seq + "\n")
    p = run([ofq, "index", path])
    ck.check(p.returncode == 0, "stale-index-build", short(p.stderr))
    st = os.stat(path)
    # same size, same mtime (ns), one base changed
    new = seq[:100] + "T" + seq[101:]
    with open(path, "w") as f:
        f.write(">s1 case=stale_index\n" + new + "\n>s2\n" + seq + "\n")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    p = run([ofq, "index", "--check", path])
    ck.check(p.returncode == 2, "stale-index-check",
             f"ofq index --check on a changed file (same size and mtime): exit {p.returncode}, "
             f"want 2; {short(p.stderr)}")
    p = run([ofq, "extract", path, "-r", "s1:99-103", "--format", "tsv"])
    want = b"id\tstart\tend\ttype\tsequence\ns1\t98\t103\traw\t" + new[98:103].encode() + b"\n"
    ck.check(p.returncode == 0 and p.stdout == want, "stale-index-extract",
             f"changed file, same size and mtime: exit {p.returncode}, got {short(p.stdout)!r} "
             f"want {want!r}; {short(p.stderr)}")
    # a damaged index: rebuilt or refused, never trusted
    idx = path + ".ofqi"
    if os.path.exists(idx):
        data = bytearray(open(idx, "rb").read())
        for i in range(len(data) // 3, len(data) // 3 + 16):
            data[i] ^= 0x5A
        open(idx, "wb").write(bytes(data))
        p = run([ofq, "extract", path, "-r", "s1:99-103", "--format", "tsv"])
        ck.check((p.returncode == 0 and p.stdout == want) or (p.returncode == 2 and p.stdout == b""),
                 "damaged-index", f"damaged .ofqi: exit {p.returncode}, got {short(p.stdout)!r}; "
                 f"{short(p.stderr)}")
        open(idx, "wb").write(bytes(data[: len(data) // 2]))
        p = run([ofq, "extract", path, "-r", "s1:99-103", "--format", "tsv"])
        ck.check((p.returncode == 0 and p.stdout == want) or (p.returncode == 2 and p.stdout == b""),
                 "truncated-index", f"truncated .ofqi: exit {p.returncode}, got {short(p.stdout)!r}; "
                 f"{short(p.stderr)}")


def test_corrupt_compressed(ck, ofq, work, src, messages):
    """SEMANTICS: a truncated or corrupt compressed stream is refused (exit 2), never half-read."""
    raw = open(src, "rb").read()
    gz = gzip.compress(raw, mtime=0)
    bgz = subprocess.run(["bgzip", "-c"], input=raw, stdout=subprocess.PIPE, check=True).stdout
    flipped = bytearray(gz)
    flipped[len(gz) // 2] ^= 0xFF
    crc = bytearray(gz)
    crc[-8] ^= 0x01  # the CRC32 of the trailer
    cases = [
        ("truncated_gzip.fa.gz", gz[: len(gz) // 2], "gzip cut in the middle"),
        ("truncated_gzip_trailer.fa.gz", gz[:-4], "gzip without the last 4 bytes (ISIZE)"),
        ("corrupt_gzip.fa.gz", bytes(flipped), "gzip with a flipped byte in the deflate data"),
        ("bad_crc_gzip.fa.gz", bytes(crc), "gzip with a wrong CRC32"),
        ("truncated_bgzf.fa.gz", bgz[: len(bgz) // 2], "BGZF cut in the middle of a block"),
    ]
    d = os.path.join(work, "corrupt")
    os.makedirs(d, exist_ok=True)
    for fname, data, what in cases:
        path = os.path.join(d, fname)
        with open(path, "wb") as f:
            f.write(data)
        p = run([ofq, "index", path])
        err = p.stderr.decode("utf-8", "replace").strip()
        messages.append((fname, what, p.returncode, err))
        ck.check(p.returncode == 2 and fname in err, "corrupt-compressed-refused",
                 f"{fname} ({what}): want exit 2 naming the file; exit {p.returncode} {short(err)}")
        p = run([ofq, "extract", path, "-r", "base_0:1-5"])
        ck.check(p.returncode == 2 and p.stdout == b"", "corrupt-compressed-extract",
                 f"{fname} ({what}): ofq extract exit {p.returncode}, {len(p.stdout)} B out, "
                 f"{short(p.stderr)}")


def test_refused(ck, ofq, path, entry, messages):
    fname = os.path.basename(path)
    p = run([ofq, "index", path])
    err = p.stderr.decode("utf-8", "replace").strip()
    messages.append((fname, entry["what"], p.returncode, err))
    ck.check(p.returncode == 2, "refused-exit-2", f"{fname} ({entry['what']}): exit {p.returncode}, "
             f"stderr {short(err)}")
    ck.check(fname in err, "refused-names-file", f"{fname}: message does not name the file: {short(err)}")
    ck.check(word_in(err, entry["line"]), "refused-names-line",
             f"{fname}: message does not name line {entry['line']}: {short(err)}")
    if entry["record"] is not None:
        ck.check(word_in(err, entry["record"]), "refused-names-record",
                 f"{fname}: message does not name record {entry['record']!r}: {short(err)}")
    ck.check(not os.path.exists(path + ".fai") and not os.path.exists(path + ".ofqi"),
             "refused-no-index", f"{fname}: an index was written for a refused file")
    # extract refuses it as well
    p = run([ofq, "extract", path, "-r", "x:1-2"])
    ck.check(p.returncode == 2, "refused-extract-exit-2",
             f"{fname}: ofq extract exit {p.returncode}, stderr {short(p.stderr)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ofq")
    ap.add_argument("--seed", type=int, default=None, help="fixture seed (default: the generator's)")
    ap.add_argument("--regions", type=int, default=1500, help="random regions per file")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--no-compressed", action="store_true",
                    help="skip the gzip / multi-member gzip / BGZF copies of the valid files")
    args = ap.parse_args()
    ofq = os.path.abspath(args.ofq)
    ck = Checker("messy")
    work = tmpdir("ofq-messy-")
    truth = make_fixtures(os.path.join(work, "gen"), args.seed)
    rng = random.Random(truth["seed"] + 1)
    try:
        for fname, entry in sorted(truth["valid"].items()):
            test_valid(ck, ofq, os.path.join(work, "gen", "valid", fname), entry, rng, args.regions,
                       work, not args.no_compressed)
            test_input_formats(ck, ofq, os.path.join(work, "gen", "valid", fname), entry, rng, work)
        test_stale_index(ck, ofq, work)
        messages = []
        for fname, entry in sorted(truth["refused"].items()):
            test_refused(ck, ofq, os.path.join(work, "gen", "refused", fname), entry, messages)
        if not args.no_compressed:
            test_corrupt_compressed(ck, ofq, work, os.path.join(work, "gen", "valid",
                                                                "baseline_lf_60.fa"), messages)
        ck.note("refusal messages (file | case | exit | stderr):")
        for fname, what, rc, err in messages:
            ck.note(f"  {fname} | {what} | {rc} | {err!r}")
    finally:
        if args.keep:
            ck.note(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
