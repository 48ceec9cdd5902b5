#!/usr/bin/env python3
"""Helpers of bench/bench_server.sh (issue 4's three numbers), one subcommand each.

  protocol URL N        the original client's three calls for the published 10-region
                        query, N times: prints median and p99 milliseconds, end to end
  memory OFQ DATA WORK   peak resident memory growth of a fresh server answering streamed
                        batches of 10 MB, 100 MB and 400 MB (VIBRIO_H1): flat in the answer
  batch URL SAMPLE N L PID OFQ FASTA WORK
                        a streamed POST of N random positions of L bases against
                        `ofq extract` of the same positions; prints regions/s of both and
                        the server's resident memory before, peak during, and after
"""
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time

import requests


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def protocol(url, n, data):
    rows = []
    with open(os.path.join(data, "published", "query_tara_a100000171.csv")) as f:
        for r in csv.reader(f):
            rows.append([r[0], int(r[1]), int(r[2])] + r[3:])
    with open(os.path.join(data, "published", "expected_tara_a100000171.csv"), "rb") as f:
        expected = f.read()
    times = []
    for i in range(n + 5):
        # A fresh session each time, as a notebook cell calling the client would: new
        # connections included in the time.
        s = requests.Session()
        t0 = time.perf_counter()
        text = s.get(url + "query/list-fasta-files/").text
        keys = dict(line.split(",") for line in text.strip().split("\n")[1:])
        r = s.post(url + "query/fasta-sequences/",
                   json={"storage_key": keys["TARA_A100000171"], "positions": rows, "output_format": "csv"})
        g = s.get(url + "query/result/" + r.json()["results_key"])
        dt = (time.perf_counter() - t0) * 1000
        s.close()
        if g.content != expected:
            print("protocol: answer differs from the published CSV", file=sys.stderr)
            sys.exit(1)
        if i >= 5:  # warm-up rounds are not counted
            times.append(dt)
    times.sort()
    print("%.2f %.2f %.2f" % (statistics.median(times), times[int(len(times) * 0.99) - 1], times[0]))


def batch(url, sample, n, length, pid, ofq, fasta, work):
    recs, page = [], 1
    while True:
        r = requests.get(url + "v1/samples/%s/records" % sample, params={"page": page, "page_size": 100000}).json()
        recs += r["records"]
        if len(recs) >= r["total"]:
            break
        page += 1
    recs = [x for x in recs if x["length"] > length]
    rnd = random.Random(4)
    pos = []
    for _ in range(n):
        x = rnd.choice(recs)
        s = rnd.randrange(0, x["length"] - length)
        pos.append([x["id"], s, s + length])
    body = json.dumps({"positions": pos, "format": "csv"}).encode()
    pfile = os.path.join(work, "batch_%d_%d.csv" % (n, length))
    with open(pfile, "w") as f:
        f.writelines("%s,%d,%d\n" % tuple(p) for p in pos)
    # ofq extract: the same positions, the same CSV, as a whole process.
    out_ext = os.path.join(work, "extract.csv")
    ext_times = []
    for _ in range(3):
        t0 = time.perf_counter()
        with open(out_ext, "wb") as o:
            subprocess.run([ofq, "extract", fasta, pfile, "-q", "--index-dir", os.path.join(work, "idx")],
                           stdout=o, check=True)
        ext_times.append(time.perf_counter() - t0)
    before = rss_kb(pid)
    peak = [before]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.005)

    th = threading.Thread(target=watch)
    th.start()
    srv_times, size = [], 0
    for _ in range(3):
        t0 = time.perf_counter()
        r = requests.post(url + "v1/samples/%s/sequences" % sample, data=body, stream=True)
        h = open(os.path.join(work, "served.csv"), "wb")
        for chunk in r.iter_content(1 << 16):
            h.write(chunk)
            size += len(chunk)
        h.close()
        srv_times.append(time.perf_counter() - t0)
    stop.set()
    th.join()
    after = rss_kb(pid)
    with open(out_ext, "rb") as a, open(os.path.join(work, "served.csv"), "rb") as b:
        if a.read() != b.read():
            print("batch: served answer differs from ofq extract", file=sys.stderr)
            sys.exit(1)
    e, s = min(ext_times), min(srv_times)
    print("%d %.0f %.0f %d %d %d %d" % (n, n / e, n / s, before, peak[0], after, size // 3))


def memory(ofq, data, work):
    import socket
    for n, length in [(1000, 10000), (10000, 10000), (40000, 10000)]:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        p = subprocess.Popen([ofq, "serve", data, "--listen", "127.0.0.1:%d" % port, "--index-dir",
                              os.path.join(work, "idx"), "-q"], stderr=subprocess.DEVNULL)
        url = "http://127.0.0.1:%d/" % port
        for _ in range(600):
            try:
                s = {x["sample_id"]: x["index"] for x in requests.get(url + "v1/samples").json()["samples"]}
                if s.get("VIBRIO_H1") == "ready":
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        recs = [r for r in requests.get(url + "v1/samples/VIBRIO_H1/records?page_size=2000").json()["records"]
                if r["length"] > length + 1]
        rnd = random.Random(1)
        pos = []
        for _ in range(n):
            r = rnd.choice(recs)
            s0 = rnd.randrange(0, r["length"] - length)
            pos.append([r["id"], s0, s0 + length])
        body = json.dumps({"positions": pos}).encode()
        base = rss_kb(p.pid)
        peak = [base]
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kb(p.pid))
                time.sleep(0.002)

        th = threading.Thread(target=watch)
        th.start()
        r = requests.post(url + "v1/samples/VIBRIO_H1/sequences", data=body, stream=True)
        size = sum(len(c) for c in r.iter_content(1 << 16))
        stop.set()
        th.join()
        p.terminate()
        p.wait()
        print("%d %d %d %d" % (n, size, base, peak[0] - base))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "protocol":
        protocol(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "memory":
        memory(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "batch":
        a = sys.argv
        batch(a[2], a[3], int(a[4]), int(a[5]), int(a[6]), a[7], a[8], a[9])
