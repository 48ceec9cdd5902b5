"""The nginx TLS front of docs/operations.md, run as written (ports and certificate paths
substituted): TLS in front, streamed answers and tokens pass through, --trust-proxy sees
the client's address."""
import os
import re
import shutil
import socket
import subprocess
import time

import pytest
import requests
import urllib3

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "..", "docs", "operations.md")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


@pytest.mark.skipif(not shutil.which("nginx") or not shutil.which("openssl"), reason="needs nginx and openssl")
def test_nginx_tls_front(start_server, tmp_path, positions, extract, long_id):
    urllib3.disable_warnings()
    s = start_server("--trust-proxy")
    text = open(DOC).read()
    conf = re.search(r"<!-- nginx-config-begin -->\n```nginx\n(.*?)```", text, re.S).group(1)
    port = free_port()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    for old, new in [("server 127.0.0.1:8080;", "server 127.0.0.1:%d;" % s.port),
                     ("listen 443 ssl;", "listen 127.0.0.1:%d ssl;" % port),
                     ("/etc/ssl/ofq/fullchain.pem", str(tmp_path / "cert.pem")),
                     ("/etc/ssl/ofq/privkey.pem", str(tmp_path / "key.pem"))]:
        assert old in conf, old
        conf = conf.replace(old, new)
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(conf)
    ngx = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                            "-g", "daemon off; pid %s; error_log %s;" % (tmp_path / "nginx.pid", tmp_path / "error.log")],
                           stderr=subprocess.PIPE)
    try:
        url = "https://127.0.0.1:%d/" % port
        for _ in range(100):
            try:
                requests.get(url + "healthz", verify=False, timeout=1)
                break
            except requests.exceptions.ConnectionError:
                time.sleep(0.05)
        r = requests.get(url + "healthz", verify=False)
        assert r.status_code == 200 and r.json()["status"] == "ok"
        pos = positions(20000, seed=4)
        r = requests.post(url + "v1/samples/VIBRIO/sequences", json={"positions": pos}, verify=False)
        assert r.status_code == 200
        assert r.content == extract(pos)
        r = requests.get(url + "v1/samples/VIBRIO/sequences/%s?end=20000" % long_id, verify=False,
                         headers={"Accept-Encoding": "gzip"})
        assert r.headers["Content-Encoding"] == "gzip" and len(r.content) == 20000
        last = [l for l in s.access_lines() if l["route"].endswith("{sequence_id}")][-1]
        assert last["client"] == "127.0.0.1" and last["status"] == 200
        # A client's own X-Forwarded-For is replaced by nginx: it cannot pose as another
        # client (and get a fresh rate-limit bucket).
        r = requests.get(url + "v1/samples/VIBRIO/sequences/%s?end=7" % long_id, verify=False,
                         headers={"X-Forwarded-For": "10.9.9.9"})
        assert r.status_code == 200
        for _ in range(50):
            forged = [l for l in s.access_lines() if l["target"].endswith("?end=7")]
            if forged:
                break
            time.sleep(0.05)
        assert forged and forged[-1]["client"] == "127.0.0.1", forged
    finally:
        ngx.terminate()
        ngx.wait(10)
