"""Fixtures: a real ``ofq serve`` on a free loopback port, over a copy of the catalog.

- ``OFQ_BINARY``: the ofq binary (default ``<repo>/build/ofq``).
- ``OFQ_CATALOG``: the catalog folder (default ``<repo>/data``, else ``<repo>/../shared/data``),
  copied to a temporary folder so that the indexes the server writes stay out of it.
- ``OFQ_SERVE_ARGS``: extra arguments for ``ofq serve`` (split on spaces).

Without the binary the server tests are skipped, and the run says so loudly (header
and summary); the stub-only tests still run.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
if str(REPO / "python" / "src") not in sys.path:
    sys.path.insert(0, str(REPO / "python" / "src"))

BINARY = Path(os.environ.get("OFQ_BINARY") or REPO / "build" / "ofq")


def _catalog():
    if os.environ.get("OFQ_CATALOG"):
        return Path(os.environ["OFQ_CATALOG"])
    if (REPO / "data" / "catalog.tsv").exists():
        return REPO / "data"
    return (REPO.parent / "shared" / "data").resolve()


CATALOG = _catalog()
PUBLISHED = CATALOG / "published"
HAVE_BINARY = BINARY.is_file() and os.access(BINARY, os.X_OK)
NO_BINARY = (f"NO OFQ SERVER BINARY at {BINARY} (set OFQ_BINARY): every test against a real "
             "`ofq serve` is SKIPPED")


def pytest_report_header(config):
    if HAVE_BINARY:
        return [f"ofq binary: {BINARY}", f"catalog: {CATALOG}"]
    return ["!" * 78, NO_BINARY, "!" * 78]


def pytest_terminal_summary(terminalreporter):
    if not HAVE_BINARY:
        terminalreporter.write_sep("!", NO_BINARY, red=True, bold=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One ``ofq serve`` process."""

    def __init__(self, root, extra=(), log=None):
        self.root = Path(root)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = Path(log or (self.root.parent / f"ofq-serve-{self.port}.log"))
        args = [str(BINARY), "serve", str(self.root), "--listen", f"127.0.0.1:{self.port}"]
        args += list(extra) + os.environ.get("OFQ_SERVE_ARGS", "").split()
        self.args = args
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self._wait_ready()

    def log(self):
        return self.log_path.read_text(errors="replace")

    def _wait_ready(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"`{' '.join(self.args)}` exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if requests.get(self.url + "healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"`{' '.join(self.args)}` not ready after {seconds} s:\n{self.log()}")

    def kill(self):
        """SIGKILL, as a crash would."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def serve_has_option(option):
    """Whether this build's `ofq serve --help` lists ``option`` (e.g. --tokens)."""
    r = subprocess.run([str(BINARY), "serve", "--help"], capture_output=True, text=True, timeout=30)
    return option in r.stdout + r.stderr


@pytest.fixture(scope="session")
def catalog_copy(tmp_path_factory):
    if not HAVE_BINARY:
        pytest.skip(NO_BINARY)
    root = tmp_path_factory.mktemp("catalog") / "data"
    shutil.copytree(CATALOG, root, ignore=shutil.ignore_patterns("extra", "*.ofqi", "*.fai", "*.gzi"))
    return root


@pytest.fixture(scope="session")
def server(catalog_copy):
    s = Server(catalog_copy)
    yield s
    s.stop()


@pytest.fixture
def own_server(catalog_copy):
    """A server of the test's own, for tests that stop it or start it differently."""
    made = []

    def make(*extra):
        s = Server(catalog_copy, extra)
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()


@pytest.fixture
def client(server):
    from oceania import OceaniaClient
    with OceaniaClient(url=server.url, timeout=30) as c:
        yield c


@pytest.fixture
def env_url(server, monkeypatch):
    """The module-level functions pointed at the test server, as a notebook would be."""
    monkeypatch.setenv("OCEANIA_API_URL", server.url)
    monkeypatch.delenv("OCEANIA_API_TOKEN", raising=False)
    return server.url
