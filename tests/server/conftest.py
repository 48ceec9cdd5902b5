"""Fixtures of the loopback tests: an `ofq serve` started on a free port, per test."""
import os
import re
import shutil
import subprocess
import time

import pytest
import requests

OFQ = os.environ.get("OFQ_BINARY", "")
DATA = os.environ.get("OFQ_DATA_DIR", "")


class Server:
    """One `ofq serve` process; stopped (SIGTERM, then waited for) by the fixture."""

    def __init__(self, catalog, index_dir, *extra, wait_ready=True):
        self.catalog = catalog
        self.proc = subprocess.Popen(
            [OFQ, "serve", catalog, "--listen", "127.0.0.1:0", "--index-dir", index_dir, *extra],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.log = []
        deadline = time.time() + 30
        self.port = None
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.log.append(line)
            m = re.search(r"listening on http://[^:]+:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.wait(5)
            raise RuntimeError("ofq serve did not start: " + "".join(self.log) + self.proc.stderr.read())
        self.url = "http://127.0.0.1:%d/" % self.port
        # Keep draining stderr so that the server never blocks on a full pipe.
        import threading
        threading.Thread(target=self._drain, daemon=True).start()
        assert requests.get(self.url + "healthz", timeout=5).status_code == 200
        if wait_ready:
            self.wait_ready()

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line)

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            states = [s["index"] for s in requests.get(self.url + "v1/samples").json()["samples"]]
            if "building" not in states:
                return
            time.sleep(0.05)
        raise RuntimeError("samples still indexing after %ds" % timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


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
