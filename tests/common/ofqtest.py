"""Shared helpers of the CLI-level tests (tests/messy, tests/differential, tests/real).

Stdlib only. The expected answers are computed here, independently of ofq, from
SEMANTICS.md: the complement table, case kept, gaps kept, RNA stays RNA, clamping.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
ROOT = os.path.dirname(TESTS)
PY = "/usr/bin/python3"

# SEMANTICS.md "Complement" table; U complements to A; gaps and stops stay.
_COMP = dict(zip("ACGTURYSWKMBDHVN", "TGCAAYRSWMKVHDBN"))
TABLE = set(_COMP)


def classify(seq):
    up = seq.upper()
    if any(c not in TABLE and c not in "-.*" for c in up):
        return "protein"
    return "rna" if ("U" in up and "T" not in up) else "dna"


def first_outside_table(seq):
    for i, c in enumerate(seq):
        if c.upper() not in TABLE and c not in "-.*":
            return i, c
    return None


def complement(seq, alphabet):
    out = []
    for c in seq:
        u = c.upper()
        if u in _COMP:
            d = _COMP[u]
            if alphabet == "rna" and d == "T":
                d = "U"
            out.append(d if c.isupper() else d.lower())
        elif c in "-.*":
            out.append(c)
        else:
            raise ValueError(f"no complement for {c!r}")
    return "".join(out)


def expected(seq, start, end, typ, alphabet):
    """The bases ofq must give for [start, end) of seq: end clamped to the length."""
    s = seq[start:min(end, len(seq))] if start < len(seq) else ""
    if typ in ("raw", None, ""):
        return s
    c = complement(s, alphabet)
    return c if typ == "complement" else c[::-1]


class Checker:
    """Counts checks; prints failures (the first `show` in full per label) and a summary."""

    def __init__(self, name, show=5):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.xfailed = 0
        self.show = show
        self._shown = {}

    def check(self, ok, label, detail=""):
        if ok:
            self.passed += 1
            return True
        self.failed += 1
        n = self._shown.get(label, 0)
        if n < self.show:
            print(f"FAIL [{label}] {detail}", flush=True)
        elif n == self.show:
            print(f"FAIL [{label}] ... (more failures of this kind not shown)", flush=True)
        self._shown[label] = n + 1
        return False

    def xfail(self, label, detail=""):
        self.xfailed += 1
        print(f"XFAIL [{label}] {detail}", flush=True)

    def note(self, text):
        print(text, flush=True)

    def finish(self):
        extra = f" ({self.xfailed} expected to fail)" if self.xfailed else ""
        print(f"{self.name}: {self.passed} passed, {self.failed} failed{extra}")
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def run(cmd, timeout=300, stdin=None, cwd=None, env=None):
    """Run cmd (a list); returns CompletedProcess with bytes stdout/stderr."""
    try:
        return subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, cwd=cwd, env=env)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, 124, e.stdout or b"", b"timeout after %ds" % timeout)


def short(b, n=400):
    t = b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b)
    return t if len(t) <= n else t[:n] + f"... ({len(t)} chars)"


def make_fixtures(out_dir, seed=None):
    cmd = [PY, os.path.join(TESTS, "data", "make_fixtures.py"), "--out", out_dir]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    subprocess.run(cmd, check=True)
    with open(os.path.join(out_dir, "truth.json")) as f:
        return json.load(f)


def csv_field(s):
    s = str(s)
    if any(c in s for c in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_bytes(rows, header=("id", "start", "end", "type", "sequence")):
    lines = [",".join(header)] + [",".join(csv_field(x) for x in r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def tsv_bytes(rows, header=("id", "start", "end", "type", "sequence")):
    lines = ["\t".join(header)] + ["\t".join(str(x) for x in r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def fasta_records(data):
    """Parse FASTA bytes into [(header_line, sequence_joined)] (exact header text)."""
    out = []
    for line in data.decode("ascii", "replace").split("\n"):
        if line.startswith(">"):
            out.append([line[1:], ""])
        elif line and out:
            out[-1][1] += line
    return [tuple(x) for x in out]


def first_diff(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            break
    else:
        i = n
    line = a[:i].count(b"\n") + 1
    return f"first difference at byte {i} (line {line}): got {short(a[max(0, i - 40):i + 60], 200)!r} want {short(b[max(0, i - 40):i + 60], 200)!r}"


def word_in(text, word):
    return re.search(r"(?<![0-9A-Za-z_])" + re.escape(str(word)) + r"(?![0-9A-Za-z_])", text) is not None


def tmpdir(prefix):
    return tempfile.mkdtemp(prefix=prefix)
