#!/usr/bin/python3
"""ofq against samtools faidx on regular FASTA files (plain, then BGZF).

    /usr/bin/python3 tests/differential/differential_test.py OFQ_BINARY [--samtools PATH]
        [--regions N] [--seed N] [--keep] [--no-bgzf]

For every file of tests/data/generated/regular (60/70/80 columns, unwrapped, CRLF,
lowercase, 150 records, short last lines, empty records, IUPAC), in separate copies:
  * `ofq index` writes the same .fai bytes as `samtools faidx`;
  * random regions give the same bases from `ofq extract` (raw and reverse_complement) as
    from `samtools faidx` (and `samtools faidx -i`), and as the generator's truth;
  * `ofq faidx` writes the same bytes as `samtools faidx` for the same region lists, with
    -i, -n, --mark-strand, -c, regions as arguments and from -r FILE.
Then the same on BGZF copies (`bgzip -i`): .fai and .gzi as htslib writes them. A BGZF
case is counted expected-to-fail only when `ofq index` says the format is unsupported.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from ofqtest import (Checker, expected, fasta_records, first_diff, make_fixtures, run,  # noqa: E402
                     short, tmpdir)


def random_regions(rng, records, n):
    """(name, start0, end0) in bounds (samtools and ofq agree there), ends at the length."""
    recs = [r for r in records if r["seq"]]
    out = []
    for r in recs[:200]:
        L = len(r["seq"])
        out += [(r["name"], 0, L), (r["name"], L - 1, L), (r["name"], 0, 1)]
    while len(out) < n:
        r = rng.choice(recs)
        L = len(r["seq"])
        s = rng.randint(0, L - 1)
        e = rng.randint(s + 1, L) if rng.random() < 0.8 else min(L, s + rng.randint(1, 5))
        out.append((r["name"], s, e))
    return out


def samtools_seqs(data):
    return [seq for _, seq in fasta_records(data)]


def compare_faidx(ck, ofq, samtools, a_path, b_path, label, args_list, regfile, stdin_ok=True):
    """`samtools faidx A ARGS` and `ofq faidx B ARGS` must print the same bytes and exit alike."""
    for extra in args_list:
        sa = run([samtools, "faidx", a_path] + extra)
        ob = run([ofq, "faidx", b_path] + extra)
        shown = " ".join(x if len(x) < 40 else x[:37] + "..." for x in extra)
        shown = shown.replace(regfile, "REGIONS")
        ok = ob.stdout == sa.stdout and (ob.returncode == 0) == (sa.returncode == 0)
        detail = (f"{label}: faidx {shown}: samtools exit {sa.returncode} ({len(sa.stdout)} B), "
                  f"ofq exit {ob.returncode} ({len(ob.stdout)} B) {short(ob.stderr, 200)}")
        if ob.stdout != sa.stdout:
            detail += "; " + first_diff(ob.stdout, sa.stdout)
        ck.check(ok, "faidx-bytes", detail)


def check_file(ck, ofq, samtools, fname, entry, rng, nregions, work, compressed):
    label = fname + (".gz (BGZF)" if compressed else "")
    records = entry["records"]
    src = os.path.join(work, "gen", "regular", fname)
    a_dir = os.path.join(work, ("bgzf-" if compressed else "") + "samtools")
    b_dir = os.path.join(work, ("bgzf-" if compressed else "") + "ofq")
    os.makedirs(a_dir, exist_ok=True)
    os.makedirs(b_dir, exist_ok=True)
    a_path = os.path.join(a_dir, fname)
    b_path = os.path.join(b_dir, fname)
    if compressed:
        a_path += ".gz"
        b_path += ".gz"
        with open(a_path, "wb") as f:
            subprocess.run(["bgzip", "-c", src], stdout=f, check=True)
        # bgzip -i on the ofq side too: same bytes; its .gzi is removed so ofq must write its own
        gzi_copy = os.path.join(b_dir, fname + ".bgzip.gzi")
        subprocess.run(["bgzip", "-i", "-I", gzi_copy, "-c", src], stdout=open(b_path, "wb"),
                       check=True)
        ck.check(open(a_path, "rb").read() == open(b_path, "rb").read(), "bgzip-deterministic",
                 f"{label}: two bgzip runs differ")
    else:
        shutil.copyfile(src, a_path)
        shutil.copyfile(src, b_path)

    sa = run([samtools, "faidx", a_path])
    if not ck.check(sa.returncode == 0, "samtools-accepts", f"{label}: {short(sa.stderr)}"):
        return
    ob = run([ofq, "index", b_path])
    if ob.returncode != 0:
        err = ob.stderr.decode("utf-8", "replace")
        if compressed and any(w in err.lower() for w in ("unsupported", "not supported",
                                                         "not yet supported")):
            ck.xfail("bgzf-unsupported", f"{label}: ofq index says: {err.strip()[:200]}")
            return
        ck.check(False, "ofq-index", f"{label}: exit {ob.returncode}: {short(err)}")
        return
    ck.check(True, "ofq-index")
    fa, fb = a_path + ".fai", b_path + ".fai"
    if ck.check(os.path.exists(fb), "fai-written", f"{label}: ofq wrote no .fai"):
        ck.check(open(fa, "rb").read() == open(fb, "rb").read(), "fai-bytes",
                 f"{label}: .fai differs: {first_diff(open(fb, 'rb').read(), open(fa, 'rb').read())}")
    if compressed:
        ga, gb = a_path + ".gzi", b_path + ".gzi"
        if ck.check(os.path.exists(gb), "gzi-written", f"{label}: ofq wrote no .gzi"):
            ck.check(open(ga, "rb").read() == open(gb, "rb").read(), "gzi-bytes",
                     f"{label}: .gzi differs from samtools' ({os.path.getsize(gb)} vs "
                     f"{os.path.getsize(ga)} B)")
            ck.check(open(ga, "rb").read() == open(gzi_copy, "rb").read(), "gzi-bgzip-i",
                     f"{label}: samtools' .gzi differs from bgzip -i's (test setup)")

    regions = random_regions(rng, records, nregions)
    by_name = {r["name"]: r for r in records}
    regfile = os.path.join(work, fname + ".regions.txt")
    with open(regfile, "w") as f:
        for n, s, e in regions:
            f.write(f"{n}:{s + 1}-{e}\n")
    posfile = os.path.join(work, fname + ".positions.csv")

    # samtools' answer, both strands, and the truth agree (checks the test itself)
    s_fwd = samtools_seqs(run([samtools, "faidx", a_path, "-r", regfile]).stdout)
    s_rev = samtools_seqs(run([samtools, "faidx", "-i", a_path, "-r", regfile]).stdout)
    truth_fwd = [expected(by_name[n]["seq"], s, e, "raw", "dna") for n, s, e in regions]
    truth_rev = [expected(by_name[n]["seq"], s, e, "reverse_complement", "dna") for n, s, e in regions]
    ck.check(s_fwd == truth_fwd and s_rev == truth_rev, "samtools-equals-truth",
             f"{label}: samtools disagrees with the generator's truth (test setup)")

    for typ, want in (("raw", s_fwd), ("reverse_complement", s_rev)):
        with open(posfile, "w") as f:
            for n, s, e in regions:
                f.write(f"{n},{s},{e},{typ}\n")
        p = run([ofq, "extract", b_path, posfile, "--format", "tsv"])
        got = [ln.split("\t")[4] if ln.count("\t") >= 4 else None
               for ln in p.stdout.decode("ascii", "replace").split("\n")[1:-1]]
        if not ck.check(p.returncode == 0 and len(got) == len(want), "extract-vs-samtools",
                        f"{label} {typ}: exit {p.returncode}, {len(got)} rows for {len(want)} "
                        f"{short(p.stderr)}"):
            continue
        bad = [i for i in range(len(want)) if got[i] != want[i]]
        ck.passed += len(want) - len(bad)
        for i in bad:
            n, s, e = regions[i]
            ck.check(False, "extract-vs-samtools",
                     f"{label} {typ} {n}:{s}-{e}: ofq {short(got[i] or '', 80)!r} samtools "
                     f"{short(want[i], 80)!r}")

    # samtools regions through ofq extract -r (1-based inclusive in, 0-based out)
    some = regions[:: max(1, len(regions) // 20)]
    cmd = [ofq, "extract", b_path, "--format", "tsv"]
    for n, s, e in some:
        cmd += ["-r", f"{n}:{s + 1}-{e}"]
    p = run(cmd)
    want_tsv = "id\tstart\tend\ttype\tsequence\n" + "".join(
        f"{n}\t{s}\t{e}\traw\t{by_name[n]['seq'][s:e]}\n" for n, s, e in some)
    ck.check(p.returncode == 0 and p.stdout == want_tsv.encode(), "extract-r-regions",
             f"{label}: exit {p.returncode} {short(p.stderr)} {first_diff(p.stdout, want_tsv.encode())}")

    # ofq faidx: byte-identical to samtools faidx
    names = [r["name"] for r in records]
    nonempty = [r for r in records if r["seq"]]
    few = []
    for r in rng.sample(nonempty, min(6, len(nonempty))):
        L = len(r["seq"])
        s = rng.randint(1, L)
        few += [r["name"], f"{r['name']}:{s}-{rng.randint(s, L)}", f"{r['name']}:{s}",
                f"{r['name']}:{s}-{L + 25}"]
    args_list = [
        [],                                   # the whole file
        few,                                  # regions as arguments
        ["-r", regfile],
        ["-i", "-r", regfile],
        ["-n", "50", "-r", regfile],
        ["-n", "7", "-i"] + few,
        ["-n", "100000"] + few,
        ["-n", "0"] + few,                    # samtools warns and wraps at 60
        ["-n", "-4", "-i"] + few,
        ["--mark-strand", "sign", "-i"] + few,
        ["--mark-strand", "sign"] + few,
        ["--mark-strand", "no", "-i"] + few,
        ["--mark-strand", "custom,_fw,_rv", "-i"] + few,
        ["--mark-strand", "custom,_fw,_rv"] + few,
        ["-c", few[0], "no_such_seq", few[1]],
        ["-c", "-i", "no_such_seq:1-10", few[0]],
        [names[0], names[-1], names[0]],      # duplicates kept, in order
    ]
    # htslib's region forms: signs, commas, fractions, exponents, k/m/g suffixes, "x:-N",
    # "x:", "x:0", and the ones it refuses (exit 1) or answers with no bases (exit 0).
    longest = max(nonempty, key=lambda r: len(r["seq"]))["name"]
    forms = ["-5", "", "0", "-0", "+0", "+5", "5-", "5-0", "-", "0-5", "5-3", "5-5", "+5-+8", "5-+8",
             " 5-8", "5- 8", "5 -8", "5-8 ", " ", "5-8x", "1,0-2,0", ",5-8", "5-8,", "5,-8", "-5-8", "--5",
             "5--8", "+-5", "+", "k", "5-k", "1k5", "0x10-0x20", "1e", "1e1", "1e1-2e1", "1E1-21", "1.5e1-2e1",
             "1e-3k", ".5e1-1e1", "5.-8", "1.9-2.9", "99999999-", "1m-", "1g-", "-1e1", "5-99999999999"]
    if len(nonempty) and max(len(r["seq"]) for r in nonempty) >= 3000:
        forms += ["1k-2k", "1.5k-2k", "1K-1.001K", "0.5k-1k", "1.2345k-1235", "-1.5k", ".5k-1k"]
    for f in forms:
        args_list.append([f"{longest}:{f}"])
    args_list.append(["-c"] + [f"{longest}:{f}" for f in forms])
    for r in [r for r in records if not r["seq"]][:2]:  # samtools leaves these out of .fai
        args_list.append(["-c", r["name"], few[0]])
        args_list.append([r["name"]])
        args_list.append([r["name"], few[0]])
    compare_faidx(ck, ofq, samtools, a_path, b_path, label, args_list, regfile)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ofq")
    ap.add_argument("--samtools", default=shutil.which("samtools") or "samtools")
    ap.add_argument("--regions", type=int, default=2000, help="random regions per file")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-bgzf", action="store_true")
    args = ap.parse_args()
    ofq = os.path.abspath(args.ofq)
    ck = Checker("differential")
    work = tmpdir("ofq-differential-")
    truth = make_fixtures(os.path.join(work, "gen"), args.seed)
    rng = random.Random(truth["seed"] + 2)
    try:
        for compressed in ((False,) if args.no_bgzf else (False, True)):
            for fname, entry in sorted(truth["regular"].items()):
                check_file(ck, ofq, args.samtools, fname, entry, rng, args.regions, work, compressed)
    finally:
        if args.keep:
            ck.note(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
