"""Fixtures of the production tests: a small catalog (a plain multi-record FASTA and a gzip
one), `ofq serve` processes that can be killed and restarted on the same job store, and
`ofq extract` as the reference for every answer."""
import os
import random
import shutil
import subprocess
import sys
import time

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from serve_process import ServeProcess  # noqa: E402

OFQ = os.environ.get("OFQ_BINARY", "")
DATA = os.environ.get("OFQ_DATA_DIR", "")
VIBRIO = "real/vibrio_cholerae_H1_contigs.fa"
TARA = "published/assemblies/TARA_A100000171.scaftig.gz"


class Server(ServeProcess):
    """One `ofq serve`; stderr is collected line by line (startup lines, access log)."""

    def __init__(self, catalog, index_dir, *extra):
        super().__init__(OFQ, catalog, index_dir, *extra)

    def wait_ready(self, headers=None, timeout=60):
        # /healthz: needs no token, is never rate limited, and its answer is small.
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = requests.get(self.url + "healthz")
            if r.status_code == 200 and r.json()["building"] == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("samples still indexing after %ds" % timeout)

    def access_lines(self):
        import json
        out = []
        for line in list(self.log):
            if line.startswith("{"):
                out.append(json.loads(line))
        return out


@pytest.fixture(scope="session")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalog")
    (root / "real").mkdir()
    (root / "published" / "assemblies").mkdir(parents=True)
    shutil.copy(os.path.join(DATA, VIBRIO), root / VIBRIO)
    shutil.copy(os.path.join(DATA, TARA), root / TARA)
    (root / "catalog.tsv").write_text("sample_id\tpath\tannotation\n"
                                      "VIBRIO\t%s\t\nTARA_A100000171\t%s\t\n" % (VIBRIO, TARA))
    return root


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("indexes")


@pytest.fixture(scope="session")
def records(catalog):
    """(name, length) of every VIBRIO record, from the file itself."""
    out, name, n = [], None, 0
    with open(catalog / VIBRIO) as f:
        for line in f:
            if line.startswith(">"):
                if name is not None:
                    out.append((name, n))
                name, n = line[1:].split()[0], 0
            else:
                n += len(line.strip())
    out.append((name, n))
    return out


def random_positions(records, n, seed=1, width=100):
    rng = random.Random(seed)
    types = ["raw", "complement", "reverse_complement"]
    out = []
    for _ in range(n):
        name, length = records[rng.randrange(len(records))]
        start = rng.randrange(max(1, length - width))
        out.append([name, start, start + rng.randrange(1, width + 1), types[rng.randrange(3)]])
    return out


@pytest.fixture
def positions(records):
    return lambda n, seed=1, width=100: random_positions(records, n, seed, width)


@pytest.fixture
def extract(catalog, index_dir, tmp_path):
    """`ofq extract` of the VIBRIO sample: the reference answer."""
    def run(pos, fmt="csv"):
        p = tmp_path / ("pos_%d.tsv" % random.randrange(1 << 30))
        with open(p, "w") as f:
            f.write("id\tstart\tend\ttype\n")
            for q in pos:
                f.write("%s\t%d\t%d\t%s\n" % tuple(q))
        out = subprocess.run([OFQ, "extract", str(catalog / VIBRIO), str(p), "-f", fmt, "-q",
                              "--index-dir", str(index_dir)], capture_output=True, check=True)
        return out.stdout
    return run


@pytest.fixture
def start_server(catalog, index_dir):
    started = []

    def start(*extra, ready=True, headers=None):
        s = Server(catalog, index_dir, *extra)
        started.append(s)
        if ready:
            s.wait_ready(headers)
        return s

    yield start
    for s in started:
        if s.proc.poll() is None:
            rc = s.stop()
            assert rc == 0, "ofq serve exited with %s:\n%s" % (rc, "".join(s.log[-30:]))


@pytest.fixture(scope="session")
def long_id(records):
    """The longest VIBRIO record (over 20 kb)."""
    return max(records, key=lambda r: r[1])[0]
