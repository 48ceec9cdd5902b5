"""Client behaviour that needs no real server: positions, parsing, the error model, and
the failures scripted with the stub (hangs, cut answers, proxies, retries, jobs)."""

import json
import os
import socket
import time

import numpy as np
import pandas as pd
import pytest

import oceania
from oceania import OceaniaClient
from oceania._positions import normalize

import stub as S

CSV_HEADER = b"id,start,end,type,sequence\n"


@pytest.fixture
def make_stub():
    made = []

    def make(*steps):
        s = S.Stub(steps)
        made.append(s)
        return s
    yield make
    for s in made:
        s.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- positions --------------------------------------------------------------------------

def test_positions_tuples_lists_dicts_and_numbers():
    got = normalize([("a", 1, 2), ["b", 3, 4, "complement"], {"id": "c", "start": 5, "end": 6},
                     {"id": "d", "start": np.int32(0), "end": 1.0, "type": None},
                     ("e", np.int64(7), 8.0), ("f", 1, 2, float("nan"))])
    assert got == [("a", 1, 2), ["b", 3, 4, "complement"], {"id": "c", "start": 5, "end": 6},
                   {"id": "d", "start": 0, "end": 1}, ["e", 7, 8], ["f", 1, 2]]
    assert type(got[4][1]) is int and type(got[4][2]) is int


def test_positions_the_server_must_judge_go_as_they_are():
    # arity, non-whole numbers, strings: the server names every bad row with its reason
    got = normalize([("a", 1), ("c", "x", 2), ("d", 1, 2.5), "e,1,2", ("g", float("nan"), 3)])
    assert got == [["a", 1], ["c", "x", 2], ["d", 1, 2.5], "e,1,2", ["g", None, 3]]


def test_positions_dataframe_with_and_without_type():
    frame = pd.DataFrame({"id": ["a", "b"], "start": [1, 2], "end": [3, 4],
                          "type": ["raw", "reverse_complement"]})
    assert normalize(frame) == [("a", 1, 3, "raw"), ("b", 2, 4, "reverse_complement")]
    # an intergenic table goes as it is: sequence, start, stop
    frame = pd.DataFrame({"sequence": ["s1"], "start": [4], "stop": [9], "length": [5],
                          "gen_before": ["g1"], "gen_after": ["g2"]})
    assert normalize(frame) == [("s1", 4, 9)]
    frame = pd.DataFrame({"id": ["a", "b"], "start": [1, 2], "end": [3, 4], "type": ["complement", None]})
    assert normalize(frame) == [("a", 1, 3, "complement"), ["b", 2, 4]]
    frame = pd.DataFrame({"id": ["a", "b"], "start": [1.0, None], "end": [3, 4]})
    assert normalize(frame) == [["a", 1, 3], ["b", None, 4]]


def test_positions_that_cannot_be_sent():
    with pytest.raises(oceania.BadPositionsError) as e:
        normalize(pd.DataFrame({"name": ["a"], "start": [1], "end": [2]}))
    assert str(e.value) == ("the positions DataFrame has no sequence id column (looked for id, "
                            "sequence_id, original_sequence_id, sequence); its columns are name, start, end")
    with pytest.raises(oceania.BadPositionsError) as e:
        normalize("TARA,1,2")
    assert str(e.value) == ("positions must be a list of (sequence_id, start, end[, type]) tuples "
                            "or a DataFrame, not str")
    with pytest.raises(oceania.BadRequestError) as e:
        OceaniaClient(url="http://127.0.0.1:9/").get_sequences_from_fasta("X", [("a", 0, object)])
    assert str(e.value) == "cannot send type <class 'object'> as JSON in a position"


def test_error_str_lists_at_most_five_rows():
    rows = [{"row": i, "id": f"s{i}", "reason": "unknown sequence"} for i in range(7)]
    err = oceania.BadPositionsError("7 positions are wrong", rows=rows)
    assert str(err) == ("7 positions are wrong; row 0 (s0): unknown sequence; row 1 (s1): unknown "
                        "sequence; row 2 (s2): unknown sequence; row 3 (s3): unknown sequence; "
                        "row 4 (s4): unknown sequence; and 2 more rows")
    assert err.message == "7 positions are wrong" and err.rows == rows


# ---- configuration ----------------------------------------------------------------------

def test_url_token_from_argument_then_environment_then_default(monkeypatch):
    monkeypatch.delenv("OCEANIA_API_URL", raising=False)
    monkeypatch.delenv("OCEANIA_API_TOKEN", raising=False)
    c = OceaniaClient()
    assert c.url == "http://127.0.0.1:8080/" and c.token is None
    assert "Authorization" not in c._session.headers
    monkeypatch.setenv("OCEANIA_API_URL", "http://example.org:9000/api")
    monkeypatch.setenv("OCEANIA_API_TOKEN", "s3cret")
    c = OceaniaClient()
    assert c.url == "http://example.org:9000/api/"
    assert c._session.headers["Authorization"] == "Bearer s3cret"
    # not loopback: gzip is welcome
    assert c._session.headers["Accept-Encoding"] != "identity"
    c = OceaniaClient(url="localhost:1234", token="t2")
    assert c.url == "http://localhost:1234/"
    assert c._session.headers["Authorization"] == "Bearer t2"
    assert c._session.headers["Accept-Encoding"] == "identity"


def test_module_functions_follow_the_environment(make_stub, monkeypatch):
    a = make_stub(S.reply(200, "sample_id,sample_key\nA,a/A.fa\n", content_type="text/csv"))
    b = make_stub(S.reply(200, "sample_id,sample_key\nB,b/B.fa\n", content_type="text/csv"))
    monkeypatch.setenv("OCEANIA_API_URL", a.url)
    monkeypatch.setenv("OCEANIA_API_TOKEN", "tok-a")
    assert oceania.list_fasta_files().to_dict("list") == {"sample_id": ["A"], "sample_key": ["a/A.fa"]}
    monkeypatch.setenv("OCEANIA_API_URL", b.url)
    assert oceania.list_fasta_samples().to_dict("list") == {"sample_id": ["B"], "sample_key": ["b/B.fa"]}
    assert a.requests[0]["path"] == "/query/list-fasta-files/"
    assert a.requests[0]["headers"]["Authorization"] == "Bearer tok-a"
    assert b.requests[0]["path"] == "/query/list-fasta-files/"


# ---- the request and the answer ---------------------------------------------------------

def test_request_body_and_parsing_keep_text_as_text(make_stub):
    answer = (CSV_HEADER + b"s1,0,2,raw,NA\ns1,2,2,raw,\ns2,0,3,complement,NaN\n"
              b"s3,0,4,raw,null\ns4,1,5,reverse_complement,acgt\n")
    s = make_stub(S.reply(200, answer, content_type="text/csv"))
    c = OceaniaClient(url=s.url, token="abc")
    df = c.get_sequences_from_fasta("SAMPLE 1", [("s1", 0, 2), ("s1", 2, 2), ("s2", 0, 3, "complement"),
                                                 ["s3", 0, 4], ("s4", 1, 5, "reverse_complement")],
                                    bounds="strict")
    req = s.requests[0]
    assert req["method"] == "POST" and req["path"] == "/v1/samples/SAMPLE%201/sequences"
    assert json.loads(req["body"]) == {
        "positions": [["s1", 0, 2], ["s1", 2, 2], ["s2", 0, 3, "complement"], ["s3", 0, 4],
                      ["s4", 1, 5, "reverse_complement"]],
        "format": "csv", "bounds": "strict"}
    assert req["headers"]["Authorization"] == "Bearer abc"
    assert req["headers"]["Accept-Encoding"] == "identity"
    assert req["headers"]["Content-Type"] == "application/json"
    assert list(df.columns) == ["id", "start", "end", "type", "sequence"]
    assert df["sequence"].tolist() == ["NA", "", "NaN", "null", "acgt"]
    assert df["id"].tolist() == ["s1", "s1", "s2", "s3", "s4"]
    assert df["start"].dtype == np.int64 and df["end"].dtype == np.int64
    assert df["end"].tolist() == [2, 2, 3, 4, 5]


def test_all_empty_sequences_are_empty_strings(make_stub):
    s = make_stub(S.reply(200, CSV_HEADER + b"s1,3,3,raw,\ns1,5,5,raw,\n", content_type="text/csv"))
    df = OceaniaClient(url=s.url).get_sequences_from_fasta("X", [("s1", 3, 3), ("s1", 5, 5)])
    assert df["sequence"].tolist() == ["", ""]


def test_bad_bounds_and_format_are_refused_before_any_request(make_stub):
    s = make_stub()
    c = OceaniaClient(url=s.url)
    with pytest.raises(oceania.BadRequestError) as e:
        c.get_sequences_from_fasta("X", [("s", 0, 1)], bounds="loose")
    assert str(e.value) == "bounds must be 'clamp' or 'strict', got 'loose'"
    with pytest.raises(oceania.BadRequestError) as e:
        c.get_sequences_from_fasta_to_file("X", [("s", 0, 1)], "json", "/tmp/never")
    assert str(e.value) == "output_format must be 'csv' or 'fasta', got 'json'"
    assert s.requests == []


def test_short_answer_is_a_transfer_error(make_stub):
    s = make_stub(S.reply(200, CSV_HEADER + b"s1,0,2,raw,AC\n", content_type="text/csv"))
    with pytest.raises(oceania.TransferError) as e:
        OceaniaClient(url=s.url).get_sequences_from_fasta("X", [("s1", 0, 2), ("s1", 0, 2)])
    assert str(e.value) == "the server answered 1 rows for 2 positions"


def test_sample_key_is_resolved_to_its_sample_id(make_stub):
    listing = "sample_id,sample_key\nTARA_A,published/assemblies/TARA_A.scaftig.gz\n"
    s = make_stub(S.reply(200, listing, content_type="text/csv"),
                  S.reply(200, CSV_HEADER + b"s,0,1,raw,A\n", content_type="text/csv"),
                  S.reply(200, listing, content_type="text/csv"),
                  S.reply(200, CSV_HEADER + b"s,0,1,raw,A\n", content_type="text/csv"),
                  S.reply(200, listing, content_type="text/csv"))
    c = OceaniaClient(url=s.url)
    assert c.get_sequences_from_fasta("published/assemblies/TARA_A.scaftig.gz", [("s", 0, 1)])["sequence"][0] == "A"
    assert s.requests[1]["path"] == "/v1/samples/TARA_A/sequences"
    # the original's own keys name other folders; the file name still finds the sample
    c.get_sequences_from_fasta("data/raw/tara/OM-RGC_v2/assemblies/TARA_A.scaftig.gz", [("s", 0, 1)])
    assert s.requests[3]["path"] == "/v1/samples/TARA_A/sequences"
    with pytest.raises(oceania.UnknownSampleError) as e:
        c.get_sequences_from_fasta("data/TARA_B.scaftig.gz", [("s", 0, 1)])
    assert str(e.value) == (f"no sample of the catalog at {s.url} has the storage key "
                            "'data/TARA_B.scaftig.gz' (list_fasta_files() lists them)")


# ---- errors from the server -------------------------------------------------------------

def test_json_errors_become_their_classes(make_stub):
    rows = [{"row": 1, "id": "nope", "reason": "unknown sequence"}]
    s = make_stub(
        S.reply(422, {"error": "bad_positions", "message": "1 position is wrong", "rows": rows}),
        S.reply(404, {"error": "unknown_sample", "message": "no sample 'Z' in the catalog"}),
        S.reply(401, {"error": "unauthorized", "message": "this server needs a token"}),
        S.reply(413, {"error": "too_large", "message": "at most 10 positions"}),
        S.reply(500, {"error": "internal", "message": "boom"}),
        S.reply(400, {"error": "bad_request", "message": "malformed JSON"}),
    )
    c = OceaniaClient(url=s.url, job_threshold=100)
    with pytest.raises(oceania.BadPositionsError) as e:
        c.get_sequences_from_fasta("X", [("s", 0, 1), ("nope", 0, 1)])
    assert (e.value.message, e.value.code, e.value.status, e.value.rows) == (
        "1 position is wrong", "bad_positions", 422, rows)
    assert str(e.value) == "1 position is wrong; row 1 (nope): unknown sequence"
    with pytest.raises(oceania.UnknownSampleError) as e:
        c.get_sequences_from_fasta("Z", [("s", 0, 1)])
    assert str(e.value) == "no sample 'Z' in the catalog" and isinstance(e.value, LookupError)
    with pytest.raises(oceania.UnauthorizedError) as e:
        c.list_fasta_files()
    assert str(e.value) == "this server needs a token"
    with pytest.raises(oceania.TooLargeError) as e:
        c.get_sequences_from_fasta("X", [("s", 0, 1)], job=False)
    assert str(e.value) == "at most 10 positions"
    with pytest.raises(oceania.ServerError) as e:
        c.list_fasta_files()
    assert (str(e.value), e.value.status) == ("boom", 500)
    with pytest.raises(oceania.BadRequestError) as e:
        c.get_file_storage_key("X")
    assert str(e.value) == "malformed JSON"


def test_non_json_errors_say_what_came_back(make_stub):
    s = make_stub(S.reply(502, "<html>Bad Gateway</html>", content_type="text/html"),
                  S.reply(404, "<html>Not Found</html>", content_type="text/html"))
    c = OceaniaClient(url=s.url)
    with pytest.raises(oceania.ServerError) as e:
        c.list_fasta_files()
    assert str(e.value) == f"the server at {s.url} answered HTTP 502 Bad Gateway: <html>Bad Gateway</html>"
    with pytest.raises(oceania.ProtocolError) as e:
        c.list_fasta_files()
    assert str(e.value) == (f"the server at {s.url} has no route /query/list-fasta-files/ "
                            "(is OCEANIA_API_URL the address of an ofq server?)")


def test_retry_after_is_honoured_within_the_timeout(make_stub):
    s = make_stub(S.reply(503, {"error": "not_ready", "message": "index building"}, {"Retry-After": "0.2"}),
                  S.reply(429, {"error": "rate_limited", "message": "slow down"}, {"Retry-After": "0.1"}),
                  S.reply(200, "sample_id,sample_key\nA,a.fa\n", content_type="text/csv"),
                  S.reply(503, {"error": "not_ready", "message": "index building"}, {"Retry-After": "5"}))
    c = OceaniaClient(url=s.url, timeout=2)
    began = time.monotonic()
    assert c.list_fasta_files()["sample_id"].tolist() == ["A"]
    assert 0.3 <= time.monotonic() - began < 1.5
    with pytest.raises(oceania.NotReadyError) as e:
        c.list_fasta_files()  # Retry-After beyond the timeout: no endless wait
    assert str(e.value) == "index building"


# ---- the server gone, slow, or dying ----------------------------------------------------

def test_unreachable_server():
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(oceania.ServerUnreachableError) as e:
        OceaniaClient(url=url).get_sequences_from_fasta("X", [("s", 0, 1)])
    assert str(e.value) == (f"cannot reach the server at {url} (is `ofq serve` running there? "
                            "set the URL with OceaniaClient(url=...) or OCEANIA_API_URL)")
    assert isinstance(e.value, ConnectionError)


def test_a_silent_server_times_out(make_stub):
    s = make_stub(S.hang(3))
    began = time.monotonic()
    with pytest.raises(oceania.OceaniaTimeoutError) as e:
        OceaniaClient(url=s.url, timeout=0.5).get_sequences_from_fasta("X", [("s", 0, 1)])
    assert time.monotonic() - began < 2
    assert str(e.value) == (f"the server at {s.url} did not answer within 0.5 s "
                            "(raise the timeout with OceaniaClient(timeout=...))")
    assert isinstance(e.value, TimeoutError)


def test_closed_without_answer(make_stub):
    # a kept-alive connection closed by the server is tried once more on a new one
    s = make_stub(S.close_without_answer,
                  S.reply(200, "sample_id,sample_key\nA,a.fa\n", content_type="text/csv"),
                  S.close_without_answer, S.close_without_answer)
    c = OceaniaClient(url=s.url)
    assert c.list_fasta_files()["sample_id"].tolist() == ["A"]
    with pytest.raises(oceania.TransferError) as e:
        c.list_fasta_files()
    assert len(s.requests) == 4
    assert str(e.value) == (f"the server at {s.url} closed the connection without answering "
                            "(did it stop or restart?)")


def test_cut_chunked_answer_raises_and_leaves_no_file(make_stub, tmp_path):
    part = CSV_HEADER + b"s1,0,2,raw,AC\n"
    s = make_stub(S.chunked_then_cut(part), S.chunked_then_cut(part))
    c = OceaniaClient(url=s.url)
    with pytest.raises(oceania.TransferError) as e:
        c.get_sequences_from_fasta("X", [("s1", 0, 2)] * 3)
    assert str(e.value) == (f"the answer from {s.url} was cut short after {len(part)} bytes (the "
                            "server stopped or failed while sending it)")
    out = tmp_path / "out.csv"
    with pytest.raises(oceania.TransferError):
        c.get_sequences_from_fasta_to_file("X", [("s1", 0, 2)] * 3, "csv", out)
    assert os.listdir(tmp_path) == []


def test_cut_answer_with_length_raises(make_stub):
    part = CSV_HEADER + b"s1,0,2,raw,AC\n"
    s = make_stub(S.length_then_cut(part, len(part) + 100))
    with pytest.raises(oceania.TransferError) as e:
        OceaniaClient(url=s.url).get_sequences_from_fasta("X", [("s1", 0, 2)])
    assert str(e.value) == f"the answer from {s.url} was cut short: {len(part)} of {len(part) + 100} bytes"


# ---- jobs -------------------------------------------------------------------------------

def test_too_large_goes_through_a_job(make_stub, capsys):
    s = make_stub(
        S.reply(413, {"error": "too_large", "message": "at most 2 positions per request"}),
        S.reply(202, {"job_id": "j1", "status_url": "/v1/jobs/j1", "result_url": "/v1/jobs/j1/result"}),
        S.reply(200, {"status": "queued", "done": 0, "total": 3}),
        S.reply(200, {"status": "running", "done": 1, "total": 3}),
        S.reply(200, {"status": "done", "done": 3, "total": 3}),
        S.reply(200, CSV_HEADER + b"a,0,1,raw,A\nb,0,1,raw,C\nc,0,1,raw,G\n", content_type="text/csv"),
    )
    c = OceaniaClient(url=s.url, progress=True)
    df = c.get_sequences_from_fasta("X", [("a", 0, 1), ("b", 0, 1), ("c", 0, 1)])
    assert df["sequence"].tolist() == ["A", "C", "G"]
    assert [r["path"] for r in s.requests] == ["/v1/samples/X/sequences", "/v1/jobs", "/v1/jobs/j1",
                                               "/v1/jobs/j1", "/v1/jobs/j1", "/v1/jobs/j1/result"]
    assert json.loads(s.requests[1]["body"]) == {
        "sample_id": "X", "positions": [["a", 0, 1], ["b", 0, 1], ["c", 0, 1]], "format": "csv"}
    # the progress bar went to stderr, and ended at 3 of 3
    err = capsys.readouterr().err
    assert "oceania job j1" in err and "3/3" in err


def test_failed_and_stalled_jobs_raise(make_stub):
    rows = [{"row": 0, "id": "a", "reason": "unknown sequence"}]
    s = make_stub(
        S.reply(202, {"job_id": "j2"}),
        S.reply(200, {"status": "failed", "done": 0, "total": 1,
                      "error": {"error": "bad_positions", "message": "1 position is wrong", "rows": rows}}),
        S.reply(202, {"job_id": "j4"}),
        S.reply(200, {"status": "failed", "done": 0, "total": 1,
                      "error": {"error": "internal", "message": "disk full", "status": 500}}),
        S.reply(202, {"job_id": "j3"}),
        *[S.reply(200, {"status": "running", "done": 0, "total": 1})] * 200,
    )
    c = OceaniaClient(url=s.url, timeout=0.5, progress=False)
    with pytest.raises(oceania.BadPositionsError) as e:
        c.get_sequences_from_fasta("X", [("a", 0, 1)], job=True)
    assert (e.value.message, e.value.code, e.value.rows) == ("1 position is wrong", "bad_positions", rows)
    with pytest.raises(oceania.JobFailedError) as e:
        c.get_sequences_from_fasta("X", [("a", 0, 1)], job=True)
    assert (str(e.value), e.value.code, e.value.status) == ("disk full", "internal", 500)
    began = time.monotonic()
    with pytest.raises(oceania.OceaniaTimeoutError) as e:
        c.get_sequences_from_fasta("X", [("a", 0, 1)], job=True)
    assert time.monotonic() - began < 3
    assert str(e.value) == "job j3 made no progress for 0.5 s (status running, 0 of 1 done)"


# ---- Biopython --------------------------------------------------------------------------

def test_sequences_to_records():
    from Bio import SeqIO
    import io
    df = pd.DataFrame({"id": ["s1", "s2"], "start": [10, 0], "end": [14, 0],
                       "type": ["complement", "raw"], "sequence": ["ACGT", ""]})
    records = list(oceania.sequences_to_records(df))
    assert [(r.id, r.description, str(r.seq)) for r in records] == [
        ("s1:10-14", "complement", "ACGT"), ("s2:0-0", "raw", "")]
    assert records[0].annotations == {"sequence_id": "s1", "start": 10, "end": 14, "type": "complement"}
    out = io.StringIO()
    SeqIO.write(records, out, "fasta")
    # as our FASTA output: an empty sequence is a header with no sequence line
    assert out.getvalue() == ">s1:10-14 complement\nACGT\n>s2:0-0 raw\n"


def test_unwritable_output_path(make_stub, tmp_path):
    s = make_stub(S.reply(200, CSV_HEADER + b"s1,0,2,raw,AC\n", content_type="text/csv"))
    out = tmp_path / "no" / "such" / "dir.csv"
    with pytest.raises(oceania.OutputFileError) as e:
        OceaniaClient(url=s.url).get_sequences_from_fasta_to_file("X", [("s1", 0, 2)], "csv", out)
    assert str(e.value) == f"cannot write {out}: No such file or directory"
    assert isinstance(e.value, OSError)


# ---- the streamed CSV reader ------------------------------------------------------------

def _pandas_reference(data):
    import io
    return pd.read_csv(io.BytesIO(data), dtype={"id": object, "start": "int64", "end": "int64",
                                                "type": object, "sequence": object},
                       keep_default_na=False, na_filter=False)


def test_sequence_csv_any_chunking_quotes_and_missing_last_newline():
    from oceania._csv import SequenceCsv
    data = (CSV_HEADER + b"s1,0,2,raw,NA\n" + b'"odd,id",1,3,complement,GG\n' + b"s2,5,5,raw,\n"
            + b'"say ""hi""",0,1,reverse_complement,null\n' + b"s3,7,9,raw,acgt")
    want = _pandas_reference(data)
    assert want["id"].tolist() == ["s1", "odd,id", "s2", 'say "hi"', "s3"]
    for size in (1, 2, 3, 7, 64, len(data)):
        t = SequenceCsv()
        for i in range(0, len(data), size):
            t.feed(data[i:i + size])
        got = t.frame()
        pd.testing.assert_frame_equal(got, want)
    assert got["sequence"].tolist() == ["NA", "GG", "", "null", "acgt"]
    assert got["start"].dtype == np.int64 and got["end"].dtype == np.int64


def test_sequence_csv_header_only_and_errors():
    from oceania._csv import SequenceCsv
    t = SequenceCsv()
    t.feed(CSV_HEADER)
    got = t.frame()
    assert list(got.columns) == ["id", "start", "end", "type", "sequence"] and len(got) == 0
    t = SequenceCsv()
    with pytest.raises(ValueError) as e:
        t.feed(b"<html>oops</html>\n")
    assert str(e.value) == "the answer's header is '<html>oops</html>', expected 'id,start,end,type,sequence'"
    with pytest.raises(ValueError) as e:
        SequenceCsv().frame()
    assert str(e.value) == "the answer is empty (no header)"


def test_not_the_expected_csv_is_a_protocol_error(make_stub):
    s = make_stub(S.reply(200, "id,sequence\ns1,AC\n", content_type="text/csv"))
    with pytest.raises(oceania.ProtocolError) as e:
        OceaniaClient(url=s.url).get_sequences_from_fasta("X", [("s1", 0, 2)])
    assert str(e.value) == (f"the answer from {s.url} is not the expected CSV: the answer's header is "
                            "'id,sequence', expected 'id,start,end,type,sequence'")


def test_large_batch_without_a_jobs_route_streams(make_stub):
    s = make_stub(
        S.reply(404, {"error": "not_found", "message": "no route POST /v1/jobs"}),
        S.reply(200, CSV_HEADER + b"a,0,1,raw,A\nb,0,1,raw,C\n", content_type="text/csv"),
    )
    c = OceaniaClient(url=s.url, job_threshold=1, progress=False)
    df = c.get_sequences_from_fasta("X", [("a", 0, 1), ("b", 0, 1)])
    assert df["sequence"].tolist() == ["A", "C"]
    assert [r["path"] for r in s.requests] == ["/v1/jobs", "/v1/samples/X/sequences"]


def test_gzip_answers_are_read_and_asked_for_off_loopback(make_stub, tmp_path):
    import gzip
    answer = CSV_HEADER + b"s1,0,4,raw,ACGT\n" * 1000
    packed = gzip.compress(answer)
    s = make_stub(S.reply(200, packed, {"Content-Encoding": "gzip"}, content_type="text/csv"),
                  S.reply(200, packed, {"Content-Encoding": "gzip"}, content_type="text/csv"))
    c = OceaniaClient(url=s.url, compress=True)
    df = c.get_sequences_from_fasta("X", [("s1", 0, 4)] * 1000)
    assert df["sequence"].tolist() == ["ACGT"] * 1000
    assert "gzip" in s.requests[0]["headers"]["Accept-Encoding"]
    out = tmp_path / "o.csv"
    assert c.get_sequences_from_fasta_to_file("X", [("s1", 0, 4)] * 1000, "csv", out) == 1000
    assert out.read_bytes() == answer
