"""The HTTP client of an ofq server (API.md), with the original client's functions.

One :class:`OceaniaClient` holds the server URL, the token, the timeout and a
keep-alive ``requests.Session``. Batches go to the streamed route
``POST v1/samples/{sample_id}/sequences`` (one request, no polling); a batch over
``job_threshold`` positions, or one the server calls too large, goes through
``v1/jobs`` with a progress bar. Every failure raises an :class:`~oceania.OceaniaError`.
"""

from __future__ import annotations

import codecs
import io
import ipaddress
import json
import os
import tempfile
import time
import urllib.parse

import requests

from . import errors as E
from ._csv import SequenceCsv
from ._positions import normalize, to_json_value

__all__ = ["OceaniaClient", "DEFAULT_URL", "DEFAULT_TIMEOUT"]

DEFAULT_URL = "http://127.0.0.1:8080/"
DEFAULT_TIMEOUT = 60.0
# Over this many positions a batch goes through v1/jobs instead of one streamed answer.
DEFAULT_JOB_THRESHOLD = 1_000_000

INTERGENIC_COLUMNS = ["sequence", "start", "stop", "length", "gen_before", "gen_after"]
GENES_AND_GAPS_COLUMNS = ["original_sequence_id", "id", "strand", "start", "stop", "length",
                          "start_codon", "stop_codon", "gene_type"]
_INT_COLUMNS = ("start", "stop", "end", "length")
_CHUNK = 1 << 20


def _pd():
    """pandas, imported on first use: `oceania -h` and failures stay quick to start."""
    import pandas
    return pandas


def _base_url(url):
    """The API root, always ending in ``/`` (the original client's ``API_URL``)."""
    url = str(url).strip()
    if "://" not in url:
        url = "http://" + url
    return url if url.endswith("/") else url + "/"


def _is_loopback(url):
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _quote(segment):
    return urllib.parse.quote(str(segment), safe="")


def _read_table(data, sep, columns, int_columns=_INT_COLUMNS, na_columns=()):
    """Parse a CSV/TSV answer: text stays text (``NA`` is a string, empty is ``""``),
    whole-number columns are int64; ``na_columns`` read an empty field as NaN."""
    pd = _pd()
    if not data.strip():
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in int_columns else object)
                             for c in columns})
    header = data[: data.find(b"\n")].decode("utf-8", "replace").rstrip("\r").split(sep)
    # object, not str: the parser's strings are kept as they are, without a second pass
    dtypes = {c: ("int64" if c in int_columns else object) for c in header}
    na = {c: [""] for c in na_columns if c in header}
    return pd.read_csv(io.BytesIO(data), sep=sep, dtype=dtypes, keep_default_na=False,
                       na_values=na or None, na_filter=bool(na))


class _NoJobsRoute(E.NotFoundError):
    """The server has no ``v1/jobs`` route (an ofq older than its jobs)."""


class _RowCounter:
    """Counts the rows of a CSV (lines after the header) or FASTA (``>`` lines) stream."""

    def __init__(self, fmt):
        self.fmt = fmt
        self.lines = 0
        self.records = 0
        self.last = b"\n"

    def feed(self, chunk):
        if not chunk:
            return
        self.lines += chunk.count(b"\n")
        self.records += chunk.count(b"\n>") + (1 if self.last == b"\n" and chunk[:1] == b">" else 0)
        self.last = chunk[-1:]

    @property
    def rows(self):
        if self.fmt == "fasta":
            return self.records
        lines = self.lines + (0 if self.last == b"\n" else 1)
        return max(lines - 1, 0)


class OceaniaClient:
    """A client of one ofq server.

    ``url``: the API root; default ``OCEANIA_API_URL``, else ``http://127.0.0.1:8080/``.
    ``token``: sent as ``Authorization: Bearer``; default ``OCEANIA_API_TOKEN``.
    ``timeout``: seconds to wait for the server to say anything (connect, each read,
    a job that makes no progress, retries of a 503/429 answer); never an endless wait.
    ``progress``: show a progress bar (tqdm) for jobs; default: when tqdm is installed.
    ``compress``: ask for gzip answers; default: only when the server is not on loopback.
    ``job_threshold``: batches with more positions than this go through ``v1/jobs``.
    """

    def __init__(self, url=None, token=None, timeout=DEFAULT_TIMEOUT, *, progress=None,
                 compress=None, job_threshold=DEFAULT_JOB_THRESHOLD, session=None):
        self.url = _base_url(url or os.environ.get("OCEANIA_API_URL") or DEFAULT_URL)
        if token is None:
            token = os.environ.get("OCEANIA_API_TOKEN") or None
        self.token = token
        self.timeout = float(timeout)
        self.progress = progress
        self.job_threshold = job_threshold
        self._session = session or requests.Session()
        if _is_loopback(self.url):
            # an http_proxy from the environment would capture a loopback server
            self._session.trust_env = False
        from . import __version__
        self._session.headers["User-Agent"] = f"oceania-query-fasta/{__version__}"
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        if compress is None:
            compress = not _is_loopback(self.url)
        if not compress:
            # on loopback, compressing 4x costs more time than it saves
            self._session.headers["Accept-Encoding"] = "identity"

    def __repr__(self):
        return f"OceaniaClient(url={self.url!r}, timeout={self.timeout})"

    def close(self):
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- transport -------------------------------------------------------------------

    def _request(self, method, path, *, params=None, body=None, stream=False, ok=(200,)):
        """One request; returns the response when its status is in ``ok``, raises otherwise.

        A 503 or 429 with Retry-After is retried until ``timeout`` has passed.
        """
        url = path if "://" in path else urllib.parse.urljoin(self.url, path)
        data = None
        headers = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":"), default=to_json_value,
                              check_circular=False).encode()
            headers = {"Content-Type": "application/json"}
        deadline = time.monotonic() + self.timeout
        fresh_retry = True
        while True:
            try:
                resp = self._session.request(method, url, params=params, data=data, headers=headers,
                                             stream=stream, timeout=(min(self.timeout, 10.0), self.timeout))
            except requests.exceptions.ConnectTimeout as exc:
                raise E.ServerUnreachableError(
                    f"cannot reach the server at {self.url}: no connection within "
                    f"{min(self.timeout, 10.0):g} s", url=url) from exc
            except requests.exceptions.ReadTimeout as exc:
                raise E.OceaniaTimeoutError(
                    f"the server at {self.url} did not answer within {self.timeout:g} s "
                    "(raise the timeout with OceaniaClient(timeout=...))", url=url) from exc
            except requests.exceptions.ConnectionError as exc:
                err = self._connection_error(exc, url)
                if isinstance(err, E.TransferError) and fresh_retry:
                    # a kept-alive connection the server closed meanwhile (it restarted,
                    # or dropped idle connections): once more, on a new connection
                    fresh_retry = False
                    continue
                raise err from exc
            except requests.exceptions.RequestException as exc:
                raise E.OceaniaError(f"request to {url} failed: {exc}", url=url) from exc
            if resp.status_code in ok:
                return resp
            retry = self._retry_after(resp)
            if retry is not None and time.monotonic() + retry < deadline:
                resp.close()
                time.sleep(retry)
                continue
            raise self._error(resp)

    def _connection_error(self, exc, url):
        text = str(exc)
        if any(s in text for s in ("RemoteDisconnected", "Connection aborted", "reset by peer")):
            return E.TransferError(
                f"the server at {self.url} closed the connection without answering "
                "(did it stop or restart?)", url=url)
        return E.ServerUnreachableError(
            f"cannot reach the server at {self.url} (is `ofq serve` running there? "
            "set the URL with OceaniaClient(url=...) or OCEANIA_API_URL)", url=url)

    @staticmethod
    def _retry_after(resp):
        if resp.status_code not in (429, 503):
            return None
        value = resp.headers.get("Retry-After")
        try:
            return max(0.05, min(float(value), 30.0)) if value is not None else None
        except ValueError:
            return None

    def _error(self, resp):
        """The exception for a failed response, from its JSON error body."""
        url = resp.url
        status = resp.status_code
        try:
            raw = resp.content
        except requests.exceptions.RequestException:
            raw = b""
        finally:
            resp.close()
        body = None
        try:
            body = json.loads(raw)
        except ValueError:
            pass
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            body = body["error"]
        if isinstance(body, dict) and ("message" in body or "error" in body):
            code = body.get("error") if isinstance(body.get("error"), str) else None
            message = body.get("message") or f"the server answered HTTP {status} ({code})"
            cls = E.BY_CODE.get(code) or E.BY_STATUS.get(status) or (
                E.ServerError if status >= 500 else E.OceaniaError)
            return cls(message, code=code, status=status, rows=body.get("rows"), url=url)
        snippet = raw[:200].decode("utf-8", "replace").strip()
        if status == 404:
            return E.ProtocolError(
                f"the server at {self.url} has no route {urllib.parse.urlsplit(url).path} "
                "(is OCEANIA_API_URL the address of an ofq server?)", status=status, url=url)
        cls = E.BY_STATUS.get(status) or (E.ServerError if status >= 500 else E.OceaniaError)
        return cls(f"the server at {self.url} answered HTTP {status} {resp.reason or ''}".rstrip()
                   + (f": {snippet}" if snippet else ""), status=status, url=url)

    def _chunks(self, resp):
        """The body of a streamed response, chunk by chunk; a cut-short body raises."""
        expected = resp.headers.get("Content-Length")
        identity = resp.headers.get("Content-Encoding", "identity") == "identity"
        got = 0
        try:
            for chunk in resp.iter_content(_CHUNK):
                got += len(chunk)
                yield chunk
        except requests.exceptions.Timeout as exc:
            raise E.OceaniaTimeoutError(
                f"the server at {self.url} stopped sending for {self.timeout:g} s in the middle "
                "of the answer", url=resp.url) from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError) as exc:
            if "timed out" in str(exc):
                raise E.OceaniaTimeoutError(
                    f"the server at {self.url} stopped sending for {self.timeout:g} s in the "
                    "middle of the answer", url=resp.url) from exc
            raise E.TransferError(
                f"the answer from {self.url} was cut short after {got} bytes (the server stopped "
                "or failed while sending it)", url=resp.url) from exc
        finally:
            resp.close()
        if expected is not None and identity and got != int(expected):
            raise E.TransferError(
                f"the answer from {self.url} was cut short: {got} of {expected} bytes", url=resp.url)

    def _read(self, resp):
        return b"".join(self._chunks(resp))

    def _get_json(self, path, params=None):
        resp = self._request("GET", path, params=params)
        try:
            return json.loads(self._read(resp))
        except ValueError as exc:
            raise E.ProtocolError(f"{resp.url} did not answer JSON", url=resp.url) from exc

    # ---- the catalog -----------------------------------------------------------------

    def list_fasta_files(self):
        """The catalog's samples: DataFrame ``sample_id, sample_key``."""
        resp = self._request("GET", "query/list-fasta-files/")
        return _read_table(self._read(resp), ",", ["sample_id", "sample_key"], int_columns=())

    # the 0.1.6 client's name
    list_fasta_samples = list_fasta_files

    def get_file_storage_key(self, sample_id):
        """The storage key (path in the catalog) of ``sample_id``."""
        return self._get_json(f"v1/samples/{_quote(sample_id)}")["storage_key"]

    def list_samples(self):
        """``GET v1/samples`` as a DataFrame (sample_id, storage_key, format, sequences, ...)."""
        return _pd().DataFrame(self._get_json("v1/samples")["samples"])

    def _sample_id(self, sample):
        """A sample id; a storage key (the 0.1.6 client took keys) is looked up first."""
        sample = str(sample)
        if "/" not in sample:
            return sample
        files = self.list_fasta_files()
        hit = files.loc[files["sample_key"] == sample, "sample_id"]
        if len(hit):
            return hit.iloc[0]
        stem = sample.rsplit("/", 1)[-1].split(".", 1)[0]
        hit = files.loc[files["sample_id"] == stem, "sample_id"]
        if len(hit) == 1:
            return hit.iloc[0]
        raise E.UnknownSampleError(
            f"no sample of the catalog at {self.url} has the storage key {sample!r} "
            "(list_fasta_files() lists them)", code="unknown_sample")

    # ---- sequences -------------------------------------------------------------------

    def _answer(self, sample_id, rows, fmt, bounds, job):
        """The streamed response holding the answer, from the streamed route or a job."""
        if bounds not in ("clamp", "strict"):
            raise E.BadRequestError(f"bounds must be 'clamp' or 'strict', got {bounds!r}",
                                    code="bad_request")
        sid = self._sample_id(sample_id)
        use_job = len(rows) > self.job_threshold if job is None else job
        if use_job and job is None:
            try:
                return self._run_job(sid, rows, fmt, bounds)
            except _NoJobsRoute:
                use_job = False  # a server without /v1/jobs: one streamed answer
        if not use_job:
            try:
                return self._request("POST", f"v1/samples/{_quote(sid)}/sequences", stream=True,
                                     body={"positions": rows, "format": fmt, "bounds": bounds})
            except E.TooLargeError:
                if job is False:
                    raise
                # over the server's limit for one answer: a job has none
        return self._run_job(sid, rows, fmt, bounds)

    def get_sequences_from_fasta(self, sample_id, positions, bounds="clamp", *, job=None):
        """The subsequences named by ``positions`` in sample ``sample_id``.

        ``positions``: ``(sequence_id, start, end[, type])`` tuples or lists (0-based,
        half-open; type ``raw`` (default), ``complement`` or ``reverse_complement``), or a
        DataFrame with those columns. ``bounds="clamp"`` (default) cuts an end past the
        sequence to its length, as the original did; ``"strict"`` makes it an error.
        ``job``: force (True) or forbid (False) the ``v1/jobs`` route; default by size.

        Returns a DataFrame ``id, start, end, type, sequence``, one row per position in
        order; start and end are int64, sequences are strings (``""`` when empty).
        """
        rows = normalize(positions)
        resp = self._answer(sample_id, rows, "csv", bounds, job)
        clamped = resp.headers.get("X-Ofq-Clamped")
        # parsed chunk by chunk as it arrives, while the server writes the rest
        table = SequenceCsv()
        try:
            for chunk in self._chunks(resp):
                table.feed(chunk)
            frame = table.frame()
        except (ValueError, UnicodeDecodeError) as exc:
            raise E.ProtocolError(f"the answer from {self.url} is not the expected CSV: {exc}",
                                  url=resp.url) from exc
        if len(frame) != len(rows):
            raise E.TransferError(f"the server answered {len(frame)} rows for {len(rows)} positions",
                                  url=resp.url)
        if clamped is not None and clamped.isdigit():
            # how many ends were past their sequence and cut to its length
            frame.attrs["clamped"] = int(clamped)
        return frame

    def get_sequences_from_fasta_to_file(self, sample_id, positions, output_format, output,
                                         bounds="clamp", *, job=None):
        """Write the answer for ``positions`` to ``output`` as ``csv`` or ``fasta``.

        ``output``: a path (written whole or not at all: a failed transfer leaves no
        file), a binary file object, or a text one. The bytes are the server's, unchanged.
        Returns the number of rows written.
        """
        fmt = str(output_format).lower()
        if fmt not in ("csv", "fasta"):
            raise E.BadRequestError(f"output_format must be 'csv' or 'fasta', got {output_format!r}",
                                    code="bad_request")
        rows = normalize(positions)
        resp = self._answer(sample_id, rows, fmt, bounds, job)
        counter = _RowCounter(fmt)
        if isinstance(output, io.TextIOBase):
            # a text file object (open(path, "w")): the same text, decoded
            decoder = codecs.getincrementaldecoder("utf-8")()
            for chunk in self._chunks(resp):
                counter.feed(chunk)
                output.write(decoder.decode(chunk))
            output.write(decoder.decode(b"", final=True))
        elif hasattr(output, "write"):
            for chunk in self._chunks(resp):
                counter.feed(chunk)
                output.write(chunk)
        else:
            path = os.fspath(output)
            folder = os.path.dirname(os.path.abspath(path))
            try:
                fd, tmp = tempfile.mkstemp(prefix=".oceania-", suffix=".part", dir=folder)
            except OSError as exc:
                resp.close()
                raise E.OutputFileError(f"cannot write {path}: {exc.strerror}") from exc
            try:
                with os.fdopen(fd, "wb") as f:
                    for chunk in self._chunks(resp):
                        counter.feed(chunk)
                        f.write(chunk)
                if counter.rows != len(rows):
                    raise E.TransferError(
                        f"the server answered {counter.rows} rows for {len(rows)} positions",
                        url=resp.url)
                os.replace(tmp, path)
            except OSError as exc:
                if not isinstance(exc, E.OceaniaError):
                    os.unlink(tmp)
                    raise E.OutputFileError(f"cannot write {path}: {exc.strerror}") from exc
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
                raise
            except BaseException:
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
                raise
            return counter.rows
        if counter.rows != len(rows):
            raise E.TransferError(f"the server answered {counter.rows} rows for {len(rows)} positions",
                                  url=resp.url)
        return counter.rows

    # The 0.1.x OceaniaClient spelled it so; notebooks may still call it.
    get_secuences_from_fasta_to_file = get_sequences_from_fasta_to_file

    def get_sequence(self, sample_id, sequence_id, start=None, end=None, type="raw"):
        """One region as a string (``GET v1/samples/{sample_id}/sequences/{sequence_id}``)."""
        params = {"type": type}
        if start is not None:
            params["start"] = start
        if end is not None:
            params["end"] = end
        sid = self._sample_id(sample_id)
        resp = self._request("GET", f"v1/samples/{_quote(sid)}/sequences/{_quote(sequence_id)}",
                             params=params)
        return self._read(resp).decode("ascii")

    # ---- jobs ------------------------------------------------------------------------

    def _progress_bar(self, total, job_id):
        if self.progress is False:
            return None
        try:
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # plain tqdm: tqdm.auto needs ipywidgets in a notebook, and fails without
                from tqdm import tqdm
        except ImportError:
            return None
        return tqdm(total=total, unit="seq", desc=f"oceania job {job_id}")

    def _run_job(self, sample_id, rows, fmt, bounds):
        """Submit a ``v1/jobs`` job, follow it to the end, return its result response."""
        body = {"sample_id": sample_id, "positions": rows, "format": fmt}
        if bounds != "clamp":
            body["bounds"] = bounds
        try:
            resp = self._request("POST", "v1/jobs", body=body, ok=(200, 201, 202))
        except E.NotFoundError as exc:
            if exc.code == "not_found":
                raise _NoJobsRoute(exc.message, code=exc.code, status=exc.status, url=exc.url) from exc
            raise
        try:
            job = json.loads(self._read(resp))
            job_id = job["job_id"]
        except (ValueError, KeyError, TypeError) as exc:
            raise E.ProtocolError(f"{resp.url} did not answer a job", url=resp.url) from exc
        status_url = urllib.parse.urljoin(self.url, job.get("status_url") or f"v1/jobs/{job_id}")
        result_url = urllib.parse.urljoin(self.url, job.get("result_url") or f"v1/jobs/{job_id}/result")
        bar = None
        delay = 0.02
        last_done = -1
        last_change = time.monotonic()
        try:
            while True:
                state = self._get_json(status_url)
                status = state.get("status")
                done = state.get("done") or 0
                if bar is None and status in ("running", "done") and state.get("total"):
                    bar = self._progress_bar(state["total"], job_id)
                if bar is not None:
                    bar.update(done - bar.n)
                if status == "done":
                    if bar is not None:
                        bar.refresh()
                    break
                if status == "failed":
                    # the class the same error has on the streamed route (BadPositionsError
                    # ...), so that one except clause serves both; JobFailedError otherwise
                    err = state.get("error") or {}
                    code = err.get("error")
                    cls = E.BY_CODE.get(code, E.JobFailedError) if code != "internal" else E.JobFailedError
                    raise cls(err.get("message") or f"job {job_id} failed", code=code,
                              status=err.get("status"), rows=err.get("rows"), url=status_url)
                if status == "expired":
                    raise E.JobExpiredError(f"job {job_id} expired before its result was fetched",
                                            code="expired", url=status_url)
                now = time.monotonic()
                if done != last_done:
                    last_done, last_change = done, now
                elif now - last_change > self.timeout:
                    raise E.OceaniaTimeoutError(
                        f"job {job_id} made no progress for {self.timeout:g} s (status {status}, "
                        f"{done} of {state.get('total')} done)", url=status_url)
                time.sleep(delay)
                delay = min(delay * 1.5, 1.0)
        finally:
            if bar is not None:
                bar.close()
        return self._request("GET", result_url, stream=True)

    # ---- annotations -----------------------------------------------------------------

    def _pages(self, path, params, page, page_size, columns, na_columns=()):
        """One page, or every page when ``page`` is None, of a TSV route."""
        if page is not None:
            resp = self._request("GET", path, params=dict(params, page=page, page_size=page_size))
            return _read_table(self._read(resp), "\t", columns, na_columns=na_columns)
        frames = []
        page = 1
        while True:
            resp = self._request("GET", path, params=dict(params, page=page, page_size=page_size))
            frame = _read_table(self._read(resp), "\t", columns, na_columns=na_columns)
            frames.append(frame)
            if len(frame) < page_size:
                break
            page += 1
        return _pd().concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def list_intergenic_regions(self, sample_id, min_length=0, page=1, page_size=50, *,
                                definition="original"):
        """The regions between genes of ``sample_id``, as a DataFrame with columns
        ``sequence, start, stop, length, gen_before, gen_after``.

        ``definition="original"`` (default) computes them the original service's way, so
        results published with it come back unchanged (API.md); ``"v1"`` is ours
        (SEMANTICS.md: the bases no gene covers, edge regions flagged) and adds the
        columns ``strand_before, strand_after, orientation``. ``page`` is 1-based;
        ``page=None`` returns every page.
        """
        sid = self._sample_id(sample_id)
        if definition == "original":
            path = f"query/list-intergenic_regions/{_quote(sid)}"
            params = {"min_length": min_length}
        elif definition == "v1":
            path = f"v1/samples/{_quote(sid)}/intergenic"
            params = {"min_length": min_length, "format": "tsv"}
        else:
            raise E.BadRequestError(f"definition must be 'original' or 'v1', got {definition!r}",
                                    code="bad_request")
        return self._pages(path, params, page, page_size, INTERGENIC_COLUMNS)

    def list_genes_and_gaps(self, sample_id, page=None, page_size=1000):
        """The 0.1.6 client's table of genes and the original's gaps between them, in order:
        ``original_sequence_id, id, strand, start, stop, length, start_codon, stop_codon,
        gene_type``; gap rows have NaN strand and codon columns, as the original gave.
        Every page by default."""
        sid = self._sample_id(sample_id)
        return self._pages(f"query/get-sample-genes-ids/{_quote(sid)}", {}, page, page_size,
                           GENES_AND_GAPS_COLUMNS,
                           na_columns=("strand", "start_codon", "stop_codon", "gene_type"))

    def list_genes(self, sample_id, sequence=None):
        """The sample's genes (``GET v1/samples/{sample_id}/genes``), every page, in our
        0-based half-open numbers: ``sequence, id, type, start, end, length, strand,
        start_codon, stop_codon, gene_type``."""
        sid = self._sample_id(sample_id)
        params = {"format": "tsv"}
        if sequence is not None:
            params["sequence"] = sequence
        return self._pages(f"v1/samples/{_quote(sid)}/genes", params, None, 100_000,
                           ["sequence", "id", "type", "start", "end", "length", "strand",
                            "start_codon", "stop_codon", "gene_type"])

    def health(self):
        """True when the server answers ``/healthz`` with 200."""
        resp = self._request("GET", "healthz")
        resp.close()
        return True
