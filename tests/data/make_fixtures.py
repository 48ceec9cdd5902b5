#!/usr/bin/python3
"""Write the generated FASTA fixtures of the ofq tests (stdlib only, deterministic).

    /usr/bin/python3 tests/data/make_fixtures.py [--out DIR] [--seed N]

Default DIR is tests/data/generated (git-ignored). Three folders and one truth file:

  valid/     messy but valid FASTA (SEMANTICS.md "Real files are messy"): ofq must give
             exact bases for every record.
  refused/   files ofq must refuse at indexing (SEMANTICS.md "A file is refused at
             indexing"), one case per file.
  regular/   files samtools faidx also accepts (regular line geometry per record), for the
             differential tests against samtools.
  truth.json {"seed": N,
              "valid":   {FILE: {"case": TEXT, "records": [{"name", "description",
                                  "alphabet": dna|rna|protein, "seq"}]}},
              "regular": {FILE: same as valid, plus "width": line width or 0},
              "refused": {FILE: {"case": TEXT, "line": 1-based line, "record": NAME|null,
                                  "what": short reason keyword}}}
  "seq" is the record's exact bases (what any region must be a slice of).

Every FASTA file names the case it targets in the description of its first header (a FASTA
file has no comment syntax); the empty file's case is in truth.json only. The same seed
gives the same bytes. Total size is about 4 MB.
"""

import argparse
import json
import os
import random
import shutil
import sys

DNA_UPPER = "ACGT"
IUPAC = "ACGTURYSWKMBDHVN"
PROTEIN = "ACDEFGHIKLMNPQRSTVWYXBZJUO"
TABLE_LETTERS = set("ACGTURYSWKMBDHVN")


def classify(seq):
    """SEMANTICS.md: DNA/RNA when only table letters (any case) and -.*; RNA when U and no T."""
    up = seq.upper()
    for c in up:
        if c in "-.*":
            continue
        if c not in TABLE_LETTERS:
            return "protein"
    if "U" in up and "T" not in up:
        return "rna"
    return "dna"


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def bases(self, n, alphabet=DNA_UPPER):
        r = self.rng
        return "".join(r.choice(alphabet) for _ in range(n))

    def softmasked(self, n):
        """Uppercase DNA with lowercase runs, N runs and the odd lowercase n."""
        r = self.rng
        out = []
        while len(out) < n:
            kind = r.random()
            run = r.randint(1, 40)
            if kind < 0.55:
                out.extend(self.bases(run))
            elif kind < 0.9:
                out.extend(self.bases(run).lower())
            elif kind < 0.95:
                out.extend("N" * run)
            else:
                out.extend("n" * run)
        return "".join(out[:n])


def wrap(seq, width):
    if width <= 0 or not seq:
        return [seq] if seq else []
    return [seq[i:i + width] for i in range(0, len(seq), width)]


def fasta_bytes(records, width=60, eol="\n", final_eol=True):
    """Regular FASTA text. records: list of (name, description, seq)."""
    out = []
    for name, desc, seq in records:
        out.append(">" + name + (" " + desc if desc else "") + eol)
        for line in wrap(seq, width):
            out.append(line + eol)
    text = "".join(out)
    if not final_eol and text.endswith(eol):
        text = text[: -len(eol)]
    return text.encode("ascii")


class Writer:
    def __init__(self, out):
        self.out = out
        self.truth = {"valid": {}, "regular": {}, "refused": {}}
        for d in ("valid", "refused", "regular"):
            os.makedirs(os.path.join(out, d), exist_ok=True)

    def write(self, kind, fname, data, case, records=None, **extra):
        path = os.path.join(self.out, kind, fname)
        with open(path, "wb") as f:
            f.write(data)
        entry = {"case": case}
        if records is not None:
            entry["records"] = [
                {"name": n, "description": d, "alphabet": classify(s), "seq": s}
                for n, d, s in records
            ]
            names = [r["name"] for r in entry["records"]]
            assert len(set(names)) == len(names), fname
        entry.update(extra)
        self.truth[kind][fname] = entry


def messy_lines(rng, seq, min_len=1, max_len=120):
    """Cut seq into lines of random lengths."""
    lines = []
    i = 0
    while i < len(seq):
        n = rng.randint(min_len, max_len)
        lines.append(seq[i:i + n])
        i += n
    return lines


def make_valid(g, w):
    r = g.rng

    def recs(prefix, count, lo, hi, maker=None):
        maker = maker or g.bases
        return [(f"{prefix}{i}", f"len_hint={i}", maker(r.randint(lo, hi))) for i in range(count)]

    # 1. baseline: regular LF, 60 columns
    rs = recs("base_", 5, 1, 2000)
    rs[0] = (rs[0][0], "case=baseline_lf_60 regular file, 60 columns", rs[0][2])
    w.write("valid", "baseline_lf_60.fa", fasta_bytes(rs, 60), "baseline: LF, 60 columns", rs)

    # 2. CRLF everywhere
    rs = recs("crlf_", 6, 0, 1500)
    rs[0] = (rs[0][0], "case=crlf every line ends in CR LF", g.bases(777))
    w.write("valid", "crlf.fa", fasta_bytes(rs, 70, eol="\r\n"), "CRLF line ends", rs)

    # 3. line ends switching inside a file and inside a record
    rs = [("mixed_0", "case=mixed_eol LF and CRLF switch line by line", g.bases(1234))]
    rs += recs("mixed_", 5, 1, 900)[1:]
    out = []
    for name, desc, seq in rs:
        out.append(">" + name + " " + desc + r.choice(["\n", "\r\n"]))
        for line in wrap(seq, 61):
            out.append(line + r.choice(["\n", "\r\n"]))
    w.write("valid", "mixed_eol.fa", "".join(out).encode(), "LF and CRLF switching inside records", rs)

    # 4. blank lines between and inside records (LF and CRLF blanks)
    rs = [("blank_0", "case=blank_lines between and inside records", g.bases(500))]
    rs += [(f"blank_{i}", "", g.bases(r.randint(0, 700))) for i in range(1, 7)]
    out = []
    for name, desc, seq in rs:
        out.append(">" + name + (" " + desc if desc else "") + "\n")
        for line in wrap(seq, 50):
            out.append(line + "\n")
            if r.random() < 0.25:
                out.append(r.choice(["\n", "\r\n", "\n\n"]))
        out.append(r.choice(["\n", "\n\n\n", "\r\n", ""]))
    out.append("\n\n")
    w.write("valid", "blank_lines.fa", "".join(out).encode(), "blank lines between/inside records", rs)

    # 5. uneven line lengths (every line a different length, 1..120)
    rs = [("uneven_0", "case=uneven_lines random line lengths 1..120", g.bases(3000))]
    rs += [(f"uneven_{i}", "", g.bases(r.randint(1, 2500))) for i in range(1, 6)]
    out = []
    for name, desc, seq in rs:
        out.append(">" + name + (" " + desc if desc else "") + "\n")
        for line in messy_lines(r, seq):
            out.append(line + "\n")
    w.write("valid", "uneven_lines.fa", "".join(out).encode(), "uneven line lengths", rs)

    # 6. trailing spaces and tabs on sequence lines (whitespace is never sequence)
    rs = [("trail_0", "case=trailing_whitespace spaces/tabs at the end of sequence lines",
           g.bases(900))]
    rs += [(f"trail_{i}", "", g.bases(r.randint(1, 800))) for i in range(1, 6)]
    out = []
    for name, desc, seq in rs:
        out.append(">" + name + (" " + desc if desc else "") + "\n")
        for line in wrap(seq, 60):
            tail = "".join(r.choice(" \t") for _ in range(r.randint(0, 4)))
            out.append(line + tail + r.choice(["\n", "\r\n"]))
    w.write("valid", "trailing_whitespace.fa", "".join(out).encode(),
            "trailing spaces/tabs on sequence lines", rs)

    # 6b. lines made only of spaces/tabs inside and between records
    rs = [("wsline_0", "case=whitespace_only_lines lines of only spaces/tabs", g.bases(400)),
          ("wsline_1", "", g.bases(333))]
    out = []
    for name, desc, seq in rs:
        out.append(">" + name + (" " + desc if desc else "") + "\n")
        for line in wrap(seq, 40):
            out.append(line + "\n")
            if r.random() < 0.3:
                out.append(r.choice(["  \n", "\t\n", " \t \r\n"]))
        out.append("   \n")
    w.write("valid", "whitespace_only_lines.fa", "".join(out).encode(),
            "lines holding only spaces/tabs", rs)

    # 7. no newline at the end of the file (three flavours)
    rs = [("nofinal_0", "case=no_final_newline last line has no LF", g.bases(150)),
          ("nofinal_1", "", g.bases(61))]
    w.write("valid", "no_final_newline.fa", fasta_bytes(rs, 60, final_eol=False),
            "no newline at the end of the file", rs)
    rs = [("nofinalcr_0", "case=no_final_newline_crlf CRLF file, last line has no CRLF",
           g.bases(130)), ("nofinalcr_1", "", g.bases(7))]
    w.write("valid", "no_final_newline_crlf.fa", fasta_bytes(rs, 60, eol="\r\n", final_eol=False),
            "CRLF file, no line end at the end", rs)
    rs = [("nofinalhdr_0", "case=no_final_newline_header file ends with a header, no LF",
           g.bases(100)), ("nofinalhdr_last", "", "")]
    w.write("valid", "no_final_newline_header.fa", fasta_bytes(rs, 60, final_eol=False),
            "file ends in a header line without newline (empty last record)", rs)

    # 8. empty records: first, consecutive, middle, last
    rs = [("empty_first", "case=empty_records records of length 0 first/middle/last", ""),
          ("full_1", "", g.bases(130)), ("empty_2", "", ""), ("empty_3", "", ""),
          ("full_4", "", g.bases(61)), ("empty_5", "after blank", ""), ("full_6", "", g.bases(1)),
          ("empty_last", "", "")]
    out = []
    for name, desc, seq in rs:
        out.append(">" + name + (" " + desc if desc else "") + "\n")
        for line in wrap(seq, 60):
            out.append(line + "\n")
        if name == "empty_5":
            out.append("\n")
    w.write("valid", "empty_records.fa", "".join(out).encode(), "empty records", rs)

    # 9. an unwrapped 300 kb record between small ones
    rs = [("unwrapped_small_0", "case=unwrapped_300k one 300,000-base line", g.bases(10)),
          ("unwrapped_big", "300000 bases on one line", g.softmasked(300000)),
          ("unwrapped_small_2", "", g.bases(59))]
    w.write("valid", "unwrapped_300k.fa", fasta_bytes(rs, 0), "unwrapped 300 kb record", rs)

    # 10. soft-masked (lowercase runs)
    rs = [("soft_0", "case=softmasked lowercase runs and N runs", g.softmasked(5000))]
    rs += [(f"soft_{i}", "", g.softmasked(r.randint(1, 3000))) for i in range(1, 5)]
    rs.append(("soft_all_lower", "", g.bases(999).lower()))
    w.write("valid", "softmasked.fa", fasta_bytes(rs, 60), "lowercase / soft-masked runs", rs)

    # 11. IUPAC codes, both cases
    iu = IUPAC.replace("U", "")  # keep T so these stay DNA
    rs = [("iupac_0", "case=iupac all IUPAC nucleotide codes, both cases",
           g.bases(2000, iu + iu.lower()))]
    rs += [(f"iupac_{i}", "", g.bases(r.randint(1, 1500), iu + iu.lower())) for i in range(1, 4)]
    rs.append(("iupac_every_letter", "", iu + iu.lower()))
    w.write("valid", "iupac.fa", fasta_bytes(rs, 60), "IUPAC codes", rs)

    # 12. RNA (U, no T)
    rna = "ACGU"
    rs = [("rna_0", "case=rna U and no T: complement gives U", g.bases(1500, rna))]
    rs += [(f"rna_{i}", "", g.bases(r.randint(1, 1000), rna + rna.lower())) for i in range(1, 4)]
    rs.append(("rna_iupac", "", g.bases(800, "ACGURYSWKMBDHVN" + "acgurn-")))
    rs.append(("dna_with_u", "has T and U: DNA", g.bases(300, "ACGTU")))
    w.write("valid", "rna.fa", fasta_bytes(rs, 60), "RNA records (U, no T)", rs)

    # 13. protein (and one DNA record in the same file)
    rs = [("prot_0", "case=protein amino acids; complement refused, raw works",
           g.bases(1200, PROTEIN))]
    rs += [(f"prot_{i}", "", g.bases(r.randint(1, 900), PROTEIN + PROTEIN.lower() + "*-"))
           for i in range(1, 5)]
    rs.append(("prot_dna_neighbour", "a DNA record beside proteins", g.bases(500)))
    rs.append(("prot_stop_end", "", g.bases(300, PROTEIN) + "*"))
    rs.append(("prot_late_letter", "first letter outside the table at position 250",
               g.bases(250) + "E" + g.bases(100)))
    w.write("valid", "protein.fa", fasta_bytes(rs, 60), "protein records", rs)

    # 14. gap symbols - . *
    rs = [("gaps_0", "case=gaps gap and stop symbols - . * inside DNA",
           g.bases(1500, "ACGTacgt-.*N"))]
    rs += [(f"gaps_{i}", "", g.bases(r.randint(1, 900), "ACGT--..**")) for i in range(1, 4)]
    rs.append(("gaps_only", "", "-.*" * 20))
    w.write("valid", "gaps.fa", fasta_bytes(rs, 60), "gap symbols -.*", rs)

    # 15. many tiny records (0..8 bases), wrapped at 3
    rs = [("tiny_0", "case=many_tiny 4000 records of 0-8 bases", g.bases(5))]
    rs += [(f"tiny_{i}", "", g.bases(r.randint(0, 8))) for i in range(1, 4000)]
    w.write("valid", "many_tiny.fa", fasta_bytes(rs, 3), "many tiny records", rs)

    # 16. headers: tabs, long descriptions, odd but valid names
    rs = [("hdr_0", "case=headers tab-cut names, long descriptions", g.bases(100)),
          ("gi|45478711|ref|NC_005816.1|", "Yersinia-like name with pipes", g.bases(200)),
          ("hdr.tab", None, g.bases(50)),
          ("hdr_long", "x" * 5000, g.bases(70)),
          ("hdr_semicolon;size=12", "", g.bases(12))]
    out = []
    for name, desc, seq in rs:
        if desc is None:
            out.append(">" + name + "\tdescription after a tab\n")
        else:
            out.append(">" + name + (" " + desc if desc else "") + "\n")
        for line in wrap(seq, 60):
            out.append(line + "\n")
    rs = [(n, d if d is not None else "description after a tab", s) for n, d, s in rs]
    w.write("valid", "headers.fa", "".join(out).encode(), "header forms", rs)

    # 17. the empty file (valid: no records)
    w.write("valid", "empty.fa", b"", "empty file (no records)", [])

    # 18. everything at once
    rs = [("kitchen_0", "case=kitchen_sink every messy feature at once", g.softmasked(4000))]
    for i in range(1, 25):
        kind = r.random()
        if kind < 0.15:
            seq = ""
        elif kind < 0.3:
            seq = g.bases(r.randint(1, 3000), "ACGTURYSWKMBDHVNacgtn-.*")
        elif kind < 0.4:
            seq = g.bases(r.randint(1, 2000), "ACGU")
        elif kind < 0.5:
            seq = g.bases(r.randint(1, 2000), PROTEIN)
        else:
            seq = g.softmasked(r.randint(1, 6000))
        rs.append((f"kitchen_{i}", "", seq))
    out = []
    for name, desc, seq in rs:
        out.append(">" + name + (" " + desc if desc else "") + r.choice(["\n", "\r\n"]))
        for line in messy_lines(r, seq, 1, 200):
            tail = "".join(r.choice(" \t") for _ in range(r.randint(0, 2))) if r.random() < 0.2 else ""
            out.append(line + tail + r.choice(["\n", "\r\n", "\n", "\n"]))
            if r.random() < 0.05:
                out.append(r.choice(["\n", "\r\n", "\r\n"]))
    text = "".join(out).rstrip("\r\n")
    w.write("valid", "kitchen_sink.fa", text.encode(), "all messy features, no final newline", rs)

    # 19. per-record regular geometry that differs between records (samtools-expressible too)
    rs = [("geom_0", "case=per_record_widths each record has its own width", g.bases(1000))]
    rs += [(f"geom_{i}", "", g.bases(r.randint(1, 1000))) for i in range(1, 8)]
    out = []
    for i, (name, desc, seq) in enumerate(rs):
        out.append(">" + name + (" " + desc if desc else "") + "\n")
        for line in wrap(seq, [60, 1, 7, 80, 0, 61, 120, 33][i]):
            out.append(line + "\n")
    w.write("valid", "per_record_widths.fa", "".join(out).encode(), "a different width per record", rs)


def make_regular(g, w):
    """Files samtools faidx accepts: each record has full lines of one width, last line shorter."""
    r = g.rng

    def write(fname, case, rs, width, eol="\n"):
        rs[0] = (rs[0][0], "case=" + fname.rsplit(".", 1)[0] + " " + case, rs[0][2])
        w.write("regular", fname, fasta_bytes(rs, width, eol=eol), case, rs, width=width)

    for width in (60, 70, 80):
        rs = [(f"w{width}_{i}", "", g.bases(r.randint(1, 5000))) for i in range(12)]
        rs.append((f"w{width}_exact", "length a multiple of the width", g.bases(width * 17)))
        rs.append((f"w{width}_one", "", "A"))
        write(f"width{width}.fa", f"{width} columns", rs, width)
    rs = [(f"unwrapped_{i}", "", g.bases(r.randint(1, 20000))) for i in range(6)]
    write("unwrapped.fa", "one line per record", rs, 0)
    rs = [(f"crlf_{i}", "", g.bases(r.randint(1, 4000))) for i in range(8)]
    write("crlf.fa", "CRLF line ends", rs, 60, eol="\r\n")
    rs = [(f"lower_{i}", "", g.softmasked(r.randint(1, 4000))) for i in range(8)]
    write("lowercase.fa", "soft-masked", rs, 60)
    rs = [(f"many_{i}", "", g.bases(r.randint(1, 700))) for i in range(150)]
    write("many_records.fa", "150 records", rs, 60)
    rs = [(f"short_{i}", "", g.bases(60 * r.randint(0, 5) + r.randint(1, 3))) for i in range(20)]
    write("short_last_lines.fa", "last lines of 1-3 bases", rs, 60)
    rs = [("er_0", "", g.bases(300)), ("er_empty_1", "", ""), ("er_2", "", g.bases(61)),
          ("er_empty_3", "", ""), ("er_empty_4", "", ""), ("er_5", "", g.bases(120))]
    write("empty_records.fa", "records of length 0 (samtools leaves them out of .fai)", rs, 60)
    iu = "ACGTRYSWKMBDHVNacgtrysw kmbdhvn".replace(" ", "")
    rs = [(f"iupac_{i}", "", g.bases(r.randint(1, 3000), iu)) for i in range(5)]
    write("iupac.fa", "IUPAC codes, both cases", rs, 60)


def make_refused(w):
    """One file per refusal rule. line: 1-based line ofq must name; record: name or None."""
    A = "ACGTACGTAC"
    cases = [
        ("name_missing_gt_alone.fa", ">good case=name_missing '>' alone\n" + A + "\n>\n" + A + "\n",
         3, None, "record has no name ('>' alone)"),
        ("name_missing_gt_space.fa", ">good case=name_missing '>' then space\n" + A + "\n> desc only\n"
         + A + "\n", 3, None, "record has no name ('>' then whitespace)"),
        ("name_missing_gt_tab.fa", ">good case=name_missing '>' then tab\n" + A + "\n>\tdesc\n" + A
         + "\n", 3, None, "record has no name ('>' then tab)"),
        ("duplicate_name.fa", ">chr1 case=duplicate_name\n" + A + "\n>chr2\n" + A + "\n>chr1 again\n"
         + A + "\n", 5, "chr1", "two records named chr1"),
        ("duplicate_name_tab.fa", ">dup\tcase=duplicate_name cut at tab\n" + A + "\n>dup\n" + A + "\n",
         3, "dup", "duplicate after cutting the header at a tab"),
        ("duplicate_name_crlf.fa", ">x case=duplicate_name CRLF lines\r\n" + A + "\r\n\r\n>y\r\n" + A
         + "\r\n>x\r\n" + A + "\r\n", 6, "x", "duplicate in a CRLF file with a blank line"),
        ("control_byte_header.fa", ">ok case=control_byte_in_header\n" + A + "\n>rec2 bad\x01byte\n"
         + A + "\n", 3, "rec2", "control byte 0x01 in a header"),
        ("control_byte_header_nul.fa", ">ok case=control_byte_in_header NUL\n" + A + "\n>rec2 x\x00y\n"
         + A + "\n", 3, "rec2", "NUL in a header"),
        ("control_byte_header_esc.fa", ">rec1 case=control_byte_in_header ESC\x1b[0m\n" + A + "\n",
         1, "rec1", "ESC in a header"),
        ("bad_byte_digit.fa", ">rec1 case=bad_byte_in_sequence digit\n" + A + "\n" + "ACG1TT\n",
         3, "rec1", "digit in a sequence line"),
        ("bad_byte_at.fa", ">rec1 case=bad_byte_in_sequence '@'\n" + A + "\n>rec2\n" + A + "\nAC@G\n",
         5, "rec2", "'@' in a sequence line"),
        ("bad_byte_nonascii.fa", ">rec1 case=bad_byte_in_sequence non-ASCII\n" + A + "\nAC\u00e9G\n",
         3, "rec1", "byte 0xC3 (UTF-8 e-acute) in a sequence line"),
        ("bad_byte_crlf_blank.fa", ">r1 case=bad_byte_in_sequence after CRLF and blank lines\r\n" + A
         + "\r\n\r\n\n" + A + "\r\n>r2\r\n" + A + "\r\nA=C\r\n", 8, "r2",
         "'=' on line 8 of a CRLF file with blank lines"),
        ("gt_glued.fa", ">rec1 case=gt_inside_sequence_line\n" + A + "\nACGT>rec2\nACGT\n",
         3, "rec1", "'>' glued inside a sequence line"),
        ("space_in_sequence.fa", ">rec1 case=whitespace_inside_sequence_line space\n" + A + "\nACG TAC\n",
         3, "rec1", "space in the middle of a sequence line"),
        ("tab_in_sequence.fa", ">rec1 case=whitespace_inside_sequence_line tab\n" + A + "\n" + A
         + "\nACG\tTAC\n", 4, "rec1", "tab in the middle of a sequence line"),
        ("sequence_before_header.fa", "ACGTACGT\n>rec1 case=sequence_before_first_header\n" + A + "\n",
         1, None, "sequence before the first '>'"),
        ("sequence_before_header_blank.fa",
         "\nACGT\n>rec1 case=sequence_before_first_header after a blank line\n" + A + "\n",
         2, None, "sequence on line 2, before the first '>'"),
    ]
    for fname, text, line, record, what in cases:
        w.write("refused", fname, text.encode("utf-8"), what, None, line=line, record=record,
                what=what)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "generated"))
    ap.add_argument("--seed", type=int, default=20261203)
    args = ap.parse_args()
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    w = Writer(args.out)
    g = Gen(args.seed)
    make_valid(g, w)
    make_regular(g, w)
    make_refused(w)
    w.truth["seed"] = args.seed
    with open(os.path.join(args.out, "truth.json"), "w") as f:
        json.dump(w.truth, f, indent=1, sort_keys=True)
        f.write("\n")
    n = sum(len(w.truth[k]) for k in ("valid", "regular", "refused"))
    print(f"make_fixtures: {n} files in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
