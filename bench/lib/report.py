#!/usr/bin/env python3
"""Turn one bench_engine.sh run directory into the Markdown report (on stdout).

usage: report.py RUN_DIR FAILED

Reads RUN_DIR/manifest.tsv (one timed case a row, with its hyperfine JSON), memory.tsv
(memprobe.py peaks) and env.txt. Times are hyperfine medians over the runs, whole processes;
a ratio "x faster" is the peer's median time over ofq's on the same answer.
"""
import csv
import json
import os
import sys
from datetime import datetime, timezone


def load(run):
    rows = []
    with open(os.path.join(run, "manifest.tsv")) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            r["median"] = r["sd"] = r["min"] = None
            if r["json"] != "-" and os.path.exists(r["json"]):
                with open(r["json"]) as j:
                    res = json.load(j)["results"][0]
                r["median"], r["sd"], r["min"] = res["median"], res.get("stddev") or 0.0, res["min"]
                r["cpu"] = res.get("user", 0.0) + res.get("system", 0.0)  # mean CPU s, a load-robust proxy
                r["runs"] = len(res["times"])
            if r["median"] and int(r.get("busy") or 0) >= 15:  # other processes used the CPUs (bench_engine.sh wait_idle)
                r["tool"] += " †"
                r["busy_flag"] = True
            rows.append(r)
    return rows


def get(rows, section, case, tool):
    for r in rows:
        if r["section"] == section and r["case"] == case and r["tool"].rstrip(" †") == tool and r["median"]:
            return r
    return None


def fmt_s(t):
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def fmt_rate(x):
    return f"{x:,.0f}"


def ratio(a, b):
    """How many times faster b is than a (a's time over b's)."""
    return a["median"] / b["median"] if a and b and a["median"] and b["median"] else None


def fmt_x(x):
    return "-" if x is None else f"{x:.2f}x"


def main():
    run, failed = sys.argv[1], sys.argv[2] != "0"
    rows = load(run)
    env = open(os.path.join(run, "env.txt")).read().strip().splitlines()
    mem = list(csv.DictReader(open(os.path.join(run, "memory.tsv")), delimiter="\t")) \
        if os.path.exists(os.path.join(run, "memory.tsv")) else []
    bad = [r for r in rows if r["status"] != "agrees"]
    out = []
    p = out.append
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    p(f"# ofq engine benchmark, {date}")
    p("")
    p("Made by `bench/bench_engine.sh` (run directory `" + os.path.relpath(run, os.path.dirname(os.path.dirname(run))) +
      "` under the work directory). Whole processes, warm page cache, hyperfine medians.")
    p("")
    if failed or bad:
        p("**OUTPUTS DISAGREE OR A TOOL FAILED; those cases were not timed:**")
        p("")
        for r in bad:
            p(f"- {r['section']} {r['case']}: {r['tool']}: {r['status']} (`{r['command'].strip()}`)")
        if failed and not bad:
            p("- a check failed outside the timed cases (see the script's stderr)")
    else:
        p("Every timed answer agreed with samtools' before it was timed (sequences in order; "
          "`ofq faidx` and the `.fai` byte for byte).")
    p("")
    if any(r.get("busy_flag") for r in rows):
        p("† timed while other processes used 15% or more of the CPUs (after waiting up to "
          "IDLE_MAX seconds for the machine to go quiet): those numbers are noisy.")
        p("")
    p("## Machine and inputs")
    p("")
    p("```")
    out.extend(env)
    p("```")
    p("")

    targets = []  # (target, measured, met)

    # ------------------------------------------------------------ batch extraction
    cases = []
    for r in rows:
        if r["section"] == "extract" and r["case"] not in cases:
            cases.append(r["case"])
    if cases:
        p("## Batch extraction")
        p("")
        p("Random positions from `make_queries.py` (log-normal lengths, median 300, 20..5000), "
          "same seed, so `raw-N`, `rc-N` and `mixed-N` name the same regions: raw only, "
          "reverse complement only (samtools `-i`, bedtools `-s`, seqkit `end-start` regions, "
          "BED strand `-`), and the default mix (60% raw, 20% complement, 20% reverse complement). "
          "Only ofq and pyfaidx do complement, so in the mixed tables the other peers are their "
          "raw runs of the same regions (less work than the mix), marked *(raw)*. Every tool writes FASTA.")
        p("")
        for case in cases:
            kind, n = case.rsplit("-", 1)
            n = int(n)
            p(f"### {case}: {n:,} positions")
            p("")
            p("| tool | median | sd | regions/s | vs samtools | ofq is faster by | CPU (user+sys) | ofq uses less CPU by |")
            p("|---|---:|---:|---:|---:|---:|---:|---:|")
            ofq = get(rows, "extract", case, "ofq")
            base = get(rows, "extract", f"raw-{n}" if kind == "mixed" else case, "samtools")
            entries = [r for r in rows if r["section"] == "extract" and r["case"] == case]
            if kind == "mixed":
                entries += [dict(r, tool=r["tool"] + " *(raw)*") for r in rows
                            if r["section"] == "extract" and r["case"] == f"raw-{n}"
                            and not r["tool"].startswith(("ofq", "pyfaidx"))]
            for r in entries:
                if not r["median"]:
                    p(f"| {r['tool']} | {r['status']} | | | | | | |")
                    continue
                p(f"| {r['tool']} | {fmt_s(r['median'])} | {fmt_s(r['sd'])} | {fmt_rate(n / r['median'])} | "
                  f"{fmt_x(ratio(base, r))} | {'' if r['tool'].startswith('ofq') else fmt_x(ratio(r, ofq))} | "
                  f"{fmt_s(r['cpu'])} | {'' if r['tool'].startswith('ofq') or not ofq or not ofq['cpu'] else fmt_x(r['cpu'] / ofq['cpu'])} |")
            p("")
            if n == max(int(c.rsplit('-', 1)[1]) for c in cases) and kind == "mixed":
                x = ratio(base, ofq)
                cx = base["cpu"] / ofq["cpu"] if base and ofq and ofq["cpu"] else None
                targets.append((f"batch, {n:,} mixed positions: >= 5x the regions/s of `samtools faidx -r`",
                                fmt_x(x) + (f" (CPU time: {cx:.2f}x less)" if cx else ""), None if x is None else x >= 5))
                peers = [r for r in entries if not r["tool"].startswith("ofq") and r["median"]]
                slowest_margin = min((ratio(r, ofq) for r in peers), default=None) if ofq else None
                targets.append((f"batch, {n:,} mixed positions: ahead of every other peer",
                                f"closest peer {fmt_x(slowest_margin)} slower" if slowest_margin else "-",
                                None if slowest_margin is None else slowest_margin > 1))

    # ------------------------------------------------------------ long regions
    longs = [r for r in rows if r["section"] == "long"]
    if longs:
        nrec = open(os.path.join(run, "long-records")).read().strip() if os.path.exists(
            os.path.join(run, "long-records")) else "?"
        bases = int(longs[0]["amount"])
        p("## Long regions")
        p("")
        p(f"Every record of 50 kb and more, whole: {nrec} records, {bases / 1e6:.1f} Mbases.")
        p("")
        p("| tool | type | median | sd | Mbases/s |")
        p("|---|---|---:|---:|---:|")
        for r in longs:
            if r["median"]:
                p(f"| {r['tool']} | {r['case']} | {fmt_s(r['median'])} | {fmt_s(r['sd'])} | {bases / 1e6 / r['median']:.0f} |")
            else:
                p(f"| {r['tool']} | {r['case']} | {r['status']} | | |")
        p("")
        for tool in ("ofq", "samtools"):
            raw, rc = get(rows, "long", "raw", tool), get(rows, "long", "rc", tool)
            if raw and rc:
                p(f"- {tool}: reverse complement runs at {raw['median'] / rc['median']:.2f} of raw speed.")
        raw, rc = get(rows, "long", "raw", "ofq"), get(rows, "long", "rc", "ofq")
        if raw and rc:
            x = raw["median"] / rc["median"]
            targets.append(("long regions: reverse complement >= 0.5 of raw speed", f"{x:.2f}", x >= 0.5))
        p("")

    # ------------------------------------------------------------ index
    idx = [r for r in rows if r["section"] == "index"]
    if idx:
        p("## Index build")
        p("")
        p("Each run builds from scratch (hyperfine `--prepare` removes the index files). "
          "`cat > /dev/null` and `wc -l` read the same warm file: the ceilings.")
        p("")
        p("| file | tool | median | sd | MB/s | vs samtools | time / `wc -l` |")
        p("|---|---|---:|---:|---:|---:|---:|")
        for name in dict.fromkeys(r["case"] for r in idx):
            st, wc = get(rows, "index", name, "samtools"), get(rows, "index", name, "wc -l")
            for r in (r for r in idx if r["case"] == name):
                if not r["median"]:
                    p(f"| {name} | {r['tool']} | {r['status']} | | | | |")
                    continue
                mbs = int(r["amount"]) / 1e6 / r["median"]
                per_wc = f"{r['median'] / wc['median']:.1f}" if wc else "-"
                p(f"| {name} | {r['tool']} | {fmt_s(r['median'])} | {fmt_s(r['sd'])} | {mbs:,.0f} | "
                  f"{fmt_x(ratio(st, r))} | {per_wc} |")
            ofq = get(rows, "index", name, "ofq")
            if ofq and st:
                x = ratio(st, ofq)
                targets.append((f"index build, {name}: >= 5x samtools' speed", fmt_x(x) +
                                (f" (ofq takes {ofq['median'] / wc['median']:.1f}x `wc -l`)" if wc else ""), x >= 5))
        p("")

    # ------------------------------------------------------------ lookup
    look = [r for r in rows if r["section"] == "lookup"]
    if look:
        p("## One region, whole process")
        p("")
        p("The first 200 bases of the record in the middle of the `.fai`; `hyperfine -N` "
          "(no shell), 3 warm-up runs. ofq's index is built beforehand (untimed), like samtools' `.fai`.")
        p("")
        p("| file | tool | median | sd | min | samtools / tool |")
        p("|---|---|---:|---:|---:|---:|")
        for name in dict.fromkeys(r["case"] for r in look):
            st = get(rows, "lookup", name, "samtools")
            for r in (r for r in look if r["case"] == name):
                if not r["median"]:
                    p(f"| {name} | {r['tool']} | {r['status']} | | | |")
                    continue
                p(f"| {name} | {r['tool']} | {fmt_s(r['median'])} | {fmt_s(r['sd'])} | {fmt_s(r['min'])} | "
                  f"{fmt_x(ratio(st, r))} |")
            ofq = get(rows, "lookup", name, "ofq faidx")
            if ofq and st:
                if name.startswith("catalog"):
                    targets.append((f"one region, {name}: < 10 ms", fmt_s(ofq["median"]), ofq["median"] < 0.010))
                else:
                    x = ratio(st, ofq)
                    targets.append((f"one region, {name}: >= 10x faster than samtools", fmt_x(x), x >= 10))
        p("")

    # ------------------------------------------------------------ memory
    if mem:
        p("## Memory")
        p("")
        p("Method: `bench/lib/memprobe.py` execs the command (no shell) and polls "
          "`/proc/PID/status` every 200 us from spawn to exit, keeping the largest `RssAnon` "
          "(anonymous memory: heap, stacks, private copies: what the process holds) and the "
          "largest `RssFile` (mapped files: page cache shared with everyone, which is why RSS "
          "alone misleads for a tool that maps a 1 GB FASTA). `max RSS` is the exact peak from "
          "`wait4()` (what `/usr/bin/time -v` prints), a cross-check only: Linux carries the "
          "forking Python's RSS (~11 MiB) into a child's `ru_maxrss` across `exec`, so it has that "
          "floor. The largest of three runs "
          "is kept: a sampled peak can only under-read.")
        p("")
        p("| case | tool | positions | peak anon | peak file-backed | max RSS | samples |")
        p("|---|---|---:|---:|---:|---:|---:|")
        for m in mem:
            p(f"| {m['case']} | {m['tool']} | {int(m['positions']):,} | {int(m['peak_anon_kb']) / 1024:.1f} MiB | "
              f"{int(m['peak_file_kb']) / 1024:.1f} MiB | {int(m['max_rss_kb']) / 1024:.1f} MiB | {m['samples']} |")
        p("")

        def peak(case, tool):
            for m in mem:
                if m["case"] == case and m["tool"] == tool:
                    return int(m["peak_anon_kb"]) * 1024, int(m["positions"])
            return None
        ext = sorted({(int(m["positions"]), m["case"]) for m in mem if m["case"].startswith("extract") and m["tool"] == "ofq"})
        if len(ext) >= 2:
            (n1, c1), (n2, c2) = ext[0], ext[-1]
            a1, a2 = peak(c1, "ofq")[0], peak(c2, "ofq")[0]
            per = (a2 - a1) / (n2 - n1)
            p(f"- ofq holds {per:.0f} bytes of anonymous memory per extra position "
              f"({n1:,} -> {n2:,} positions: {a1 / 2**20:.1f} -> {a2 / 2**20:.1f} MiB).")
            targets.append(("memory: a few dozen bytes per position held", f"{per:.0f} B/position", per <= 100))
        lr = peak("long rc (whole records >= 50 kb)", "ofq")
        if lr:
            nbig = ext[-1] if ext else None
            p(f"- ofq on the long records: {lr[0] / 2**20:.1f} MiB anonymous for an answer of "
              f"{int(longs[0]['amount']) / 1e6:.0f} Mbases." if longs else "")
        one = [(m["case"], int(m["peak_anon_kb"])) for m in mem if m["case"].startswith("one region") and m["tool"] == "ofq"]
        for case, kb in one:
            p(f"- ofq, {case}: {kb / 1024:.1f} MiB anonymous.")
        p("")

    # ------------------------------------------------------------ targets
    if targets:
        p("## Targets (issue #2)")
        p("")
        p("| target | measured | met |")
        p("|---|---|---|")
        for t, m, ok in targets:
            p(f"| {t} | {m} | {'not measured' if ok is None else 'yes' if ok else '**no**'} |")
        p("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
