"""Loopback tests of `ofq serve` (issue 4): every route and error code, the original
client's protocol giving the published results byte for byte, both gap rules, path
safety, and a file that turns corrupt while the server runs."""
import csv
import gzip
import hashlib
import http.client
import io
import json
import os
import socket
import subprocess
import time

import pytest
import requests

from conftest import DATA, OFQ

PUB = os.path.join(DATA, "published")


def published_query(name):
    """The original sample query as the original client sends it: [id, start, end(, type)]."""
    rows = []
    with open(os.path.join(PUB, name)) as f:
        for r in csv.reader(f):
            rows.append([r[0], int(r[1]), int(r[2])] + r[3:])
    return rows


def sample_keys(url):
    text = requests.get(url + "query/list-fasta-files/").text
    lines = text.strip().split("\n")
    assert lines[0] == "sample_id,sample_key"
    return dict(line.split(",") for line in lines[1:])


# ---------------------------------------------------------------- the original routes

@pytest.mark.parametrize("sample,query,expected", [
    ("TARA_A100000171", "query_tara_a100000171.csv", "expected_tara_a100000171.csv"),
    ("TARA_R110002003", "query_tara_r110002003.csv", "expected_tara_r110002003.csv"),
])
def test_original_client_sequence_gives_published_csv(server, sample, query, expected):
    # The 0.1.x client: list-fasta-files -> POST fasta-sequences -> GET result.
    keys = sample_keys(server.url)
    r = requests.post(server.url + "query/fasta-sequences/",
                      json={"storage_key": keys[sample], "positions": published_query(query),
                            "output_format": "csv"})
    assert r.status_code == 200
    assert list(r.json()) == ["results_key"]
    # Ready before the POST returned: the first poll finds it.
    g = requests.get(server.url + "query/result/" + r.json()["results_key"])
    assert g.status_code == 200
    with open(os.path.join(PUB, expected), "rb") as f:
        assert g.content == f.read()


def test_list_routes(server):
    a = requests.get(server.url + "query/list-fasta-files/")
    b = requests.get(server.url + "query/list-queryable-samples/")
    assert a.status_code == b.status_code == 200
    assert a.content == b.content
    assert a.headers["Content-Type"].startswith("text/csv")
    with open(os.path.join(DATA, "catalog.tsv")) as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    assert a.text == "sample_id,sample_key\n" + "".join("%s,%s\n" % (r[0], r[1]) for r in rows)


def test_original_fasta_output(server):
    keys = sample_keys(server.url)
    r = requests.post(server.url + "query/fasta-sequences/",
                      json={"storage_key": keys["TARA_A100000171"],
                            "positions": [["TARA_A100000171_G_scaffold48_1", 10, 50, "complement"]],
                            "output_format": "fasta"})
    g = requests.get(server.url + "query/result/" + r.json()["results_key"])
    assert g.text == ">TARA_A100000171_G_scaffold48_1:10-50 complement\n" \
                     "ACCGTAACGTAGGCCATATTATTTTCATGGTCTTCCACAA\n"


def test_original_errors_come_straight_from_the_post(server):
    url = server.url + "query/fasta-sequences/"
    keys = sample_keys(server.url)
    k = keys["TARA_A100000171"]
    r = requests.post(url, json={"storage_key": k, "positions": [["nope", 0, 5], ["TARA_A100000171_G_scaffold48_1", 5, 2]]})
    assert r.status_code == 422
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert body["error"] == "bad_positions"
    assert body["rows"] == [
        {"row": 0, "id": "nope", "reason": "unknown sequence"},
        {"row": 1, "id": "TARA_A100000171_G_scaffold48_1", "reason": "start 5 is greater than end 2"}]
    r = requests.post(url, json={"storage_key": k, "positions": [], "output_format": "xml"})
    assert r.status_code == 400
    assert r.json() == {"error": "bad_request", "message": "output_format 'xml' is not one of csv, fasta"}
    r = requests.post(url, json={"positions": []})
    assert r.status_code == 400 and r.json()["error"] == "bad_request"
    r = requests.post(url, json={"storage_key": "published/none.gz", "positions": []})
    assert r.status_code == 404 and r.json()["error"] == "unknown_sample"


def test_original_result_unknown_key(server):
    r = requests.get(server.url + "query/result/0123")
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "message": "no result '0123'"}


def test_original_result_expires(start_server):
    s = start_server(DATA, "--result-ttl", "1")
    keys = sample_keys(s.url)
    r = requests.post(s.url + "query/fasta-sequences/",
                      json={"storage_key": keys["TARA_A100000171"],
                            "positions": [["TARA_A100000171_G_scaffold48_1", 0, 5]]})
    key = r.json()["results_key"]
    assert requests.get(s.url + "query/result/" + key).status_code == 200
    time.sleep(1.6)
    g = requests.get(s.url + "query/result/" + key)
    assert g.status_code == 410
    assert g.json()["error"] == "expired"


def test_original_genes_and_gaps_are_the_published_table(server):
    r = requests.get(server.url + "query/get-sample-genes-ids/TARA_R110002003")
    assert r.status_code == 200
    with open(os.path.join(PUB, "original_genes_and_gaps_tara_r110002003.tsv"), "rb") as f:
        assert r.content == f.read()
    # Pages are 1-based over the rows of that table.
    p = requests.get(server.url + "query/get-sample-genes-ids/TARA_R110002003?page=2&page_size=3")
    lines = r.text.split("\n")
    assert p.text == "\n".join([lines[0]] + lines[4:7]) + "\n"


def test_original_24_published_gaps(server):
    r = requests.get(server.url + "query/list-intergenic_regions/TARA_R110002003")
    assert r.status_code == 200
    with open(os.path.join(PUB, "original_genes_and_gaps_tara_r110002003.tsv")) as f:
        table = [line.rstrip("\n").split("\t") for line in f][1:]
    gaps = [row for row in table if row[1].startswith("gap__")]
    assert len(gaps) == 24
    expected = "sequence\tstart\tstop\tlength\tgen_before\tgen_after\n" + "".join(
        "%s\t%s\t%s\t%s\t%s\t%s\n" % ((g[0], g[3], g[4], g[5]) + tuple(g[1][5:].split("__")))
        for g in gaps)
    assert r.text == expected
    m = requests.get(server.url + "query/list-intergenic_regions/TARA_R110002003?min_length=1000")
    kept = [g for g in gaps if int(g[5]) >= 1000]
    assert m.text.count("\n") == 1 + len(kept)
    assert requests.get(server.url + "query/list-intergenic_regions/TARA_R110002003?page=0").status_code == 400
    e = requests.get(server.url + "query/list-intergenic_regions/TARA_A100000171")
    assert e.status_code == 404 and e.json()["error"] == "no_annotation"


# ---------------------------------------------------------------- /v1

def test_healthz_and_samples(server):
    h = requests.get(server.url + "healthz")
    assert h.status_code == 200
    assert h.json() == {"status": "ok", "samples": 11, "ready": 11, "building": 0, "failed": 0}
    s = requests.get(server.url + "v1/samples").json()["samples"]
    assert s[0] == {"sample_id": "TARA_A100000171",
                    "storage_key": "published/assemblies/TARA_A100000171.scaftig.gz",
                    "format": "gzip", "sequences": 6, "bases": 1083, "annotated": False,
                    "index": "ready"}
    assert [x["sample_id"] for x in s][:3] == ["TARA_A100000171", "TARA_R110002003", "VIBRIO_H1"]
    assert s[2]["format"] == "fasta" and s[2]["annotated"] is True
    one = requests.get(server.url + "v1/samples/YPESTIS_PPCP1").json()
    assert one["topology"] == {"gi|45478711|ref|NC_005816.1|": "circular"}
    assert one["index_details"]["records"] == 1


def test_records_with_digests(server):
    r = requests.get(server.url + "v1/samples/YPESTIS_PPCP1/records").json()
    rec = r["records"][0]
    with open(os.path.join(DATA, "real", "NC_005816.fna")) as f:
        seq = "".join(line.strip() for line in f if not line.startswith(">"))
    assert rec["id"] == "gi|45478711|ref|NC_005816.1|"
    assert rec["length"] == len(seq) == 9609
    assert rec["alphabet"] == "dna"
    assert rec["topology"] == "circular"
    assert rec["md5"] in (None, hashlib.md5(seq.upper().encode()).hexdigest())
    p = requests.get(server.url + "v1/samples/VIBRIO_H1/records?page=2&page_size=10").json()
    assert p["total"] == 1407 and p["page"] == 2 and len(p["records"]) == 10
    assert p["records"][0]["id"] == "NODE_10"


SEED = [["TARA_A100000171_G_scaffold48_1", 10, 50, "complement"],
        {"id": "TARA_A100000171_G_scaffold181_1", "start": 0, "end": 50}]
SEQ0 = "ACCGTAACGTAGGCCATATTATTTTCATGGTCTTCCACAA"
SEQ1 = "CCAAGACCAAGCAATTTTAACACCACACTTAGATACTGCGCAAACAGCGT"


@pytest.mark.parametrize("fmt,expected,ctype", [
    ("csv", "id,start,end,type,sequence\n"
            "TARA_A100000171_G_scaffold48_1,10,50,complement,%s\n"
            "TARA_A100000171_G_scaffold181_1,0,50,raw,%s\n" % (SEQ0, SEQ1), "text/csv"),
    ("tsv", "id\tstart\tend\ttype\tsequence\n"
            "TARA_A100000171_G_scaffold48_1\t10\t50\tcomplement\t%s\n"
            "TARA_A100000171_G_scaffold181_1\t0\t50\traw\t%s\n" % (SEQ0, SEQ1), "text/tab-separated-values"),
    ("fasta", ">TARA_A100000171_G_scaffold48_1:10-50 complement\n%s\n"
              ">TARA_A100000171_G_scaffold181_1:0-50 raw\n%s\n" % (SEQ0, SEQ1), None),
    ("ndjson", '{"id": "TARA_A100000171_G_scaffold48_1", "start": 10, "end": 50, "type": "complement", "sequence": "%s"}\n'
               '{"id": "TARA_A100000171_G_scaffold181_1", "start": 0, "end": 50, "type": "raw", "sequence": "%s"}\n'
               '{"summary": {"rows": 2, "clamped": 0}}\n' % (SEQ0, SEQ1), None),
])
def test_v1_batch_formats(server, fmt, expected, ctype):
    r = requests.post(server.url + "v1/samples/TARA_A100000171/sequences",
                      json={"positions": SEED, "format": fmt})
    assert r.status_code == 200
    assert r.text == expected
    if ctype:
        assert r.headers["Content-Type"].startswith(ctype)


def test_v1_batch_json(server):
    r = requests.post(server.url + "v1/samples/TARA_A100000171/sequences",
                      json={"positions": SEED + [["TARA_A100000171_G_C2001995_1", 500, 700]], "format": "json"})
    assert r.json() == {"sequences": [
        {"id": "TARA_A100000171_G_scaffold48_1", "start": 10, "end": 50, "type": "complement", "sequence": SEQ0},
        {"id": "TARA_A100000171_G_scaffold181_1", "start": 0, "end": 50, "type": "raw", "sequence": SEQ1},
        {"id": "TARA_A100000171_G_C2001995_1", "start": 500, "end": 700, "type": "raw",
         "sequence": "CGGTCGACCGGTGCGTCGAGAA"}], "clamped": 1}
    assert r.headers["X-Ofq-Clamped"] == "1"
    s = requests.post(server.url + "v1/samples/TARA_A100000171/sequences",
                      json={"positions": [["TARA_A100000171_G_C2001995_1", 500, 700]], "bounds": "strict"})
    assert s.status_code == 422 and s.json()["error"] == "bad_positions"
    assert s.json()["rows"][0]["row"] == 0


def test_v1_large_batch_streams_chunked_and_matches_extract(server, tmp_path):
    # 20,000 rows of one record: more than the stream buffer, so it goes out chunked.
    rec = "TARA_A100000171_G_C2001995_1"
    positions = [[rec, i % 400, i % 400 + 100] for i in range(20000)]
    r = requests.post(server.url + "v1/samples/TARA_A100000171/sequences",
                      json={"positions": positions}, stream=True)
    assert r.headers.get("Transfer-Encoding") == "chunked"
    body = r.content
    pos = tmp_path / "p.csv"
    pos.write_text("".join("%s,%d,%d\n" % tuple(p) for p in positions))
    out = subprocess.run([OFQ, "extract", os.path.join(PUB, "assemblies", "TARA_A100000171.scaftig.gz"),
                          str(pos), "-q", "--index-dir", str(tmp_path)], capture_output=True, check=True)
    assert body == out.stdout


def test_v1_region_get(server):
    u = server.url + "v1/samples/TARA_A100000171/sequences/TARA_A100000171_G_scaffold48_1"
    r = requests.get(u, params={"start": 10, "end": 50, "type": "reverse_complement"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    assert r.text == "AACACCTTCTGGTACTTTTATTATACCGGATGCAATGCCA"
    f = requests.get(u, params={"start": 10, "end": 50, "format": "csv"})
    assert f.text == "id,start,end,type,sequence\nTARA_A100000171_G_scaffold48_1,10,50,raw,TGGCATTGCATCCGGTATAATAAAAGTACCAGAAGGTGTT\n"
    h = requests.head(u, params={"start": 10, "end": 50})
    assert h.status_code == 200 and h.headers["Content-Length"] == "40" and h.content == b""
    e = requests.get(server.url + "v1/samples/TARA_A100000171/sequences/nope")
    assert e.status_code == 404
    assert e.json() == {"error": "unknown_sequence",
                        "message": "sample 'TARA_A100000171' has no sequence 'nope'; GET /v1/samples/TARA_A100000171/records lists them"}
    assert requests.get(u, params={"start": 9, "end": 2}).json() == {
        "error": "bad_request", "message": "start 9 is greater than end 2"}
    t = requests.get(u, params={"type": "Raw"})
    assert t.status_code == 400 and "Raw" in t.json()["message"]
    n = requests.get(u, params={"start": "-1"})
    assert n.status_code == 400 and n.json()["error"] == "bad_request"
    big = requests.get(u, params={"start": "99999999999999999999"})
    assert big.status_code == 400
    p = requests.get(server.url + "v1/samples/UNIPROT_20K/records?page_size=1").json()["records"][0]["id"]
    c = requests.get(server.url + "v1/samples/UNIPROT_20K/sequences/" + requests.utils.quote(p, safe=""),
                     params={"type": "complement", "end": 10})
    assert c.status_code == 422 and c.json()["error"] == "bad_positions"


def read_fasta_lengths(path):
    lengths, name = {}, None
    with open(path) as f:
        for line in f:
            if line.startswith(">"):
                name = line[1:].split()[0]
                lengths[name] = 0
            else:
                lengths[name] += len(line.strip())
    return lengths


def direct_intergenic(gff, lengths, order):
    """SEMANTICS.md's rule computed straight from the GFF, independently of the server."""
    genes = {}
    with open(gff) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            c = line.rstrip("\n").split("\t")
            if c[2] != "CDS":
                continue
            gid = dict(kv.split("=", 1) for kv in c[8].strip(";").split(";"))["ID"]
            genes.setdefault(c[0], []).append((int(c[3]), int(c[4]), c[6], gid))
    out = []
    for seq in sorted(genes, key=order.index):
        L = lengths[seq]
        covered = [False] * L
        for s, e, _, _ in genes[seq]:
            for i in range(s - 1, min(e, L)):
                covered[i] = True
        i = 0
        while i < L:
            if covered[i]:
                i += 1
                continue
            j = i
            while j < L and not covered[j]:
                j += 1
            before = [g for g in genes[seq] if g[1] == i]
            after = [g for g in genes[seq] if g[0] - 1 == j]
            out.append((seq, i, j, before[0][3] if before else None, after[0][3] if after else None,
                        before[0][2] if before else None, after[0][2] if after else None))
            i = j
    return out


def test_v1_intergenic_of_vibrio_matches_direct_computation(server):
    fa = os.path.join(DATA, "real", "vibrio_cholerae_H1_contigs.fa")
    lengths = read_fasta_lengths(fa)
    expected = direct_intergenic(os.path.join(DATA, "real", "vibrio_cholerae_H1_contigs.prodigal_meta.gff"),
                                 lengths, list(lengths))
    got, page = [], 1
    while True:
        r = requests.get(server.url + "v1/samples/VIBRIO_H1/intergenic",
                         params={"page": page, "page_size": 500}).json()
        got += r["regions"]
        if len(got) >= r["total"]:
            break
        page += 1
    assert r["total"] == len(expected)

    def orient(b, a):
        if b is None or a is None:
            return "edge"
        return "tandem" if b == a else ("divergent" if b == "-" else "convergent")

    assert [(g["sequence"], g["start"], g["stop"], g["gen_before"], g["gen_after"],
             g["strand_before"], g["strand_after"]) for g in got] == expected
    assert all(g["length"] == g["stop"] - g["start"] for g in got)
    assert [g["orientation"] for g in got] == [orient(e[5], e[6]) for e in expected]
    m = requests.get(server.url + "v1/samples/VIBRIO_H1/intergenic",
                     params={"min_length": 200, "page_size": 100000}).json()
    assert m["total"] == sum(1 for e in expected if e[2] - e[1] >= 200)


def test_v1_intergenic_tsv_and_side_by_side_with_original(server):
    v1 = requests.get(server.url + "v1/samples/TARA_R110002003/intergenic?format=tsv&page_size=3")
    assert v1.text == (
        "sequence\tstart\tstop\tlength\tgen_before\tgen_after\tstrand_before\tstrand_after\torientation\n"
        "TARA_R110002003_G_scaffold3_1\t0\t651\t651\t\tTARA_R110002003_G_scaffold3_1_gene1\t\t+\tedge\n"
        "TARA_R110002003_G_scaffold3_1\t912\t1003\t91\tTARA_R110002003_G_scaffold3_1_gene1\tTARA_R110002003_G_scaffold3_1_gene2\t+\t+\ttandem\n"
        "TARA_R110002003_G_scaffold3_1\t2089\t2171\t82\tTARA_R110002003_G_scaffold3_1_gene2\tTARA_R110002003_G_scaffold3_1_gene3\t+\t-\tconvergent\n")
    j = requests.get(server.url + "v1/samples/TARA_R110002003/intergenic?page_size=100000").json()
    # Side by side with the original: each scaftig's first region is an edge on /v1 (the
    # original credits it to the previous scaftig's last gene and counts one base more).
    # These scaftigs end at their last gene (published lengths are lower bounds), so there
    # is no tail region here; the Vibrio and discovery tests check tails.
    heads = [r for r in j["regions"] if r["gen_before"] is None]
    assert [(r["sequence"][-1], r["start"], r["stop"]) for r in heads] == [
        ("1", 0, 651), ("3", 0, 326), ("4", 0, 378), ("5", 0, 1604)]
    assert [r for r in j["regions"] if r["gen_after"] is None] == []
    # The original's 24 = 21 between genes of one scaftig + 3 across scaftigs; /v1 has the
    # 21 (one base shorter each) and the 4 heads.
    assert j["total"] == 21 + 4


def test_v1_genes(server):
    r = requests.get(server.url + "v1/samples/TARA_R110002003/genes",
                     params={"sequence": "TARA_R110002003_G_scaffold3_3"}).json()
    assert r["total"] == 2 and r["feature_type"] == "CDS"
    assert r["genes"][0] == {"sequence": "TARA_R110002003_G_scaffold3_3", "id": "TARA_R110002003_G_scaffold3_3_gene5",
                             "type": "CDS", "start": 326, "end": 944, "length": 618, "strand": "+",
                             "start_codon": "yes", "stop_codon": "yes", "gene_type": "complete"}
    t = requests.get(server.url + "v1/samples/VIBRIO_H1/genes?format=tsv&page_size=1")
    assert t.text.split("\n")[0] == "sequence\tid\ttype\tstart\tend\tlength\tstrand\tstart_codon\tstop_codon\tgene_type"


# ---------------------------------------------------------------- errors and safety

def test_malformed_bodies_get_json_errors_and_leave_the_server_unharmed(server):
    u = server.url + "v1/samples/TARA_A100000171/sequences"
    cases = [
        (b'{"positions": [', 400),
        (b'[1, 2]', 400),
        (b'{"positions": 5}', 400),
        (b'{"positions": [], "format": 3}', 400),
        (b'{"positions": [], "format": "xml"}', 400),
        (b'{"positions": [], "color": "red"}', 400),
        (b'{"positions": [["\xff\xfe", 1, 2]]}', 400),
        (b'', 400),
        (b'\x00\x01\x02', 400),
    ]
    for body, status in cases:
        r = requests.post(u, data=body)
        assert r.status_code == status, body
        assert r.headers["Content-Type"] == "application/json"
        assert r.json()["error"] == "bad_request"
    r = requests.post(u, data=b'{"positions": [["TARA_A100000171_G_scaffold48_1", 1.5, 2], '
                              b'["TARA_A100000171_G_scaffold48_1", "1", 2], '
                              b'["TARA_A100000171_G_scaffold48_1", 123456789012345678901234567890, 2], '
                              b'["TARA_A100000171_G_scaffold48_1", 1], {"id": "x"}]}')
    assert r.status_code == 422
    assert r.json()["rows"] == [
        {"row": 0, "id": "TARA_A100000171_G_scaffold48_1", "reason": "start must be a whole number, found '1.5'"},
        {"row": 1, "id": "TARA_A100000171_G_scaffold48_1", "reason": "start must be a whole number >= 0, found '\"1\"'"},
        {"row": 2, "id": "TARA_A100000171_G_scaffold48_1",
         "reason": "start is too large (at most 18446744073709551615), found '123456789012345678901234567890'"},
        {"row": 3, "id": "TARA_A100000171_G_scaffold48_1", "reason": "expected [id, start, end] or [id, start, end, type], found 2 item(s)"},
        {"row": 4, "id": "x", "reason": "missing start"}]
    assert requests.get(server.url + "healthz").status_code == 200


def test_routes_and_methods(server):
    r = requests.delete(server.url + "v1/samples")
    assert r.status_code == 405 and r.headers["Allow"] == "GET"
    r = requests.get(server.url + "v1/nothing")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = requests.get(server.url + "v1/samples/NOPE")
    assert r.status_code == 404 and r.json()["error"] == "unknown_sample"


def test_limits(start_server):
    s = start_server(DATA, "--max-body", "1000", "--max-positions", "3")
    u = s.url + "v1/samples/TARA_A100000171/sequences"
    r = requests.post(u, data=b'{"positions": [' + b'["a", 1, 2],' * 200 + b'["a", 1, 2]]}')
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    r = requests.post(u, json={"positions": [["a", 1, 2]] * 4})
    assert r.status_code == 413
    assert r.json()["message"].startswith("more than 3 positions in one request")
    assert requests.get(s.url + "healthz").status_code == 200


def test_path_traversal_keys_are_refused_and_never_opened(start_server, writable_catalog, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.fa").write_text(">s\nACGT\n")
    os.symlink(str(outside), str(writable_catalog / "link"))
    s = start_server(str(writable_catalog))
    u = s.url + "query/fasta-sequences/"
    for key in ["../outside/secret.fa", "/etc/passwd", "link/secret.fa", "published/../../outside/secret.fa",
                str(outside / "secret.fa")]:
        r = requests.post(u, json={"storage_key": key, "positions": [["s", 0, 2]]})
        assert r.status_code == 400, key
        assert r.json()["error"] == "bad_request"
        assert str(tmp_path) not in r.text
    # Raw targets: a client library would resolve a literal '..' itself.
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
    for target in ["/v1/samples/%2E%2E/records", "/v1/samples/..%2Fcatalog/genes",
                   "/query/list-intergenic_regions/%2E%2E", "/v1/samples/../records"]:
        conn.request("GET", target)
        r = conn.getresponse()
        body = json.loads(r.read())
        assert r.status == 400, target
        assert body == {"error": "bad_request", "message": "sample id '%s' holds '..'" %
                        ("../catalog" if "catalog" in target else "..")}
    conn.close()
    r = requests.get(s.url + "v1/samples/%2Fetc%2Fpasswd")
    assert r.status_code == 400


def test_catalog_path_leaving_root_is_a_startup_error(writable_catalog, tmp_path):
    (writable_catalog / "catalog.tsv").write_text("sample_id\tpath\tannotation\nX\t../x.fa\t\n")
    p = subprocess.run([OFQ, "serve", str(writable_catalog), "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 2
    assert "catalog.tsv line 2: path '../x.fa' holds '..'" in p.stderr


def test_discovery(start_server, tmp_path):
    root = tmp_path / "disc"
    (root / "a").mkdir(parents=True)
    (root / "a" / "S1.fa").write_text(">r1\nACGTACGT\n")
    with gzip.open(root / "a" / "S2.scaftig.gz", "wt") as f:
        f.write(">r2\nGGGG\n")
    (root / "a" / "S1.prodigal.gff").write_text("##gff-version 3\nr1\tp\tCDS\t2\t4\t.\t+\t0\tID=g1\n")
    (root / "notes.txt").write_text("not a fasta\n")
    s = start_server(str(root))
    got = requests.get(s.url + "v1/samples").json()["samples"]
    assert [(x["sample_id"], x["storage_key"], x["format"], x["annotated"]) for x in got] == [
        ("S1", "a/S1.fa", "fasta", True), ("S2", "a/S2.scaftig.gz", "gzip", False)]
    r = requests.get(s.url + "v1/samples/S1/intergenic?format=tsv").text
    assert r == ("sequence\tstart\tstop\tlength\tgen_before\tgen_after\tstrand_before\tstrand_after\torientation\n"
                 "r1\t0\t1\t1\t\tg1\t\t+\tedge\nr1\t4\t8\t4\tg1\t\t+\t\tedge\n")
    (root / "a" / "S1.other.fa").write_text(">x\nA\n")
    p = subprocess.run([OFQ, "serve", str(root), "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=20)
    assert p.returncode == 2
    assert "sample id 'S1' is given twice: a/S1.fa and a/S1.other.fa" in p.stderr
    assert "write a catalog.tsv" in p.stderr


def test_not_ready_is_503_with_retry_after(start_server, tmp_path):
    root = tmp_path / "slow"
    root.mkdir()
    # A big sample first, so that the small one waits in the indexing queue.
    line = "ACGT" * 25 + "\n"
    with open(root / "A_big.fa", "w") as f:
        for i in range(8):
            f.write(">big%d\n" % i)
            f.write(line * 80000)
    (root / "B_small.fa").write_text(">s\nACGT\n")
    s = start_server(str(root), wait_ready=False, own_index_dir=str(tmp_path / "idx"))
    r = requests.get(s.url + "v1/samples/B_small/sequences/s")
    if r.status_code == 200:
        pytest.skip("indexing finished before the first request")
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "2"
    assert r.json() == {"error": "not_ready", "message": "sample 'B_small' is being indexed; retry in a few seconds"}
    assert requests.get(s.url + "healthz").status_code == 200
    s.wait_ready()
    assert requests.get(s.url + "v1/samples/B_small/sequences/s").text == "ACGT"


def test_file_turning_corrupt_while_serving(start_server, writable_catalog, tmp_path):
    big = writable_catalog / "big.fa"
    with open(big, "w") as f:
        f.write(">chr\n")
        for i in range(40000):
            f.write("ACGTTGCA" * 10 + "\n")
    with open(writable_catalog / "catalog.tsv", "a") as f:
        f.write("BIG\tbig.fa\t\n")
    s = start_server(str(writable_catalog), own_index_dir=str(tmp_path / "idx"))
    u = s.url + "v1/samples/BIG/sequences/chr"
    assert requests.get(u, params={"start": 0, "end": 8}).text == "ACGTTGCA"
    # The file is cut short under the server: a streamed answer (3.2 Mb, more than one
    # piece) must fail as a transfer, never look whole.
    with open(big, "r+") as f:
        f.truncate(2_000_000)
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    conn.request("GET", "/v1/samples/BIG/sequences/chr?format=ndjson")
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.getheader("Transfer-Encoding") == "chunked"
    with pytest.raises(http.client.IncompleteRead) as failed:
        resp.read()
    conn.close()
    # ndjson ends with its error object; the transfer itself has no final chunk.
    partial = failed.value.partial.decode()
    tail = partial[partial.rindex('{"error":{'):]
    assert json.loads(tail) == {"error": {
        "error": "corrupt_input",
        "message": "big.fa: the file is shorter than its index says (ends before byte 2000001); "
                   "it changed after indexing: run 'ofq index'"}}
    assert str(tmp_path) not in partial
    # The sample was sent back to indexing and now serves what the file holds.
    s.wait_ready()
    st = requests.get(s.url + "v1/samples/BIG").json()
    assert st["index"] == "ready"
    assert st["bases"] == (2_000_000 - 5) // 81 * 80 + ((2_000_000 - 5) % 81)
    assert requests.get(u, params={"start": 0, "end": 8}).text == "ACGTTGCA"
    assert requests.get(s.url + "healthz").status_code == 200
    assert requests.get(s.url + "v1/samples/TARA_A100000171/sequences/TARA_A100000171_G_scaffold48_1",
                        params={"start": 10, "end": 14}).text == "TGGC"


def test_corrupt_gzip_gives_a_json_error(start_server, writable_catalog, tmp_path):
    s = start_server(str(writable_catalog), own_index_dir=str(tmp_path / "idx"))
    u = s.url + "v1/samples/TARA_R110002003/sequences/TARA_R110002003_G_scaffold3_5"
    # Nothing read yet, so nothing decoded is cached: the next read decodes damaged bytes.
    gz = writable_catalog / "published" / "assemblies" / "TARA_R110002003.scaftig.gz"
    data = bytearray(gz.read_bytes())
    for i in range(len(data) // 2, len(data) - 8):
        data[i] ^= 0x5A
    gz.write_bytes(bytes(data))
    r = requests.get(u, params={"start": 13000, "end": 13020})
    assert r.status_code in (500, 503)
    assert r.headers["Content-Type"] == "application/json"
    assert r.json()["error"] in ("internal", "not_ready")
    assert str(tmp_path) not in r.text
    assert requests.get(s.url + "healthz").status_code == 200


# ---------------------------------------------------------------- transport

def test_keep_alive_reuses_one_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    for _ in range(3):
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        assert r.status == 200
        r.read()
    sock = conn.sock
    conn.request("GET", "/v1/samples/TARA_A100000171/sequences/TARA_A100000171_G_scaffold48_1?end=4")
    r = conn.getresponse()
    assert r.read() == b"TTGG" or r.status == 200
    assert conn.sock is sock
    conn.close()


def test_idle_connection_is_closed_after_the_idle_timeout(start_server):
    s = start_server(DATA, "--idle-timeout", "1", "--header-timeout", "1")
    sock = socket.create_connection(("127.0.0.1", s.port))
    sock.settimeout(5)
    t0 = time.time()
    assert sock.recv(100) == b""
    assert 0.5 < time.time() - t0 < 4
    sock.close()


def test_garbage_request_line(server):
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.settimeout(5)
    sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
    data = sock.recv(4096)
    assert data.startswith(b"HTTP/1.1 400")
    sock.close()
    assert requests.get(server.url + "healthz").status_code == 200


def test_sigterm_stops_cleanly(start_server):
    s = start_server()
    assert s.stop() == 0


def test_http10_stream_ends_by_closing(server):
    # HTTP/1.0 has no chunked encoding: a streamed answer ends when the server closes.
    rec = "TARA_A100000171_G_C2001995_1"
    body = json.dumps({"positions": [[rec, 0, 500]] * 5000}).encode()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.settimeout(10)
    sock.sendall(b"POST /v1/samples/TARA_A100000171/sequences HTTP/1.0\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
    data = b""
    while True:
        got = sock.recv(1 << 16)
        if not got:
            break
        data += got
    sock.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200")
    assert b"chunked" not in head.lower()
    lines = payload.decode().split("\n")
    assert lines[0] == "id,start,end,type,sequence"
    assert len(lines) == 5002 and lines[-1] == ""
    assert all(line == lines[1] for line in lines[1:-1])


def test_original_large_job_runs_in_background_then_is_served(server):
    keys = sample_keys(server.url)
    rec = "TARA_A100000171_G_scaffold48_1"
    positions = [[rec, i % 40, i % 40 + 5] for i in range(30000)]
    r = requests.post(server.url + "query/fasta-sequences/",
                      json={"storage_key": keys["TARA_A100000171"], "positions": positions})
    assert r.status_code == 200
    key = r.json()["results_key"]
    deadline = time.time() + 30
    while True:
        g = requests.get(server.url + "query/result/" + key)
        if g.status_code != 404:
            break
        assert g.json()["error"] == "not_done"
        assert time.time() < deadline
        time.sleep(0.05)
    assert g.status_code == 200
    lines = g.text.split("\n")
    assert lines[0] == "id,start,end,type,sequence" and len(lines) == 30002
    assert lines[1] == rec + ",0,5,raw,ACTTA" or lines[1].startswith(rec + ",0,5,raw,")


def test_head_of_a_streamed_answer(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("HEAD", "/v1/samples/VIBRIO_H1/sequences/NODE_0?format=text")
    r = conn.getresponse()
    assert r.status == 200 and r.read() == b""
    conn.close()


def test_a_sample_whose_file_is_missing_is_said_at_startup(start_server, tmp_path):
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "catalog.tsv").write_text("sample_id\tpath\tannotation\nGONE\tnope.fa\t\n")
    s = start_server(str(root))
    assert "ofq serve: GONE failed: nope.fa: cannot open: No such file or directory\n" in s.log
    assert requests.get(s.url + "healthz").json()["failed"] == 1
