"""refget v2 against a real `ofq serve`: what REFGET.md asks, and what the public
compliance suite sends (its ids, Accept headers, Range headers, circular table).

Expected values come from ../shared/data/refget (checksums.json and the FASTA files,
hashed here with hashlib), never from ofq.
"""

import base64
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

OFQ = os.environ.get("OFQ_BINARY", "build/ofq")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REFGET = os.path.join(ROOT, "data", "refget")

PLAIN_V1 = "text/vnd.ga4gh.refget.v1.0.0+plain"
PLAIN_V2 = "text/vnd.ga4gh.refget.v2.0.0+plain"
JSON_V1 = "application/vnd.ga4gh.refget.v1.0.0+json"
JSON_V2 = "application/vnd.ga4gh.refget.v2.0.0+json"


def read_fasta(path):
    with open(path) as f:
        lines = f.read().splitlines()
    return "".join(l for l in lines[1:] if not l.startswith(">")).upper()


def digests(seq):
    s = seq.encode()
    sha = hashlib.sha512(s).digest()[:24]
    return {
        "md5": hashlib.md5(s).hexdigest(),
        "ga4gh": "SQ." + base64.urlsafe_b64encode(sha).decode().rstrip("="),
        "trunc512": sha.hex(),
    }


SEQ = {name: read_fasta(os.path.join(REFGET, name + ".faa")) for name in ("I", "VI", "NC")}
with open(os.path.join(REFGET, "checksums.json")) as f:
    SUITE = json.load(f)
I_MD5 = SUITE["I"]["md5"]
NC_MD5 = SUITE["NC"]["md5"]
I_TRUNC = SUITE["I"]["sha512"]
I_GA4GH = SUITE["I"]["ga4gh"]  # with its ga4gh: prefix, as the suite sends it


@pytest.fixture(scope="module")
def catalog():
    d = tempfile.mkdtemp(prefix="ofq_refget_")
    for name in ("I", "VI", "NC"):
        shutil.copy(os.path.join(REFGET, name + ".faa"), os.path.join(d, name + ".faa"))
    text = open(os.path.join(REFGET, "NC.faa")).read()
    head, body = text.split("\n", 1)
    masked = head.replace("NC_001422.1", "NC_masked") + "\n" + "".join(
        c.lower() if i % 7 < 3 else c for i, c in enumerate(body))
    with open(os.path.join(d, "masked.fa"), "w") as f:
        f.write(masked)
    with gzip.open(os.path.join(d, "ncgz.fa.gz"), "wt") as f:
        f.write(masked.replace("NC_masked", "NC_gz"))
    with open(os.path.join(d, "ncbgzf.fa"), "w") as f:
        f.write(masked.replace("NC_masked", "NC_bgzf"))
    subprocess.run(["bgzip", "-f", os.path.join(d, "ncbgzf.fa")], check=True)
    with open(os.path.join(d, "gaps.fa"), "w") as f:
        f.write(">g1 holds gaps\nACGT-ACGT\n>g2\nACGT\n")
    with open(os.path.join(d, "topology.tsv"), "w") as f:
        f.write("sample_id\tsequence_id\ttopology\nNC\tNC_001422.1\tcircular\nmasked\tNC_masked\tcircular\n")
    with open(os.path.join(d, "aliases.tsv"), "w") as f:
        f.write("alias\tsample_id\tsequence_id\n"
                "insdc:BK006935.2\tI\tI\ninsdc:CP036473.1\tVI\tVI\ninsdc:NC_001422.1\tNC\tNC_001422.1\n"
                "test:gapped\tgaps\tg1\n")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def server(catalog):
    proc = subprocess.Popen([OFQ, "serve", catalog, "--listen", "127.0.0.1:0"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    url = None
    deadline = time.time() + 30
    log = []
    while time.time() < deadline and url is None:
        line = proc.stderr.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        log.append(line)
        m = re.search(r"listening on (http://[^/\s]+)/", line)
        if m:
            url = m.group(1)
    if url is None:
        proc.kill()
        pytest.fail("ofq serve did not start: " + "".join(log))
    # Drain stderr so that the server never blocks on a full pipe.
    import threading
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    # Wait for the digests: service-info answers at once, a sequence once hashed.
    while time.time() < deadline:
        r = requests.get(url + "/sequence/" + NC_MD5 + "/metadata")
        ok = all(requests.get(url + "/sequence/" + digests(SEQ[n])["md5"] + "/metadata").status_code == 200
                 for n in ("I", "VI", "NC"))
        if r.status_code == 200 and ok and requests.get(url + "/sequence/test:gapped").status_code == 404:
            break
        assert r.status_code in (200, 503), r.text
        if r.status_code == 503:
            assert int(r.headers["Retry-After"]) > 0
        time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def get(server, path, **headers):
    return requests.get(server + path, headers=headers)


# ---- fixtures are what the suite says --------------------------------------------------

def test_fixture_digests_match_the_suite():
    for name in ("I", "VI", "NC"):
        d = digests(SEQ[name])
        assert d["md5"] == SUITE[name]["md5"]
        assert "ga4gh:" + d["ga4gh"] == SUITE[name]["ga4gh"]
        assert d["trunc512"] == SUITE[name]["sha512"]
    assert len(SEQ["I"]) == 230218 and len(SEQ["NC"]) == 5386


# ---- service-info ----------------------------------------------------------------------

def test_service_info(server):
    r = get(server, "/sequence/service-info")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == JSON_V2 + "; charset=us-ascii"
    j = r.json()
    assert j["type"] == {"group": "org.ga4gh", "artifact": "refget", "version": "2.0.0"}
    assert j["refget"] == {"circular_supported": True, "algorithms": ["md5", "ga4gh", "trunc512"],
                           "identifier_types": ["insdc", "test"], "subsequence_limit": None}
    for accept in ("*/*", JSON_V2, JSON_V1 + "," + JSON_V2, "application/json"):
        assert get(server, "/sequence/service-info", Accept=accept).status_code == 200, accept
    assert get(server, "/sequence/service-info", Accept="embl/some_json").status_code == 406


# ---- metadata --------------------------------------------------------------------------

I_META = {"id": I_GA4GH[len("ga4gh:"):], "md5": I_MD5, "ga4gh": I_GA4GH[len("ga4gh:"):],
          "trunc512": I_TRUNC, "length": 230218,
          "aliases": [{"alias": "BK006935.2", "naming_authority": "insdc"}]}


@pytest.mark.parametrize("ident", [I_MD5, "md5:" + I_MD5, I_MD5.upper(), I_GA4GH, I_GA4GH[6:], I_TRUNC,
                                   "trunc512:" + I_TRUNC, "insdc:BK006935.2"])
def test_metadata_every_id_form(server, ident):
    r = get(server, "/sequence/" + ident + "/metadata",
            Accept=JSON_V1 + "," + JSON_V2)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == JSON_V2 + "; charset=us-ascii"
    assert r.json() == {"metadata": I_META}


def test_metadata_errors(server):
    assert get(server, "/sequence/some1111garbage1111ID/metadata").status_code == 404
    assert get(server, "/sequence/" + I_MD5 + "/metadata", Accept="embl/some_json").status_code == 406
    assert get(server, "/sequence/" + "0" * 32 + "/metadata").status_code == 404


# ---- sequences -------------------------------------------------------------------------

@pytest.mark.parametrize("accept", [None, "*/*", PLAIN_V1, PLAIN_V1 + "," + PLAIN_V2,
                                    PLAIN_V2 + "; charset=us-ascii", "text/plain"])
def test_whole_sequence_media_types(server, accept):
    headers = {"Accept": accept} if accept else {}
    r = requests.get(server + "/sequence/" + I_MD5, headers=headers)
    assert r.status_code == 200
    assert r.text == SEQ["I"]
    assert int(r.headers["Content-Length"]) == 230218
    want = "text/plain; charset=us-ascii" if accept == "text/plain" else PLAIN_V2 + "; charset=us-ascii"
    assert r.headers["Content-Type"] == want


@pytest.mark.parametrize("ident", ["md5:" + NC_MD5, "ga4gh:SQ.IIXILYBQCpHdC4qpI3sOQ_HAeAm9bmeF",
                                   "SQ.IIXILYBQCpHdC4qpI3sOQ_HAeAm9bmeF",
                                   "2085c82d80500a91dd0b8aa9237b0e43f1c07809bd6e6785",
                                   "insdc:NC_001422.1"])
def test_sequence_every_id_form(server, ident):
    r = get(server, "/sequence/" + ident)
    assert r.status_code == 200 and r.text == SEQ["NC"]


@pytest.mark.parametrize("query,start,end", [("start=10&end=20", 10, 20), ("start=0&end=230218", 0, 230218),
                                             ("start=230217", 230217, 230218), ("end=5", 0, 5),
                                             ("&end=5", 0, 5), ("start=100&end=100", 100, 100),
                                             ("start=0&end=1", 0, 1)])
def test_subsequences(server, query, start, end):
    r = get(server, "/sequence/" + I_MD5 + "?" + query, Accept=PLAIN_V1 + "," + PLAIN_V2)
    assert r.status_code == 200
    assert r.text == SEQ["I"][start:end]
    assert int(r.headers["Content-Length"]) == end - start
    assert r.headers["Accept-Ranges"] == "none"


@pytest.mark.parametrize("start,end,want", [(5374, 5, "ATCCAACCTGCAGAGTT"), (5374, 0, "ATCCAACCTGCA"),
                                            (5380, 25, None)])
def test_circular_nc_table(server, start, end, want):
    r = get(server, "/sequence/" + NC_MD5 + "?start=%d&end=%d" % (start, end))
    assert r.status_code == 200
    expect = SEQ["NC"][start:] + SEQ["NC"][:end]
    assert r.text == expect
    if want:
        assert r.text == want
    assert int(r.headers["Content-Length"]) == len(expect)
    if start == 5380:
        assert len(r.text) == 31


def test_circular_from_topology_table_on_a_copy(server):
    # masked.fa is flagged circular by topology.tsv under its own sample and name.
    r = get(server, "/v1/samples/masked/records")
    assert r.status_code == 200
    rec = r.json()["records"][0]
    assert rec["md5"] == NC_MD5


@pytest.mark.parametrize("query,status", [
    ("start=220218&end=671", 416),      # linear, start > end, circular supported
    ("start=230218", 416), ("start=230218&end=230218", 416), ("end=230219", 416),
    ("start=abc", 400), ("start=-10&end=-29", 400), ("start=1.5", 400), ("start=", 400),
    ("end=ten", 400), ("start=99999999999999999999999", 400),
])
def test_subsequence_errors(server, query, status):
    r = get(server, "/sequence/" + I_MD5 + "?" + query)
    assert r.status_code == status, r.text
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.json()["error"]


def test_bounds_before_start_greater_than_end(server):
    # NC: start >= length is 416 although start > end would be a wrap.
    assert get(server, "/sequence/" + NC_MD5 + "?start=5386&end=5").status_code == 416


def test_unknown_and_unacceptable(server):
    assert get(server, "/sequence/Garbagechecksum").status_code == 404
    assert get(server, "/sequence/" + "f" * 48).status_code == 404
    assert get(server, "/sequence/insdc:NOPE.1").status_code == 404
    assert get(server, "/sequence/" + I_MD5, Accept="embl/some_json").status_code == 406
    # 406 comes before 400.
    assert get(server, "/sequence/" + I_MD5 + "?start=abc", Accept="embl/some_json").status_code == 406


# ---- Range -----------------------------------------------------------------------------

@pytest.mark.parametrize("rng,first,last", [("bytes=0-9", 0, 9), ("bytes=10-19", 10, 19),
                                            ("bytes=10-999999", 10, 230217), ("bytes=0-230217", 0, 230217),
                                            ("bytes=5-14", 5, 14), ("bytes=230217-230217", 230217, 230217),
                                            ("bytes=0-0", 0, 0)])
def test_range_success_206(server, rng, first, last):
    r = get(server, "/sequence/" + I_MD5, Range=rng, Accept=PLAIN_V1)
    assert r.status_code == 206
    assert r.text == SEQ["I"][first:last + 1]
    assert int(r.headers["Content-Length"]) == last - first + 1
    assert r.headers["Content-Range"] == "bytes %d-%d/230218" % (first, last)


def test_range_clipped_length(server):
    r = get(server, "/sequence/" + I_MD5, Range="bytes=10-999999")
    assert r.status_code == 206 and len(r.content) == 230208


def test_range_same_as_start_end(server):
    a = get(server, "/sequence/" + I_MD5, Range="bytes=5-14")
    b = get(server, "/sequence/" + I_MD5 + "?start=5&end=15")
    assert a.text == b.text == SEQ["I"][5:15]


@pytest.mark.parametrize("ident,rng", [(I_MD5, "bytes=5200-19"), (NC_MD5, "bytes=5386-5387"),
                                       (NC_MD5, "bytes=9999-99999"), (I_MD5, "bytes=230218-230218")])
def test_range_unsatisfiable_416(server, ident, rng):
    assert get(server, "/sequence/" + ident, Range=rng).status_code == 416


@pytest.mark.parametrize("rng", ["units=20-30", "bytes=ab-19", "bytes=-10--19", "bytes=10--19",
                                 "bytes=-10-", "bytes==10-19", "bytes=1-2,5-6"])
def test_range_malformed_400(server, rng):
    assert get(server, "/sequence/" + I_MD5, Range=rng).status_code == 400


def test_range_with_start_end_400(server):
    assert get(server, "/sequence/" + I_MD5 + "?start=1&end=5", Range="bytes=1-4").status_code == 400


# ---- CORS, HEAD ------------------------------------------------------------------------

def test_cors_preflight(server):
    for path in ("/sequence/" + I_MD5, "/sequence/" + I_MD5 + "/metadata", "/sequence/service-info"):
        r = requests.options(server + path, headers={"Origin": "https://example.org",
                                                    "Access-Control-Request-Method": "GET",
                                                    "Access-Control-Request-Headers": "range"})
        assert r.status_code == 204
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert "GET" in r.headers["Access-Control-Allow-Methods"]
        assert r.headers["Access-Control-Allow-Headers"] == "range"
    assert get(server, "/sequence/" + I_MD5 + "?end=3").headers["Access-Control-Allow-Origin"] == "*"


def test_head(server):
    r = requests.head(server + "/sequence/" + NC_MD5 + "?start=0&end=100")
    assert r.status_code == 200 and int(r.headers["Content-Length"]) == 100 and r.content == b""


# ---- digests of copies, gaps, /v1 ------------------------------------------------------

def test_masked_gzip_bgzf_copies_have_the_digests_of_the_plain_uppercase(server):
    for sample in ("masked", "ncgz", "ncbgzf"):
        r = get(server, "/v1/samples/%s/records" % sample)
        assert r.status_code == 200, r.text
        rec = r.json()["records"][0]
        assert rec["md5"] == NC_MD5, sample
        assert rec["ga4gh"] == "SQ.IIXILYBQCpHdC4qpI3sOQ_HAeAm9bmeF", sample


def test_one_sequence_held_by_several_samples(server):
    # NC, masked, ncgz and ncbgzf hold the same bases: one sequence, NC's aliases.
    r = get(server, "/sequence/" + NC_MD5 + "/metadata")
    assert r.json()["metadata"]["aliases"] == [{"alias": "NC_001422.1", "naming_authority": "insdc"}]
    assert get(server, "/sequence/" + NC_MD5).text == SEQ["NC"]


def test_gapped_records_are_not_served(server):
    r = get(server, "/sequence/test:gapped")
    assert r.status_code == 404
    assert "'-', '.' or '*'" in r.json()["message"]
    recs = get(server, "/v1/samples/gaps/records").json()["records"]
    assert recs[0]["md5"] is None and recs[0]["ga4gh"] is None
    assert recs[1]["md5"] == hashlib.md5(b"ACGT").hexdigest()
    assert get(server, "/sequence/" + recs[1]["ga4gh"]).text == "ACGT"


def test_v1_sequences_by_digest(server):
    body = {"positions": [{"digest": "md5:" + NC_MD5, "start": 0, "end": 10},
                          {"digest": I_GA4GH, "start": 5, "end": 9, "type": "reverse_complement"},
                          ["insdc:NC_001422.1", 5380, 9999]],
            "format": "json"}
    r = requests.post(server + "/v1/sequences", json=body)
    assert r.status_code == 200, r.text
    rows = r.json()["sequences"]
    comp = str.maketrans("ACGT", "TGCA")
    assert [x["sequence"] for x in rows] == [SEQ["NC"][:10], SEQ["I"][5:9].translate(comp)[::-1],
                                             SEQ["NC"][5380:]]
    assert r.json()["clamped"] == 1
    bad = requests.post(server + "/v1/sequences", json={"positions": [{"digest": "Garbage", "start": 0, "end": 1}]})
    assert bad.status_code == 422
    assert bad.json()["rows"][0]["row"] == 0


# ---- ofq digest ------------------------------------------------------------------------

def test_ofq_digest_cli(catalog):
    out = subprocess.run([OFQ, "digest", os.path.join(catalog, "NC.faa")], capture_output=True,
                         text=True, check=True).stdout
    assert out == "id\tlength\tmd5\tga4gh\nNC_001422.1\t5386\t%s\tSQ.IIXILYBQCpHdC4qpI3sOQ_HAeAm9bmeF\n" % NC_MD5
    for f, name in (("masked.fa", "NC_masked"), ("ncgz.fa.gz", "NC_gz"), ("ncbgzf.fa.gz", "NC_bgzf")):
        out = subprocess.run([OFQ, "digest", "--trunc512", os.path.join(catalog, f)], capture_output=True,
                             text=True, check=True).stdout
        assert out.splitlines()[1] == "\t".join([name, "5386", NC_MD5, "SQ.IIXILYBQCpHdC4qpI3sOQ_HAeAm9bmeF",
                                                 "2085c82d80500a91dd0b8aa9237b0e43f1c07809bd6e6785"])
    p = subprocess.run([OFQ, "digest", os.path.join(catalog, "gaps.fa")], capture_output=True, text=True)
    assert p.returncode == 0
    assert p.stdout == "id\tlength\tmd5\tga4gh\ng1\t9\t-\t-\ng2\t4\t%s\tSQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2\n" % (
        hashlib.md5(b"ACGT").hexdigest())
    p = subprocess.run([OFQ, "digest", os.path.join(catalog, "missing.fa")], capture_output=True, text=True)
    assert p.returncode == 3 and "missing.fa" in p.stderr
