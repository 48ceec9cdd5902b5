"""Issue 5 on loopback: every test asserts the exact status and body."""
import gzip
import json
import re
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import OFQ


def post_job(s, sample, pos, fmt="csv", headers=None):
    r = requests.post(s.url + "v1/jobs", json={"sample_id": sample, "positions": pos, "format": fmt},
                      headers=headers or {})
    assert r.status_code == 202, r.text
    j = r.json()
    assert j == {"job_id": j["job_id"], "status_url": "/v1/jobs/" + j["job_id"],
                 "result_url": "/v1/jobs/" + j["job_id"] + "/result"}
    return j["job_id"]


def wait_job(s, job_id, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = requests.get(s.url + "v1/jobs/" + job_id).json()
        if st["status"] not in ("queued", "running"):
            return st
        time.sleep(0.05)
    raise AssertionError("job %s not finished after %ds" % (job_id, timeout))


# ---- durable jobs ----

def test_kill9_restart_finishes_every_job(start_server, tmp_path, positions, extract):
    db = tmp_path / "jobs.db"
    s = start_server("--jobs-db", db, "--job-threads", "1")
    batches = [positions(150000, seed=i) for i in range(6)]
    ids = [post_job(s, "VIBRIO", b) for b in batches]
    # Kill the server outright while jobs are queued or running.
    states = [requests.get(s.url + "v1/jobs/" + i).json()["status"] for i in ids]
    s.kill9()
    assert "queued" in states or "running" in states, states  # jobs really were in flight
    s2 = start_server("--jobs-db", db, "--job-threads", "2")
    assert any("re-queued after a restart" in l for l in s2.log), "".join(s2.log)
    for job_id, b in zip(ids, batches):
        st = wait_job(s2, job_id)
        assert st["status"] == "done", st
        assert st["done"] == st["total"] == len(b)
        r = requests.get(s2.url + "v1/jobs/" + job_id + "/result")
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert r.content == extract(b)


def test_bad_options_refused(catalog, index_dir):
    cases = [(["--max-connections", "0"], "--max-connections: must be a whole number of 1 or more, found '0'"),
             (["--max-answer-bytes", "0"], "--max-answer-bytes: must be a whole number of 1 or more, found '0'"),
             (["--job-threads", "x"], "--job-threads: must be a whole number of 1 or more, found 'x'"),
             (["--idle-timeout", "0"], "--idle-timeout: must be a whole number of 1 or more, found '0'"),
             (["--shutdown-grace", "nan"], "--shutdown-grace: must be a number of 0 or more, found 'nan'"),
             (["--rate-burst", "0.5"], "--rate-burst: must be a number of 1 or more, found '0.5'"),
             (["--rate", "0x10/s"], "--rate: --rate '0x10/s' must be N/s or N/min, e.g. 20/s")]
    for args, message in cases:
        p = subprocess.run([OFQ, "serve", str(catalog), "--listen", "127.0.0.1:0", "--index-dir", str(index_dir)] + args,
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 1, (args, p.stderr)
        assert p.stderr.splitlines()[0] == message, (args, p.stderr)


def test_a_job_store_serves_one_server(start_server, catalog, index_dir, tmp_path):
    db = tmp_path / "jobs.db"
    first = start_server("--jobs-db", db)
    second = subprocess.run([OFQ, "serve", str(catalog), "--listen", "127.0.0.1:0", "--index-dir", str(index_dir),
                             "--jobs-db", str(db)], capture_output=True, text=True, timeout=30)
    assert second.returncode == 3
    assert second.stderr.splitlines()[-1] == (
        "ofq serve: the job store %s is in use by another ofq serve (pid %d); each server needs its own --jobs-db"
        % (db, first.proc.pid))
    assert requests.get(first.url + "healthz").status_code == 200
    first.kill9()  # the lock goes with the process, however it ends
    start_server("--jobs-db", db)


def test_progress_visible_and_result_equals_cli(start_server, positions, extract):
    s = start_server("--job-threads", "1")
    pos = positions(200000, seed=7)
    t0 = time.time()
    job_id = post_job(s, "VIBRIO", pos, "fasta")
    accepted = time.time() - t0
    seen = set()
    while True:
        st = requests.get(s.url + "v1/jobs/" + job_id).json()
        seen.add((st["status"], st["done"] > 0 and st["done"] < st["total"]))
        if st["status"] in ("done", "failed"):
            break
        time.sleep(0.005)
    assert st["status"] == "done" and st["done"] == 200000 and st["total"] == 200000
    assert ("running", True) in seen, seen  # progress between 0 and total was visible
    r = requests.get(s.url + "v1/jobs/" + job_id + "/result")
    assert r.content == extract(pos, "fasta")
    assert accepted < 5, accepted


def test_result_not_done_is_409(start_server, positions):
    s = start_server("--job-threads", "1")
    ids = [post_job(s, "VIBRIO", positions(100000, seed=i)) for i in range(3)]
    r = requests.get(s.url + "v1/jobs/" + ids[-1] + "/result")
    assert r.status_code == 409
    assert r.json()["error"] == "not_done"
    for i in ids:
        wait_job(s, i)


def test_failed_job_lists_bad_rows(start_server):
    s = start_server()
    job_id = post_job(s, "VIBRIO", [["NODE_0", 0, 10], ["nope", 0, 5], ["NODE_0", 9, 2]])
    st = wait_job(s, job_id)
    assert st["status"] == "failed"
    err = st["error"]
    assert err["error"] == "bad_positions" and err["status"] == 422
    assert [(r["row"], r["id"]) for r in err["rows"]] == [(1, "nope"), (2, "NODE_0")]
    r = requests.get(s.url + "v1/jobs/" + job_id + "/result")
    assert r.status_code == 422 and r.json()["error"] == "bad_positions"


def test_results_expire(start_server, positions):
    s = start_server("--result-ttl", "1")
    job_id = post_job(s, "VIBRIO", positions(10))
    assert wait_job(s, job_id)["status"] == "done"
    assert requests.get(s.url + "v1/jobs/" + job_id + "/result").status_code == 200
    r = requests.post(s.url + "query/fasta-sequences/",
                      json={"storage_key": "real/vibrio_cholerae_H1_contigs.fa", "positions": positions(5)})
    key = r.json()["results_key"]
    assert requests.get(s.url + "query/result/" + key).status_code == 200
    time.sleep(1.5)
    assert requests.get(s.url + "v1/jobs/" + job_id).json()["status"] == "expired"
    r = requests.get(s.url + "v1/jobs/" + job_id + "/result")
    assert r.status_code == 410
    assert r.json() == {"error": "expired",
                        "message": "the result of job %s has expired; submit the job again" % job_id}
    r = requests.get(s.url + "query/result/" + key)
    assert r.status_code == 410
    assert r.json() == {"error": "expired", "message": "result %s has expired; send the query again" % key}


def test_original_large_query_becomes_a_job(start_server, positions, extract):
    s = start_server("--job-threads", "1")
    pos = positions(30000, seed=3)  # over the 20,000 answered inline
    r = requests.post(s.url + "query/fasta-sequences/",
                      json={"storage_key": "real/vibrio_cholerae_H1_contigs.fa", "positions": pos,
                            "output_format": "csv"})
    assert r.status_code == 200
    key = r.json()["results_key"]
    # The original client polls; it sees 404 until done, then the CSV.
    deadline = time.time() + 60
    while time.time() < deadline:
        g = requests.get(s.url + "query/result/" + key)
        if g.status_code == 200:
            break
        assert g.status_code == 404 and g.json()["error"] == "not_done"
        time.sleep(0.05)
    # The original's CSV is ours without the type column's default changes: compare to the CLI.
    assert g.content == extract([[p[0], p[1], p[2], p[3]] for p in pos])


def raw_http(port, data):
    """Sends bytes over a fresh connection and reads until the server closes it."""
    c = socket.create_connection(("127.0.0.1", port))
    c.settimeout(5)
    if data:
        c.sendall(data)
    out = b""
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        out += chunk
    c.close()
    return out


def held_connection(port):
    """A keep-alive connection the server has certainly taken: one request answered on it."""
    c = socket.create_connection(("127.0.0.1", port))
    c.settimeout(10)
    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += c.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(body) < length:
        body += c.recv(65536)
    return c


# ---- limits ----

def test_limits_printed_at_startup(start_server):
    s = start_server("--max-answer-bytes", "12345", "--max-connections", "77", "--max-jobs", "9")
    text = "".join(s.log)
    assert "answer 12345 bytes a request (--max-answer-bytes), 77 connections (--max-connections), " \
           "9 jobs queued or running (--max-jobs)" in text, text
    assert "limits: body 536870912 bytes, 5000000 positions a request" in text


def test_max_body(start_server):
    s = start_server("--max-body", "1000")
    r = requests.post(s.url + "v1/samples/VIBRIO/sequences", data="x" * 2000)
    assert r.status_code == 413
    assert r.json() == {"error": "too_large",
                        "message": "request body is over the limit of 1000 bytes (--max-body)"}


def test_max_positions(start_server):
    s = start_server("--max-positions", "2")
    want = {"error": "too_large", "message": "more than 2 positions in one request (the server's --max-positions); "
                                             "split it or use a positions file with `ofq extract`"}
    r = requests.post(s.url + "v1/samples/VIBRIO/sequences", json={"positions": [["NODE_0", 0, 1]] * 3})
    assert r.status_code == 413 and r.json() == want
    # A job is refused at once too, not accepted and then failed.
    r = requests.post(s.url + "v1/jobs", json={"sample_id": "VIBRIO", "positions": [["NODE_0", 0, 1]] * 3})
    assert r.status_code == 413 and r.json() == want
    job = requests.post(s.url + "v1/jobs", json={"sample_id": "VIBRIO", "positions": [["NODE_0", 0, 1]] * 2}).json()
    st = requests.get(s.url + "v1/jobs/" + job["job_id"]).json()
    assert st["total"] == 2


def test_max_answer_bytes(start_server, long_id):
    s = start_server("--max-answer-bytes", "100")
    ok = requests.get(s.url + "v1/samples/VIBRIO/sequences/%s?start=0&end=50" % long_id)
    assert ok.status_code == 200 and len(ok.content) == 50
    r = requests.get(s.url + "v1/samples/VIBRIO/sequences/%s?start=0&end=500" % long_id)
    assert r.status_code == 413
    assert r.json() == {"error": "too_large",
                        "message": "the answer of 500 bytes is over the limit of 100 bytes a request "
                                   "(--max-answer-bytes); ask for fewer or shorter regions (jobs have the same limit)"}
    r = requests.post(s.url + "v1/samples/VIBRIO/sequences", json={"positions": [[long_id, 0, 5000]]})
    assert r.status_code == 413
    assert r.json() == {"error": "too_large",
                        "message": "the answer is over the limit of 100 bytes a request "
                                   "(--max-answer-bytes); ask for fewer or shorter regions (jobs have the same limit)"}


def test_max_connections(start_server):
    s = start_server("--max-connections", "3")
    held = [held_connection(s.port) for _ in range(3)]
    data = raw_http(s.port, b"")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), data
    assert json.loads(body) == {"error": "too_large",
                                "message": "3 connections are open, the limit is 3 (--max-connections); retry later"}
    for h in held:
        h.close()
    time.sleep(0.3)
    assert requests.get(s.url + "healthz").status_code == 200


def test_max_jobs(start_server, positions):
    s = start_server("--max-jobs", "1", "--job-threads", "1")
    first = post_job(s, "VIBRIO", positions(200000))
    r = requests.post(s.url + "v1/jobs", json={"sample_id": "VIBRIO", "positions": positions(3)})
    assert r.status_code == 413
    assert r.json() == {"error": "too_large",
                        "message": "1 jobs are queued or running, the limit is 1 (--max-jobs); retry later"}
    wait_job(s, first)


# ---- access ----

def test_tokens(start_server, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("# class of 2026\nalpha-token alice\nbeta-token\n")
    s = start_server("--tokens", tokens, headers={"Authorization": "Bearer alpha-token"})
    r = requests.get(s.url + "v1/samples")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="ofq"'
    assert r.json() == {"error": "unauthorized",
                        "message": "this server needs a token: send Authorization: Bearer TOKEN "
                                   "(Python client: token= or OCEANIA_API_TOKEN)"}
    r = requests.get(s.url + "v1/samples", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    assert r.json() == {"error": "unauthorized", "message": "the token sent is not valid for this server"}
    assert requests.get(s.url + "metrics").status_code == 401
    assert requests.get(s.url + "query/list-fasta-files/").status_code == 401
    assert requests.get(s.url + "healthz").status_code == 200
    for t in ("alpha-token", "beta-token"):
        r = requests.get(s.url + "v1/samples/VIBRIO/sequences/NODE_0?end=10", headers={"Authorization": "Bearer " + t})
        assert r.status_code == 200 and len(r.text) == 10
    # The access line is written after the answer is sent: give the last one a moment.
    for _ in range(50):
        clients = [l["client"] for l in s.access_lines() if l["status"] == 200 and l["route"].endswith("{sequence_id}")]
        if len(clients) >= 2:
            break
        time.sleep(0.05)
    assert clients == ["alice", "token2"]


def test_tokens_reloaded_on_sighup(start_server, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("old-token alice\n")
    s = start_server("--tokens", tokens, headers={"Authorization": "Bearer old-token"})
    url = s.url + "v1/samples/VIBRIO/sequences/NODE_0?end=4"
    assert requests.get(url, headers={"Authorization": "Bearer old-token"}).status_code == 200
    assert requests.get(url, headers={"Authorization": "Bearer new-token"}).status_code == 401

    def hup_and_wait(expected):
        n0 = len(s.log)
        s.proc.send_signal(signal.SIGHUP)
        for _ in range(100):
            new = [l for l in s.log[n0:] if "SIGHUP" in l]
            if new:
                return new[0].rstrip("\n")
            time.sleep(0.05)
        raise AssertionError("no SIGHUP line; wanted " + expected)

    tokens.write_text("new-token bob\nnew-token-2\n")
    assert hup_and_wait("loaded") == "ofq serve: SIGHUP: --tokens %s: 2 tokens loaded" % tokens
    assert requests.get(url, headers={"Authorization": "Bearer new-token"}).status_code == 200
    assert requests.get(url, headers={"Authorization": "Bearer old-token"}).status_code == 401
    # A file emptied by mistake is refused: the tokens in force stay.
    tokens.write_text("# nothing yet\n")
    assert hup_and_wait("refused") == ("ofq serve: SIGHUP: --tokens %s: holds no token (one token a line); "
                                       "the 2 tokens loaded before stay in force" % tokens)
    assert requests.get(url, headers={"Authorization": "Bearer new-token-2"}).status_code == 200
    assert s.proc.poll() is None


def test_transport_answers_are_logged_and_counted(start_server):
    s = start_server("--max-body", "1000", "--max-connections", "2")

    n0 = len(s.access_lines())
    assert raw_http(s.port, b"NOT HTTP AT ALL\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw_http(s.port, b"POST /v1/samples/VIBRIO/sequences HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"
               ).startswith(b"HTTP/1.1 413 ")
    held = [held_connection(s.port) for _ in range(2)]
    assert raw_http(s.port, b"").startswith(b"HTTP/1.1 413 ")
    for h in held:
        h.close()
    time.sleep(0.3)
    lines = [l for l in s.access_lines()[n0:] if l["route"] != "/healthz"]  # the held connections' requests
    got = [(l["method"], l["target"], l["route"], l["status"], l["error"], l["remote"]) for l in lines]
    assert got == [("", "", "unmatched", 400, "bad_request", "127.0.0.1"),
                   ("POST", "/v1/samples/VIBRIO/sequences", "/v1/samples/{sample_id}/sequences", 413, "too_large",
                    "127.0.0.1"),
                   ("", "", "unmatched", 413, "too_large", "127.0.0.1")], lines
    m, _ = parse_metrics(requests.get(s.url + "metrics").text)
    assert m[("ofq_http_requests_total",
              frozenset({"route": "unmatched", "method": "", "status": "400"}.items()))] == 1
    assert m[("ofq_http_requests_total",
              frozenset({"route": "unmatched", "method": "", "status": "413"}.items()))] == 1
    assert m[("ofq_http_requests_total", frozenset({"route": "/v1/samples/{sample_id}/sequences", "method": "POST",
                                                    "status": "413"}.items()))] == 1
    assert m[("ofq_http_errors_total", frozenset({"code": "too_large"}.items()))] == 2
    assert m[("ofq_http_errors_total", frozenset({"code": "bad_request"}.items()))] == 1


def test_framing_that_cannot_be_trusted_is_refused(start_server):
    s = start_server()

    n0 = len(s.access_lines())
    smuggled = b"GET /v1/samples/VIBRIO HTTP/1.1\r\nHost: x\r\n\r\n"
    out = raw_http(s.port, b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n" + smuggled)
    # One answer, and the connection closed: the second request is never read.
    assert out.count(b"HTTP/1.1 ") == 1, out
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert json.loads(body) == {"error": "bad_request", "message": "Transfer-Encoding 'gzip' is not supported: "
                                "send the body with a Content-Length, or chunked"}
    # Lists ending in chunked, an empty value, two lines: refused the same way, never framed.
    for te in [b"gzip, chunked", b"identity, chunked", b"", b"gzip\r\nTransfer-Encoding: chunked",
               b"chunked\r\nTransfer-Encoding: chunked"]:
        out = raw_http(s.port, b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te +
                       b"\r\n\r\n0\r\n\r\n" + smuggled)
        assert out.count(b"HTTP/1.1 ") == 1 and out.startswith(b"HTTP/1.1 400 "), (te, out)
    out = raw_http(s.port, b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
              b"0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 "), out
    out = raw_http(s.port, b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), out
    assert json.loads(body)["message"].startswith("malformed HTTP request body: ")
    time.sleep(0.2)
    lines = s.access_lines()[n0:]
    assert [(l["method"], l["status"], l["error"]) for l in lines] == [("POST", 400, "bad_request")] * 8, lines


def test_rate_limit(start_server):
    s = start_server("--rate", "5/s")
    sess = requests.Session()
    codes = [sess.get(s.url + "v1/samples/VIBRIO").status_code for _ in range(8)]
    assert codes[:5] == [200] * 5
    assert 429 in codes[5:]
    r = sess.get(s.url + "v1/samples/VIBRIO")
    if r.status_code == 200:  # a token came back meanwhile
        r = sess.get(s.url + "v1/samples/VIBRIO")
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "1"
    assert r.json() == {"error": "rate_limited",
                        "message": "more than 5 requests a second from this client (--rate); "
                                   "retry after the time in Retry-After"}
    assert sess.get(s.url + "healthz").status_code == 200
    time.sleep(1.1)
    assert sess.get(s.url + "v1/samples/VIBRIO").status_code == 200


def test_gzip(start_server, long_id):
    s = start_server()
    url = s.url + "v1/samples/VIBRIO/sequences/%s?start=0&end=20000" % long_id
    plain = requests.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and len(plain.content) == 20000
    raw = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True)
    assert raw.headers["Content-Encoding"] == "gzip"
    body = raw.raw.read(decode_content=False)
    assert len(body) < 20000 / 2.5
    assert gzip.decompress(body) == plain.content
    small = requests.get(s.url + "v1/samples/VIBRIO/sequences/%s?start=0&end=100" % long_id,
                         headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers
    # A streamed batch is compressed as it goes.
    pos = {"positions": [[long_id, 0, 5000]] * 50}
    z = requests.post(s.url + "v1/samples/VIBRIO/sequences", json=pos, headers={"Accept-Encoding": "gzip"})
    n = requests.post(s.url + "v1/samples/VIBRIO/sequences", json=pos, headers={"Accept-Encoding": "identity"})
    assert z.headers["Content-Encoding"] == "gzip" and z.content == n.content


def test_cors(start_server):
    s = start_server()
    pre = requests.options(s.url + "v1/samples/VIBRIO/sequences",
                           headers={"Origin": "https://lab.example", "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert pre.headers["Access-Control-Allow-Methods"] == "GET, HEAD, POST, OPTIONS"
    r = requests.get(s.url + "v1/samples", headers={"Origin": "https://lab.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"


# ---- operations ----

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|\+Inf|NaN)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_metrics(text):
    """Prometheus text format -> {(name, frozenset(labels)): value}; asserts every line parses."""
    out, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, t = line.split(" ", 3)
            types[name] = t
            continue
        if line.startswith("# HELP ") or not line:
            continue
        m = SAMPLE_RE.match(line)
        assert m, "not a sample line: %r" % line
        labels = {}
        if m.group(3):
            pos = 0
            for lm in LABEL_RE.finditer(m.group(3)):
                assert lm.start() == pos, line
                labels[lm.group(1)] = lm.group(2)
                pos = lm.end()
            assert pos == len(m.group(3)), line
        base = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        assert m.group(1) in types or base in types, "no TYPE for " + m.group(1)
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return out, types


def test_metrics(start_server, positions, long_id):
    s = start_server()
    for _ in range(3):
        requests.get(s.url + "v1/samples/VIBRIO/sequences/%s?end=100" % long_id)
    requests.get(s.url + "v1/samples/NOPE")
    job = post_job(s, "VIBRIO", positions(10))
    wait_job(s, job)
    text = requests.get(s.url + "metrics").text
    m, types = parse_metrics(text)
    route = "/v1/samples/{sample_id}/sequences/{sequence_id}"
    key = frozenset({"route": route, "method": "GET", "status": "200"}.items())
    assert m[("ofq_http_requests_total", key)] == 3
    assert m[("ofq_http_request_duration_seconds_count", key)] == 3
    buckets = sorted(((float(dict(k)["le"]), v) for (n, k), v in m.items()
                      if n == "ofq_http_request_duration_seconds_bucket" and
                      {x for x in k if x[0] != "le"} == set(key)), key=lambda x: x[0])
    assert [v for _, v in buckets] == sorted(v for _, v in buckets) and buckets[-1] == (float("inf"), 3)
    assert m[("ofq_http_response_bytes_total", frozenset({"route": route}.items()))] == 300
    assert m[("ofq_http_requests_total",
              frozenset({"route": "/v1/samples/{sample_id}", "method": "GET", "status": "404"}.items()))] == 1
    assert m[("ofq_http_errors_total", frozenset({"code": "unknown_sample"}.items()))] == 1
    assert m[("ofq_jobs", frozenset({"state": "done"}.items()))] == 1
    assert m[("ofq_jobs_submitted_total", frozenset())] == 1
    assert m[("ofq_index_samples", frozenset({"state": "ready"}.items()))] == 2
    assert m[("ofq_open_connections", frozenset())] >= 1
    assert types["ofq_http_request_duration_seconds"] == "histogram"


def test_openapi_lists_every_route(start_server):
    s = start_server()
    doc = requests.get(s.url + "openapi.json").json()
    assert doc["openapi"] == "3.0.3"
    paths = set(doc["paths"])
    for p in ["/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/result", "/metrics", "/openapi.json",
              "/healthz", "/query/fasta-sequences/", "/query/result/{results_key}", "/v1/samples",
              "/v1/samples/{sample_id}/sequences/{sequence_id}", "/sequence/{id}"]:
        assert p in paths, p
    # Every documented path without parameters is routed (not the router's 404 not_found).
    for p, item in doc["paths"].items():
        if "{" in p or "get" not in item:
            continue
        r = requests.get(s.url + p.lstrip("/"))
        assert not (r.status_code == 404 and r.json().get("error") == "not_found"), p


def test_access_log_one_line_a_request(start_server):
    s = start_server()
    n0 = len(s.access_lines())
    requests.get(s.url + "v1/samples/VIBRIO/sequences/NODE_0?end=7", headers={"User-Agent": "t/1"})
    requests.get(s.url + "nowhere")
    time.sleep(0.1)
    lines = s.access_lines()[n0:]
    assert len(lines) == 2
    a, b = lines
    assert (a["method"], a["target"], a["route"], a["status"], a["bytes"], a["remote"], a["user_agent"]) == \
        ("GET", "/v1/samples/VIBRIO/sequences/NODE_0?end=7", "/v1/samples/{sample_id}/sequences/{sequence_id}",
         200, 7, "127.0.0.1", "t/1")
    assert (b["route"], b["status"], b["error"]) == ("unmatched", 404, "not_found")
    assert set(a) >= {"ts", "ms", "client"}


def test_sigterm_with_a_streamed_answer_in_flight(start_server, positions, extract, tmp_path):
    db = tmp_path / "jobs.db"
    s = start_server("--shutdown-grace", "20", "--job-threads", "1", "--jobs-db", db)
    try:
        _sigterm_in_flight(s, start_server, positions, extract, db)
    finally:
        if s.proc.poll() is None:  # stuck: killed here, so that the fixture does not wait for it
            s.kill9()


def test_sigterm_ends_a_stalled_stream_after_the_grace_period(start_server, positions):
    # A client that stops reading must not keep the server from exiting: after the grace
    # period the answer is cut (no final chunk) and the process ends.
    s = start_server("--shutdown-grace", "1")
    pos = positions(150000, seed=12, width=200)
    r = requests.post(s.url + "v1/samples/VIBRIO/sequences", json={"positions": pos}, stream=True,
                      headers={"Accept-Encoding": "identity"}, timeout=40)
    assert r.status_code == 200
    it = r.iter_content(65536)
    got = len(next(it))  # started, then not read until the server has gone
    t0 = time.time()
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(15) == 0
    assert time.time() - t0 < 10
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        for c in it:
            got += len(c)
    assert 0 < got < 150000 * 200


def _sigterm_in_flight(s, start_server, positions, extract, db):
    pos = positions(150000, seed=11, width=200)
    expected = extract(pos)
    r = requests.post(s.url + "v1/samples/VIBRIO/sequences", json={"positions": pos}, stream=True,
                      headers={"Accept-Encoding": "identity"}, timeout=40)
    assert r.status_code == 200
    it = r.iter_content(65536)
    got = [next(it)]  # the answer has started
    # An accepted job must be kept too.
    job = requests.post(s.url + "v1/jobs", json={"sample_id": "VIBRIO", "positions": positions(100000)}).json()
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    # New connections are refused while the answer in flight finishes.
    try:
        requests.get(s.url + "healthz", timeout=2)
        refused = False
    except requests.exceptions.ConnectionError:
        refused = True
    for chunk in it:
        got.append(chunk)
        time.sleep(0.0005)
    assert b"".join(got) == expected
    assert refused
    assert s.proc.wait(30) == 0
    assert any("SIGTERM received" in l for l in s.log)
    # The job accepted before the stop is kept and finished by the next start.
    s2 = start_server("--jobs-db", db)
    st = wait_job(s2, job["job_id"])
    assert st["status"] == "done" and st["done"] == 100000
