"""Fixtures of the loopback tests: an `ofq serve` started on a free port, per test."""
import os
import shutil
import sys
import time

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from serve_process import ServeProcess  # noqa: E402

OFQ = os.environ.get("OFQ_BINARY", "")
DATA = os.environ.get("OFQ_DATA_DIR", "")


class Server(ServeProcess):
    """One `ofq serve` process; stopped (SIGTERM, then waited for) by the fixture."""

    def __init__(self, catalog, index_dir, *extra, wait_ready=True):
        super().__init__(OFQ, catalog, index_dir, *extra)
        self.catalog = catalog
        assert requests.get(self.url + "healthz", timeout=5).status_code == 200
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            states = [s["index"] for s in requests.get(self.url + "v1/samples").json()["samples"]]
            if "building" not in states:
                return
            time.sleep(0.05)
        raise RuntimeError("samples still indexing after %ds" % timeout)

    def stop(self):
        return super().stop(timeout=15)


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory):
    # One index folder for the session: the read-only catalog is indexed once.
    return str(tmp_path_factory.mktemp("indexes"))


@pytest.fixture
def start_server(index_dir):
    started = []

    def start(catalog=DATA, *extra, wait_ready=True, own_index_dir=None):
        s = Server(catalog, own_index_dir or index_dir, *extra, wait_ready=wait_ready)
        started.append(s)
        return s

    yield start
    for s in started:
        rc = s.stop()
        assert rc == 0, "ofq serve exited with %s:\n%s" % (rc, "".join(s.log))


@pytest.fixture
def server(start_server):
    return start_server()


@pytest.fixture
def writable_catalog(tmp_path):
    """A copy of the published samples, for tests that change files or add symlinks."""
    root = tmp_path / "catalog"
    (root / "published" / "assemblies").mkdir(parents=True)
    for name in ["TARA_A100000171.scaftig.gz", "TARA_R110002003.scaftig.gz",
                 "TARA_R110002003.genes.gff3"]:
        shutil.copy(os.path.join(DATA, "published", "assemblies", name),
                    root / "published" / "assemblies" / name)
    (root / "catalog.tsv").write_text(
        "sample_id\tpath\tannotation\n"
        "TARA_A100000171\tpublished/assemblies/TARA_A100000171.scaftig.gz\t\n"
        "TARA_R110002003\tpublished/assemblies/TARA_R110002003.scaftig.gz\t"
        "published/assemblies/TARA_R110002003.genes.gff3\n")
    return root
