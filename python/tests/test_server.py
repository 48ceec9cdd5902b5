"""The client against a real ``ofq serve`` (conftest.py starts it on a free port over a
copy of the catalog): every function, the published results exactly, the errors with
the server's messages, a server stopped before and during a call."""

import io
import os
import re
import time

import pandas as pd
import pytest

import oceania
from oceania import OceaniaClient

from conftest import PUBLISHED, serve_has_option

SEED_SAMPLE = "TARA_A100000171"
# the original README's REQUEST_PARAMS, as notebooks have it
REQUEST_PARAMS = [
    ("TARA_A100000171_G_scaffold48_1", 10, 50, "complement"),
    ("TARA_A100000171_G_scaffold48_1", 10, 50),
    ("TARA_A100000171_G_scaffold48_1", 10, 50, "reverse_complement"),
    ("TARA_A100000171_G_scaffold181_1", 0, 50),
    ("TARA_A100000171_G_scaffold181_1", 100, 200),
    ("TARA_A100000171_G_scaffold181_1", 200, 230),
    ("TARA_A100000171_G_scaffold493_2", 54, 76),
    ("TARA_A100000171_G_scaffold50396_2", 87, 105),
    ("TARA_A100000171_G_C2001995_1", 20, 635),
    ("TARA_A100000171_G_C2026460_1", 0, 100),
]
R_SAMPLE = "TARA_R110002003"
R_PARAMS = [
    ("TARA_R110002003_G_scaffold3_1", 3290, 6293),
    ("TARA_R110002003_G_scaffold3_3", 0, 327),
    ("TARA_R110002003_G_scaffold3_3", 944, 2742),
    ("TARA_R110002003_G_scaffold3_4", 379, 379),
    ("TARA_R110002003_G_scaffold3_4", 1530, 1669),
]
SEQ_DTYPES = {"id": str, "start": "int64", "end": "int64", "type": str, "sequence": str}


def expected(name):
    """A published table, read the way the client reads answers."""
    return pd.read_csv(PUBLISHED / name, dtype=SEQ_DTYPES, keep_default_na=False, na_filter=False)


def expected_fasta(frame):
    out = []
    for row in frame.itertuples(index=False):
        out.append(f">{row.id}:{row.start}-{row.end} {row.type}\n")
        out += [row.sequence[i:i + 60] + "\n" for i in range(0, len(row.sequence), 60)]
    return "".join(out).encode()


def catalog_rows(root):
    rows = [line.split("\t") for line in (root / "catalog.tsv").read_text().splitlines()[1:] if line]
    return [(r[0], r[1]) for r in rows]


# ---- the seed's example and the published results -------------------------------------

def test_seed_example_gives_the_published_table(env_url):
    got = oceania.get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS)
    want = expected("expected_tara_a100000171.csv")
    pd.testing.assert_frame_equal(got, want)
    assert got["start"].dtype == "int64" and got["end"].dtype == "int64"
    # C2001995_1 is 522 bases long: the end stays as asked, the sequence is clamped
    assert (got.loc[8, "end"], len(got.loc[8, "sequence"])) == (635, 502)


def test_seed_example_under_50_ms(client):
    client.get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS)  # warm: index, connection
    times = []
    for _ in range(20):
        began = time.perf_counter()
        client.get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS)
        times.append(time.perf_counter() - began)
    times.sort()
    assert times[len(times) // 2] < 0.050, times


def test_second_published_query_keeps_the_empty_sequence(client):
    got = client.get_sequences_from_fasta(R_SAMPLE, R_PARAMS)
    pd.testing.assert_frame_equal(got, expected("expected_tara_r110002003.csv"))
    assert got.loc[3, "sequence"] == ""


def test_positions_as_lists_dicts_and_dataframe(client):
    want = expected("expected_tara_a100000171.csv")
    as_lists = [list(p) for p in REQUEST_PARAMS]
    pd.testing.assert_frame_equal(client.get_sequences_from_fasta(SEED_SAMPLE, as_lists), want)
    as_frame = want[["id", "start", "end", "type"]]
    pd.testing.assert_frame_equal(client.get_sequences_from_fasta(SEED_SAMPLE, as_frame), want)
    as_dicts = [dict(zip(("id", "start", "end", "type"), p)) for p in REQUEST_PARAMS]
    pd.testing.assert_frame_equal(client.get_sequences_from_fasta(SEED_SAMPLE, as_dicts), want)


def test_to_file_csv_is_the_published_file_byte_for_byte(env_url, tmp_path):
    out = tmp_path / "seed.csv"
    assert oceania.get_sequences_from_fasta_to_file(SEED_SAMPLE, REQUEST_PARAMS, "csv", str(out)) == 10
    assert out.read_bytes() == (PUBLISHED / "expected_tara_a100000171.csv").read_bytes()
    buf = io.BytesIO()
    OceaniaClient(url=env_url).get_sequences_from_fasta_to_file(R_SAMPLE, R_PARAMS, "csv", buf)
    assert buf.getvalue() == (PUBLISHED / "expected_tara_r110002003.csv").read_bytes()
    # a text file object gets the same text
    with open(tmp_path / "text.csv", "w") as f:
        assert oceania.get_sequences_from_fasta_to_file(SEED_SAMPLE, REQUEST_PARAMS, "csv", f) == 10
    assert (tmp_path / "text.csv").read_bytes() == (PUBLISHED / "expected_tara_a100000171.csv").read_bytes()


def test_to_file_fasta(client, tmp_path):
    out = tmp_path / "seed.fa"
    assert client.get_sequences_from_fasta_to_file(SEED_SAMPLE, REQUEST_PARAMS, "fasta", out) == 10
    assert out.read_bytes() == expected_fasta(expected("expected_tara_a100000171.csv"))
    # the original client's misspelled method name still works
    out2 = tmp_path / "r.fa"
    assert client.get_secuences_from_fasta_to_file(R_SAMPLE, R_PARAMS, "FASTA", out2) == 5
    assert out2.read_bytes() == expected_fasta(expected("expected_tara_r110002003.csv"))


def test_records_from_a_real_answer(client):
    from Bio import SeqIO
    got = client.get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS)
    text = io.StringIO()
    SeqIO.write(oceania.sequences_to_records(got), text, "fasta-2line")
    want = "".join(f">{r.id}:{r.start}-{r.end} {r.type}\n{r.sequence}\n"
                   for r in expected("expected_tara_a100000171.csv").itertuples())
    assert text.getvalue() == want


def test_na_is_a_sequence_not_a_missing_value(client):
    # NODE_427_1 of the Vibrio proteins reads ...LTLNALSF...: bases 26-28 are "NA"
    got = client.get_sequences_from_fasta("VIBRIO_H1_PROTEINS", [("NODE_427_1", 26, 28), ("NODE_427_1", 3, 3)])
    assert got["sequence"].tolist() == ["NA", ""]


def test_strict_bounds(client):
    ok = client.get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS[:8], bounds="strict")
    pd.testing.assert_frame_equal(ok, expected("expected_tara_a100000171.csv").head(8))
    with pytest.raises(oceania.BadPositionsError) as e:
        client.get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS, bounds="strict")
    assert e.value.rows == [{"row": 8, "id": "TARA_A100000171_G_C2001995_1",
                             "reason": STRICT_REASON}]


# ---- the catalog ------------------------------------------------------------------------

def test_list_fasta_files_is_the_catalog(env_url, server):
    want = pd.DataFrame(catalog_rows(server.root), columns=["sample_id", "sample_key"])
    pd.testing.assert_frame_equal(oceania.list_fasta_files(), want)
    pd.testing.assert_frame_equal(oceania.list_fasta_samples(), want)


def test_get_file_storage_key(env_url):
    assert oceania.get_file_storage_key(R_SAMPLE) == "published/assemblies/TARA_R110002003.scaftig.gz"
    with pytest.raises(oceania.UnknownSampleError) as e:
        oceania.get_file_storage_key("TARA_NOPE")
    assert str(e.value) == UNKNOWN_SAMPLE_MESSAGE


def test_a_storage_key_works_where_a_sample_id_does(client):
    # the 0.1.6 notebooks passed the sample_key
    key = client.get_file_storage_key(SEED_SAMPLE)
    pd.testing.assert_frame_equal(client.get_sequences_from_fasta(key, REQUEST_PARAMS),
                                  expected("expected_tara_a100000171.csv"))


def test_samples_records_and_one_region(client, server):
    samples = client.list_samples()
    assert samples["sample_id"].tolist() == [r[0] for r in catalog_rows(server.root)]
    row = samples.set_index("sample_id").loc["TARA_R110002003"]
    assert (row["storage_key"], row["format"], bool(row["annotated"])) == (
        "published/assemblies/TARA_R110002003.scaftig.gz", "gzip", True)
    assert client.get_sequence(SEED_SAMPLE, "TARA_A100000171_G_scaffold48_1", 10, 50, "complement") \
        == "ACCGTAACGTAGGCCATATTATTTTCATGGTCTTCCACAA"
    # the whole record, clamped past its end, as the batch route does
    assert len(client.get_sequence(SEED_SAMPLE, "TARA_A100000171_G_C2001995_1")) == 522
    assert client.get_sequence(SEED_SAMPLE, "TARA_A100000171_G_C2001995_1", 20, 635)[:20] \
        == "ACAGCACACCAAGCAGGTCG"
    with pytest.raises(oceania.UnknownSequenceError) as e:
        client.get_sequence(SEED_SAMPLE, "NOPE", 0, 10)
    assert str(e.value) == ("sample 'TARA_A100000171' has no sequence 'NOPE'; "
                            "GET /v1/samples/TARA_A100000171/records lists them")
    assert client.health() is True


def test_clamped_rows_are_counted(client):
    got = client.get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS)
    assert got.attrs["clamped"] == 1
    assert client.get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS[:3]).attrs["clamped"] == 0


# ---- genes and gaps, intergenic regions -------------------------------------------------

GENES_NA = {c: [""] for c in ("strand", "start_codon", "stop_codon", "gene_type")}


def published_genes_and_gaps():
    return pd.read_csv(PUBLISHED / "original_genes_and_gaps_tara_r110002003.tsv", sep="\t",
                       dtype={"original_sequence_id": str, "id": str, "start": "int64",
                              "stop": "int64", "length": "int64"},
                       keep_default_na=False, na_values=GENES_NA)


def published_gaps():
    gg = published_genes_and_gaps()
    gaps = gg[gg["id"].str.startswith("gap__")]
    before_after = gaps["id"].str.extract(r"^gap__(.+)__(.+)$")
    return pd.DataFrame({"sequence": gaps["original_sequence_id"].values,
                         "start": gaps["start"].values, "stop": gaps["stop"].values,
                         "length": gaps["length"].values,
                         "gen_before": before_after[0].values, "gen_after": before_after[1].values})


def test_list_genes_and_gaps_is_the_published_table(env_url):
    got = oceania.list_genes_and_gaps(R_SAMPLE)
    want = published_genes_and_gaps()
    assert len(got) == 49
    pd.testing.assert_frame_equal(got, want)
    assert got.loc[1, "strand"] != got.loc[1, "strand"]  # NaN, as the original printed it


def test_list_intergenic_regions_original(env_url):
    gaps = published_gaps()
    got = oceania.list_intergenic_regions(R_SAMPLE)
    assert list(got.columns) == ["sequence", "start", "stop", "length", "gen_before", "gen_after"]
    pd.testing.assert_frame_equal(got, gaps)
    long = oceania.list_intergenic_regions(R_SAMPLE, min_length=1000)
    pd.testing.assert_frame_equal(long, gaps[gaps["length"] >= 1000].reset_index(drop=True))
    page2 = oceania.list_intergenic_regions(R_SAMPLE, page=2, page_size=10)
    pd.testing.assert_frame_equal(page2, gaps.iloc[10:20].reset_index(drop=True))
    every = oceania.list_intergenic_regions(R_SAMPLE, page=None, page_size=7)
    pd.testing.assert_frame_equal(every, gaps)
    empty = oceania.list_intergenic_regions(R_SAMPLE, page=9)
    assert len(empty) == 0 and list(empty.columns) == list(gaps.columns)


def v1_intergenic_expected(root):
    """SEMANTICS.md's definition, computed here from the GFF and the FASTA."""
    import gzip
    from Bio import SeqIO
    lengths = {}
    with gzip.open(root / "published/assemblies/TARA_R110002003.scaftig.gz", "rt") as f:
        for rec in SeqIO.parse(f, "fasta"):
            lengths[rec.id] = len(rec.seq)
    genes = {}
    for line in (root / "published/assemblies/TARA_R110002003.genes.gff3").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        f = line.split("\t")
        gid = re.search(r"ID=([^;]+)", f[8]).group(1)
        genes.setdefault(f[0], []).append((int(f[3]), int(f[4]), f[6], gid))
    rows = []

    def orient(a, b):
        if a is None or b is None:
            return "edge"
        if a == b:
            return "tandem"
        return "divergent" if (a, b) == ("-", "+") else "convergent"

    for seq in lengths:  # FASTA order
        if seq not in genes:
            continue
        gs = sorted(genes[seq])
        cand = [(0, gs[0][0] - 1, None, gs[0])]
        cand += [(a[1], b[0] - 1, a, b) for a, b in zip(gs, gs[1:])]
        cand.append((gs[-1][1], lengths[seq], gs[-1], None))
        for start, stop, a, b in cand:
            if stop - start >= 1:
                rows.append({"sequence": seq, "start": start, "stop": stop, "length": stop - start,
                             "gen_before": a[3] if a else "", "gen_after": b[3] if b else "",
                             "strand_before": a[2] if a else "", "strand_after": b[2] if b else "",
                             "orientation": orient(a and a[2], b and b[2])})
    return pd.DataFrame(rows)


def test_list_genes_v1(client, server):
    genes = client.list_genes(R_SAMPLE)
    gff = [l.split("\t") for l in (server.root / "published/assemblies/TARA_R110002003.genes.gff3")
           .read_text().splitlines() if l and not l.startswith("#")]
    assert genes["id"].tolist() == [re.search(r"ID=([^;]+)", f[8]).group(1) for f in gff]
    assert genes["start"].tolist() == [int(f[3]) - 1 for f in gff]
    assert genes["end"].tolist() == [int(f[4]) for f in gff]
    assert genes["strand"].tolist() == [f[6] for f in gff]
    one = client.list_genes(R_SAMPLE, sequence="TARA_R110002003_G_scaffold3_3")
    assert one["id"].tolist() == ["TARA_R110002003_G_scaffold3_3_gene5", "TARA_R110002003_G_scaffold3_3_gene6"]
    with pytest.raises(oceania.NoAnnotationError) as e:
        client.list_genes(SEED_SAMPLE)
    assert str(e.value) == "sample 'TARA_A100000171' has no gene annotation in this catalog"


def test_list_intergenic_regions_v1(client, server):
    want = v1_intergenic_expected(server.root)
    got = client.list_intergenic_regions(R_SAMPLE, page=None, page_size=1000, definition="v1")
    pd.testing.assert_frame_equal(got, want)
    # the first gene's edge region: before gene1 (652..912), [0, 651)
    assert got.loc[0].to_dict() == {
        "sequence": "TARA_R110002003_G_scaffold3_1", "start": 0, "stop": 651, "length": 651,
        "gen_before": "", "gen_after": "TARA_R110002003_G_scaffold3_1_gene1", "strand_before": "",
        "strand_after": "+", "orientation": "edge"}


# ---- errors: the server's messages ------------------------------------------------------

def test_unknown_sample(client):
    with pytest.raises(oceania.UnknownSampleError) as e:
        client.get_sequences_from_fasta("TARA_NOPE", REQUEST_PARAMS)
    assert (str(e.value), e.value.code, e.value.status) == (UNKNOWN_SAMPLE_MESSAGE, "unknown_sample", 404)


def test_every_bad_row_is_reported_together(client):
    bad = [("TARA_A100000171_G_scaffold48_1", 10, 50),
           ("NO_SUCH_SEQUENCE", 0, 10),
           ("TARA_A100000171_G_scaffold48_1", 50, 10),
           ("TARA_A100000171_G_scaffold48_1", 0, 10, "reverse"),
           ("TARA_A100000171_G_scaffold48_1", -1, 10),
           ("TARA_A100000171_G_scaffold48_1", 0),
           ("TARA_A100000171_G_scaffold48_1", "x", 10)]
    with pytest.raises(oceania.BadPositionsError) as e:
        client.get_sequences_from_fasta(SEED_SAMPLE, bad)
    assert (e.value.code, e.value.status) == ("bad_positions", 422)
    assert e.value.message == BAD_MESSAGE
    assert e.value.rows == BAD_ROWS
    assert str(e.value) == (BAD_MESSAGE + "; row 1 (NO_SUCH_SEQUENCE): unknown sequence; "
                            "row 2 (TARA_A100000171_G_scaffold48_1): start 50 is greater than end 10; "
                            "row 3 (TARA_A100000171_G_scaffold48_1): unknown type 'reverse': expected "
                            "raw, complement or reverse_complement; row 4 (TARA_A100000171_G_scaffold48_1): "
                            "start must be >= 0, found '-1'; row 5 (TARA_A100000171_G_scaffold48_1): "
                            "expected [id, start, end] or [id, start, end, type], found 2 item(s); "
                            "and 1 more rows")


# ---- access -----------------------------------------------------------------------------

def test_token(own_server, tmp_path, monkeypatch):
    if not serve_has_option("--tokens"):
        pytest.skip("THIS ofq serve HAS NO --tokens (API.md, Access): the token test cannot run")
    tokens = tmp_path / "tokens"
    tokens.write_text("s3cret-token\n")
    s = own_server("--tokens", str(tokens))
    with pytest.raises(oceania.UnauthorizedError) as e:
        OceaniaClient(url=s.url).get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS)
    assert (e.value.status, e.value.code, str(e.value)) == (
        401, "unauthorized", "this server needs a token: send Authorization: Bearer TOKEN "
                             "(Python client: token= or OCEANIA_API_TOKEN)")
    with pytest.raises(oceania.UnauthorizedError) as e:
        OceaniaClient(url=s.url, token="wrong").list_fasta_files()
    assert str(e.value) == "the token sent is not valid for this server"
    want = expected("expected_tara_a100000171.csv")
    got = OceaniaClient(url=s.url, token="s3cret-token").get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS)
    pd.testing.assert_frame_equal(got, want)
    monkeypatch.setenv("OCEANIA_API_URL", s.url)
    monkeypatch.setenv("OCEANIA_API_TOKEN", "s3cret-token")
    pd.testing.assert_frame_equal(oceania.get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS), want)


# ---- the server stopped -----------------------------------------------------------------

def test_server_stopped_before_the_call(own_server):
    s = own_server()
    c = OceaniaClient(url=s.url)
    pd.testing.assert_frame_equal(c.get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS),
                                  expected("expected_tara_a100000171.csv"))
    s.stop()
    with pytest.raises(oceania.ServerUnreachableError) as e:
        c.get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS)
    assert str(e.value) == (f"cannot reach the server at {s.url} (is `ofq serve` running there? "
                            "set the URL with OceaniaClient(url=...) or OCEANIA_API_URL)")


CUT_SHORT = r"the answer from {} was cut short after [0-9]+ bytes \(the server stopped or failed while sending it\)"


def big_batch():
    """About 200 MB of answer from the Vibrio contigs: long enough to be cut mid-way."""
    return [("NODE_1056", 0, 100_000)] * 2000  # NODE_1056 is 134,054 bases long


class KillOnFirstWrite(io.RawIOBase):
    def __init__(self, server):
        self.server = server
        self.written = 0

    def writable(self):
        return True

    def write(self, b):
        if not self.written:
            self.server.kill()
        self.written += len(b)
        return len(b)


def test_server_killed_while_streaming_to_a_file(own_server):
    s = own_server()
    sink = KillOnFirstWrite(s)
    with pytest.raises(oceania.TransferError) as e:
        OceaniaClient(url=s.url).get_sequences_from_fasta_to_file("VIBRIO_H1", big_batch(), "csv", sink)
    assert re.fullmatch(CUT_SHORT.format(re.escape(s.url)), str(e.value)), str(e.value)
    assert 0 < sink.written < 2000 * 100_000


def kill_as_the_answer_begins(client, server):
    """Kill the server as the answer's headers arrive, before its body is read."""
    client._session.hooks["response"].append(lambda r, *a, **k: server.kill())


def test_server_killed_while_streaming_to_a_dataframe(own_server):
    s = own_server()
    c = OceaniaClient(url=s.url)
    kill_as_the_answer_begins(c, s)
    with pytest.raises(oceania.TransferError) as e:
        c.get_sequences_from_fasta("VIBRIO_H1", big_batch())
    assert re.fullmatch(CUT_SHORT.format(re.escape(s.url)), str(e.value)), str(e.value)


def test_server_killed_while_streaming_to_a_path_leaves_no_file(own_server, tmp_path):
    s = own_server()
    c = OceaniaClient(url=s.url)
    kill_as_the_answer_begins(c, s)
    with pytest.raises(oceania.TransferError) as e:
        c.get_sequences_from_fasta_to_file("VIBRIO_H1", big_batch(), "fasta", tmp_path / "x.fa")
    assert re.fullmatch(CUT_SHORT.format(re.escape(s.url)), str(e.value)), str(e.value)
    assert os.listdir(tmp_path) == []


# ---- jobs -------------------------------------------------------------------------------

def test_job_route_gives_the_same_answer(client, server, capsys):
    import requests
    probe = requests.post(server.url + "v1/jobs", json={}, timeout=10)
    if probe.status_code in (404, 405) and probe.json().get("error") in ("not_found", "method_not_allowed"):
        pytest.skip("THIS ofq serve HAS NO /v1/jobs (issue 5): the job test cannot run")
    got = client.get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS, job=True)
    pd.testing.assert_frame_equal(got, expected("expected_tara_a100000171.csv"))
    # over job_threshold the job route is taken by itself, with a progress bar
    c = OceaniaClient(url=server.url, job_threshold=5, progress=True)
    pd.testing.assert_frame_equal(c.get_sequences_from_fasta(SEED_SAMPLE, REQUEST_PARAMS),
                                  expected("expected_tara_a100000171.csv"))
    out = io.BytesIO()
    assert c.get_sequences_from_fasta_to_file(SEED_SAMPLE, REQUEST_PARAMS, "csv", out) == 10
    assert out.getvalue() == (PUBLISHED / "expected_tara_a100000171.csv").read_bytes()
    assert "oceania job " in capsys.readouterr().err
    # a job refused for its positions raises as the streamed route does
    with pytest.raises(oceania.BadPositionsError) as e:
        client.get_sequences_from_fasta(SEED_SAMPLE, [REQUEST_PARAMS[0], ("NO_SUCH_SEQUENCE", 0, 10)], job=True)
    assert (e.value.message, e.value.rows) == (
        "1 of 2 positions of sample 'TARA_A100000171' is invalid; nothing was extracted",
        [{"row": 1, "id": "NO_SUCH_SEQUENCE", "reason": "unknown sequence"}])
    with pytest.raises(oceania.UnknownSampleError) as e:
        client.get_sequences_from_fasta("TARA_NOPE", REQUEST_PARAMS, job=True)
    assert str(e.value) == UNKNOWN_SAMPLE_MESSAGE


# Filled in from the real server's answers (its messages are the contract the client
# passes on unchanged).
UNKNOWN_SAMPLE_MESSAGE = "no sample 'TARA_NOPE' in this catalog; GET /v1/samples lists them"
STRICT_REASON = "end 635 is past the end of the sequence (length 522)"
BAD_MESSAGE = "6 of 7 positions of sample 'TARA_A100000171' are invalid; nothing was extracted"
BAD_ROWS = [
    {"row": 1, "id": "NO_SUCH_SEQUENCE", "reason": "unknown sequence"},
    {"row": 2, "id": "TARA_A100000171_G_scaffold48_1", "reason": "start 50 is greater than end 10"},
    {"row": 3, "id": "TARA_A100000171_G_scaffold48_1",
     "reason": "unknown type 'reverse': expected raw, complement or reverse_complement"},
    {"row": 4, "id": "TARA_A100000171_G_scaffold48_1", "reason": "start must be >= 0, found '-1'"},
    {"row": 5, "id": "TARA_A100000171_G_scaffold48_1",
     "reason": "expected [id, start, end] or [id, start, end, type], found 2 item(s)"},
    {"row": 6, "id": "TARA_A100000171_G_scaffold48_1", "reason": "start must be a whole number >= 0, found '\"x\"'"},
]


def test_the_0_1_6_gaps_notebook_runs_unchanged(env_url):
    """The cells of the demo's notebooks/query_tara_gaps.ipynb (0.1.6 client), as written."""
    from oceania import list_fasta_samples
    fasta_samples = list_fasta_samples()

    from oceania import list_genes_and_gaps
    SAMPLE_ID = "TARA_R110002003"
    sample_key = fasta_samples[fasta_samples.sample_id == SAMPLE_ID]['sample_key'].values[0]
    gaps_df = list_genes_and_gaps(SAMPLE_ID)

    gaps_filter = 'length > 100 and id.str.startswith("gap__")'
    selected_gaps = gaps_df.query(gaps_filter, engine='python').head(5)

    request_gaps = selected_gaps[['original_sequence_id', 'start', 'stop']].copy()
    request_params = []
    for row in request_gaps.itertuples():
        request_params.append(
            (row[1], int(row[2]), int(row[3]))
        )

    from oceania import get_sequences_from_fasta
    request_result = get_sequences_from_fasta(
        sample_key,
        request_params
    )
    # what the notebook printed
    assert sample_key == "published/assemblies/TARA_R110002003.scaftig.gz"
    assert selected_gaps.index.tolist() == [5, 7, 9, 11, 13]
    assert request_params == [("TARA_R110002003_G_scaffold3_1", 3290, 6293),
                              ("TARA_R110002003_G_scaffold3_3", 0, 327),
                              ("TARA_R110002003_G_scaffold3_3", 944, 2742),
                              ("TARA_R110002003_G_scaffold3_4", 0, 379),
                              ("TARA_R110002003_G_scaffold3_4", 1530, 1669)]
    published = expected("expected_tara_r110002003.csv")
    same = [0, 1, 2, 4]  # the published query asked 379-379 where this one asks 0-379
    pd.testing.assert_frame_equal(request_result.iloc[same].reset_index(drop=True),
                                  published.iloc[same].reset_index(drop=True))
    assert request_result.loc[3, ["id", "start", "end", "type"]].tolist() == [
        "TARA_R110002003_G_scaffold3_4", 0, 379, "raw"]
    assert len(request_result.loc[3, "sequence"]) == 379
