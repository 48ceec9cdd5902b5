"""Our own small load client for bench/bench_load.sh (standard library only).

  load_client.py idle URL N SECONDS        hold N keep-alive connections idle for SECONDS while a
                                           second client times GETs; prints JSON
  load_client.py check URL POSFILE N OUT   N random requests of the wrk mix, answers saved to OUT
                                           (compared with `ofq extract` by the caller); prints JSON
  load_client.py rss PID SECONDS OUT       resident memory of PID every 0.5 s, to OUT (one a line)
"""
import http.client
import json
import os
import random
import socket
import sys
import time
import urllib.parse


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r.status, r.read()


LONG = os.environ.get("OFQ_LOAD_RECORD", "NODE_1")  # a record of more than 1,100 bases


def idle(url, n, seconds):
    u = urllib.parse.urlparse(url)
    host, port = u.hostname, u.port
    socks = []
    t0 = time.time()
    for _ in range(n):
        s = socket.create_connection((host, port))
        # One request each, so that every connection is a real keep-alive session now idle.
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        socks.append(s)
    for s in socks:
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(b"}\n"):
            chunk = s.recv(4096)
            if not chunk:
                raise SystemExit("a held connection was closed while opening")
            data += chunk
    opened = time.time() - t0
    # The second client: fresh connection per request, timed.
    lat = []
    end = time.time() + seconds
    while time.time() < end:
        c = http.client.HTTPConnection(host, port, timeout=10)
        t = time.perf_counter()
        st, body = request(c, "GET", "/v1/samples/VIBRIO/sequences/%s?start=100&end=1100" % LONG)
        lat.append((time.perf_counter() - t) * 1000)
        c.close()
        if st != 200 or len(body) != 1000:
            raise SystemExit("second client got %d" % st)
        time.sleep(0.02)
    # Every held connection is still served.
    alive = 0
    for s in socks:
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            alive += data.startswith(b"HTTP/1.1 200")
        except OSError:
            pass
        s.close()
    lat.sort()
    print(json.dumps({"held": n, "open_seconds": round(opened, 2), "alive_after": alive,
                      "requests": len(lat), "p50_ms": round(lat[len(lat) // 2], 2),
                      "p99_ms": round(lat[int(len(lat) * 0.99)], 2), "max_ms": round(lat[-1], 2)}))


def check(url, posfile, n, out):
    """The wrk mix, replayed: single-region GETs and batch POSTs of the same positions."""
    u = urllib.parse.urlparse(url)
    pos = [l.rstrip("\n").split("\t") for l in open(posfile)][1:]
    rng = random.Random(5)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    queries, answers = [], []
    bad = 0
    for i in range(n):
        if i % 2 == 0:
            p = pos[rng.randrange(len(pos))]
            st, body = request(c, "GET", "/v1/samples/VIBRIO/sequences/%s?start=%s&end=%s&type=%s&format=csv"
                               % (p[0], p[1], p[2], p[3]))
            queries.append([p])
        else:
            k = rng.randrange(len(pos) - 50)
            batch = pos[k:k + 50]
            st, body = request(c, "POST", "/v1/samples/VIBRIO/sequences",
                               json.dumps({"positions": [[b[0], int(b[1]), int(b[2]), b[3]] for b in batch]}),
                               {"Content-Type": "application/json"})
            queries.append(batch)
        bad += st != 200
        answers.append(body.decode())
    # One positions file and one expected answer: the CSV rows of every query, in order.
    with open(out + ".tsv", "w") as f:
        f.write("id\tstart\tend\ttype\n")
        for q in queries:
            for p in q:
                f.write("\t".join(p) + "\n")
    with open(out + ".csv", "w") as f:
        f.write("id,start,end,type,sequence\n")
        for a in answers:
            f.write(a.split("\n", 1)[1])
    print(json.dumps({"requests": n, "non_200": bad}))


def rss(pid, seconds, out):
    end = time.time() + seconds
    with open(out, "w") as f:
        while time.time() < end:
            try:
                with open("/proc/%s/statm" % pid) as s:
                    f.write("%d\n" % (int(s.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")))
                f.flush()
            except OSError:
                return
            time.sleep(0.5)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "idle":
        idle(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif cmd == "check":
        check(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif cmd == "rss":
        rss(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    else:
        raise SystemExit(__doc__)
