"""The ``oceania`` command (``python3 -m oceania`` and the installed console script)."""

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from conftest import PUBLISHED, REPO, free_port

SRC = REPO / "python" / "src"
QUERY = PUBLISHED / "query_tara_a100000171.csv"


def run(*args, url=None, cwd=None, exe=None):
    env = dict(os.environ, PYTHONPATH=str(SRC))
    env.pop("OCEANIA_API_TOKEN", None)
    if url:
        env["OCEANIA_API_URL"] = url
    else:
        env.pop("OCEANIA_API_URL", None)
    cmd = [exe] if exe else [sys.executable, "-m", "oceania"]
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


# ---- no server needed -------------------------------------------------------------------

def test_help():
    r = run("-h")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines()[0] == "Usage: oceania [OPTIONS] COMMAND [ARGS]..."
    assert "  query-fasta      Extract sequences from a FASTA file of the catalog." in r.stdout.splitlines()
    r = run("query-fasta", "-h")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines()[0] == ("Usage: oceania query-fasta [OPTIONS] <key> <query_file> "
                                        "<output_format> <output_file>")
    assert run("--help").stdout == run("-h").stdout
    assert run().stdout == run("-h").stdout
    for cmd, first in (("list", "Usage: oceania list [OPTIONS]"),
                       ("intergenic", "Usage: oceania intergenic [OPTIONS] <sample_id>"),
                       ("genes-and-gaps", "Usage: oceania genes-and-gaps [OPTIONS] <sample_id>")):
        r = run(cmd, "--help")
        assert (r.returncode, r.stdout.splitlines()[0]) == (0, first)


def test_usage_errors_are_one_line():
    r = run("query-fasta", "TARA_A100000171", QUERY)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == ("oceania: usage error: missing <output_format>, <output_file> (usage: oceania "
                        "query-fasta [OPTIONS] <key> <query_file> <output_format> <output_file>) "
                        "(see oceania -h)\n")
    r = run("query-fasta", "TARA_A100000171", QUERY, "json", "out.json")
    assert (r.returncode, r.stderr) == (
        1, "oceania: usage error: <output_format> must be csv or fasta, got 'json' (see oceania -h)\n")
    r = run("frobnicate")
    assert r.returncode == 1
    assert r.stderr == ("oceania: usage error: argument command: invalid choice: 'frobnicate' (choose "
                        "from 'query-fasta', 'list', 'intergenic', 'genes-and-gaps') (see oceania -h)\n")
    r = run("intergenic", "X", "--min-length", "ten")
    assert (r.returncode, r.stderr) == (
        1, "oceania: usage error: argument --min-length: invalid int value: 'ten' (see oceania -h)\n")


def test_bad_query_files(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("TARA_A100000171_G_scaffold48_1,10,50\nTARA_A100000171_G_scaffold48_1,ten,50\n"
                   "only_two,1\n")
    r = run("query-fasta", "TARA_A100000171", bad, "csv", tmp_path / "out.csv")
    assert r.returncode == 1
    assert r.stderr == (f"oceania: error: {bad}: line 2: start and end must be whole numbers, got 'ten', "
                        f"'50'; line 3: expected sequence_id,start,end[,type], got 2 fields\n")
    r = run("query-fasta", "TARA_A100000171", tmp_path / "missing.csv", "csv", tmp_path / "out.csv")
    assert (r.returncode, r.stderr) == (
        3, f"oceania: error: cannot read the query file {tmp_path / 'missing.csv'}: No such file or directory\n")
    assert not (tmp_path / "out.csv").exists()


def test_unreachable_server_is_one_line(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    r = run("--url", url, "query-fasta", "TARA_A100000171", QUERY, "csv", tmp_path / "o.csv")
    assert (r.returncode, r.stdout) == (3, "")
    assert r.stderr == (f"oceania: error: cannot reach the server at {url} (is `ofq serve` running "
                        "there? set the URL with OceaniaClient(url=...) or OCEANIA_API_URL)\n")
    r = run("query-fasta", "--url", url, "TARA_A100000171", QUERY, "csv", tmp_path / "o.csv")
    assert (r.returncode, r.stderr) == (3, f"oceania: error: cannot reach the server at {url} (is `ofq "
                                           "serve` running there? set the URL with OceaniaClient(url=...) "
                                           "or OCEANIA_API_URL)\n")
    r = run("list", url=url)
    assert (r.returncode, r.stderr.count("\n")) == (3, 1)


# ---- against the real server ------------------------------------------------------------

def test_query_fasta_writes_the_published_file(server, tmp_path):
    out = tmp_path / "example_tara_a100000171.output.csv"
    r = run("query-fasta", "TARA_A100000171", QUERY, "csv", out, url=server.url)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == (PUBLISHED / "expected_tara_a100000171.csv").read_bytes()
    assert r.stderr.startswith(f"oceania: 10 sequences written to {out} in ")
    out2 = tmp_path / "r.csv"
    r = run("--url", server.url, "query-fasta", "TARA_R110002003", PUBLISHED / "query_tara_r110002003.csv",
            "csv", out2, "-q")
    assert (r.returncode, r.stderr) == (0, "")
    assert out2.read_bytes() == (PUBLISHED / "expected_tara_r110002003.csv").read_bytes()
    # a storage key names the sample too, as in the original README's example
    out3 = tmp_path / "by_key.csv"
    r = run("query-fasta", "published/assemblies/TARA_A100000171.scaftig.gz", QUERY, "csv", out3, "-q",
            url=server.url)
    assert (r.returncode, r.stderr) == (0, "")
    assert out3.read_bytes() == (PUBLISHED / "expected_tara_a100000171.csv").read_bytes()


def test_query_fasta_to_stdout_as_fasta(server):
    r = run("query-fasta", "TARA_R110002003", PUBLISHED / "query_tara_r110002003.csv", "fasta", "-",
            url=server.url)
    assert r.returncode == 0, r.stderr
    want = pd.read_csv(PUBLISHED / "expected_tara_r110002003.csv", keep_default_na=False, na_filter=False)
    text = "".join(f">{x.id}:{x.start}-{x.end} {x.type}\n"
                   + "".join(x.sequence[i:i + 60] + "\n" for i in range(0, len(x.sequence), 60))
                   for x in want.itertuples())
    assert r.stdout == text


def test_query_fasta_server_errors_name_the_line(server, tmp_path):
    q = tmp_path / "q.csv"
    q.write_text("TARA_A100000171_G_scaffold48_1,10,50\n\nNO_SUCH_SEQUENCE,0,10\n")
    r = run("query-fasta", "TARA_A100000171", q, "csv", tmp_path / "o.csv", url=server.url)
    assert r.returncode == 1
    assert r.stderr == CLI_UNKNOWN_SEQUENCE.format(q=q)
    assert not (tmp_path / "o.csv").exists()
    r = run("query-fasta", "TARA_NOPE", QUERY, "csv", tmp_path / "o.csv", url=server.url)
    assert (r.returncode, r.stderr) == (1, CLI_UNKNOWN_SAMPLE)
    nowhere = tmp_path / "no" / "dir" / "o.csv"
    r = run("query-fasta", "TARA_A100000171", QUERY, "csv", nowhere, url=server.url)
    assert (r.returncode, r.stderr) == (3, f"oceania: error: cannot write {nowhere}: No such file or directory\n")
    r = run("query-fasta", "--strict", "TARA_A100000171", QUERY, "csv", tmp_path / "o.csv", url=server.url)
    assert (r.returncode, r.stderr) == (
        1, "oceania: error: 1 of 10 positions of sample 'TARA_A100000171' is invalid; nothing was extracted; "
           f"{QUERY} line 9 (TARA_A100000171_G_C2001995_1): end 635 is past the end of the sequence (length 522)\n")


def test_list(server):
    r = run("list", url=server.url)
    assert (r.returncode, r.stderr) == (0, "")
    rows = [line.split("\t")[:2] for line in (server.root / "catalog.tsv").read_text().splitlines()[1:] if line]
    assert r.stdout == "sample_id,sample_key\n" + "".join(f"{a},{b}\n" for a, b in rows)


def test_intergenic_and_genes_and_gaps(server):
    r = run("intergenic", "TARA_R110002003", "--min-length", "1500", url=server.url)
    assert (r.returncode, r.stderr) == (0, "")
    gg = (PUBLISHED / "original_genes_and_gaps_tara_r110002003.tsv").read_text().splitlines()[1:]
    want = []
    for line in gg:
        f = line.split("\t")
        if f[1].startswith("gap__") and int(f[5]) >= 1500:
            before, after = f[1][len("gap__"):].split("__")
            want.append("\t".join([f[0], f[3], f[4], f[5], before, after]))
    assert r.stdout == "sequence\tstart\tstop\tlength\tgen_before\tgen_after\n" + "".join(w + "\n" for w in want)
    r = run("genes-and-gaps", "TARA_R110002003", url=server.url)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == (PUBLISHED / "original_genes_and_gaps_tara_r110002003.tsv").read_text()


def test_seed_notebook_runs_unchanged(server):
    script = REPO / "python" / "examples" / "seed_notebook.py"
    env = dict(os.environ, PYTHONPATH=str(SRC), OCEANIA_API_URL=server.url)
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    want = pd.read_csv(PUBLISHED / "expected_tara_a100000171.csv", keep_default_na=False, na_filter=False)
    assert r.stdout == str(want) + "\n"


@pytest.mark.slow
def test_install_into_a_venv_without_an_index(server, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True,
                   timeout=120)
    # from a copy: pip builds in the source folder (build/, *.egg-info)
    source = tmp_path / "python"
    shutil.copytree(REPO / "python", source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".venv", "tests"))
    r = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-build-isolation", "--no-index",
                        str(source)], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    assert r.returncode == 0, r.stdout + r.stderr
    out = tmp_path / "o.csv"
    r = run("query-fasta", "TARA_A100000171", QUERY, "csv", out, url=server.url,
            exe=str(venv / "bin" / "oceania"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == (PUBLISHED / "expected_tara_a100000171.csv").read_bytes()
    # the installed package, not the tree, is what runs
    r = subprocess.run([str(venv / "bin" / "python"), "-c", "import oceania; print(oceania.__file__)"],
                       capture_output=True, text=True, cwd=tmp_path,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert r.stdout.startswith(str(venv / "lib")), r.stdout + r.stderr


CLI_UNKNOWN_SEQUENCE = ("oceania: error: 1 of 2 positions of sample 'TARA_A100000171' is invalid; "
                        "nothing was extracted; {q} line 3 (NO_SUCH_SEQUENCE): unknown sequence\n")
CLI_UNKNOWN_SAMPLE = "oceania: error: no sample 'TARA_NOPE' in this catalog; GET /v1/samples lists them\n"
