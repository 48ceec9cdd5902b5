"""The exceptions of the client: every failure is an :class:`OceaniaError`.

The server answers every error with a JSON body (API.md, "Errors")::

    {"error": "<code>", "message": "<one sentence>", "rows": [{"row": 3, "id": "x", "reason": "..."}]}

The exception keeps those three parts (``code``, ``message``, ``rows``) and the HTTP
``status``. Each class also derives from the built-in exception a caller would expect
(``LookupError`` for an unknown sample, ``ValueError`` for bad positions, ``TimeoutError``,
``ConnectionError``), so generic ``except`` clauses keep working.
"""

from __future__ import annotations

import builtins

__all__ = [
    "OceaniaError",
    "BadRequestError",
    "BadPositionsError",
    "UnknownSampleError",
    "UnknownSequenceError",
    "NoAnnotationError",
    "NotFoundError",
    "UnauthorizedError",
    "TooLargeError",
    "RateLimitedError",
    "NotReadyError",
    "JobFailedError",
    "JobExpiredError",
    "ServerError",
    "ServerUnreachableError",
    "OceaniaTimeoutError",
    "TransferError",
    "ProtocolError",
    "OutputFileError",
]

# How many bad rows str() shows; the exception keeps all of them in .rows.
_ROWS_SHOWN = 5


class OceaniaError(Exception):
    """Base class of every error raised by the ``oceania`` client.

    Attributes: ``message`` (the server's sentence, or ours), ``code`` (the server's
    error code, e.g. ``"bad_positions"``, or ``None``), ``status`` (HTTP status or
    ``None``), ``rows`` (list of ``{"row", "id", "reason"}`` dicts, 0-based rows), ``url``.
    """

    def __init__(self, message, *, code=None, status=None, rows=None, url=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.rows = list(rows or [])
        self.url = url

    def __str__(self):
        if not self.rows:
            return self.message
        parts = [self.message]
        for r in self.rows[:_ROWS_SHOWN]:
            parts.append(f"row {r.get('row')} ({r.get('id')}): {r.get('reason')}")
        if len(self.rows) > _ROWS_SHOWN:
            parts.append(f"and {len(self.rows) - _ROWS_SHOWN} more rows")
        return "; ".join(parts)


class BadRequestError(OceaniaError, ValueError):
    """The request was malformed (400 ``bad_request``)."""


class BadPositionsError(OceaniaError, ValueError):
    """One or more positions are wrong (422 ``bad_positions``); see ``.rows``."""


class UnknownSampleError(OceaniaError, LookupError):
    """The catalog has no such sample (404 ``unknown_sample``)."""


class UnknownSequenceError(OceaniaError, LookupError):
    """The sample has no such sequence (404 ``unknown_sequence``)."""


class NoAnnotationError(OceaniaError, LookupError):
    """The sample has no gene annotation in the catalog (404 ``no_annotation``)."""


class NotFoundError(OceaniaError, LookupError):
    """The server has no such route or object (404 ``not_found``)."""


class UnauthorizedError(OceaniaError, PermissionError):
    """The server wants a token (401): pass ``token=`` or set ``OCEANIA_API_TOKEN``."""


class TooLargeError(OceaniaError):
    """The request is over one of the server's limits (413 ``too_large``)."""


class RateLimitedError(OceaniaError):
    """The server's rate limit was hit (429), and stayed hit for the whole timeout."""


class NotReadyError(OceaniaError):
    """The server is not ready yet (503, e.g. an index is building), for the whole timeout."""


class JobFailedError(OceaniaError):
    """A ``/v1/jobs`` job failed inside the server. (A job refused for a reason the
    streamed route also has, e.g. bad positions, raises that error's class.)"""


class JobExpiredError(OceaniaError):
    """A job's result expired before it was fetched (410)."""


class ServerError(OceaniaError):
    """The server failed (500 ``internal`` or another unexpected status)."""


class ServerUnreachableError(OceaniaError, builtins.ConnectionError):
    """No server answers at the URL (refused, unknown host, reset before an answer)."""


class OceaniaTimeoutError(OceaniaError, builtins.TimeoutError):
    """The server did not answer (or a job did not progress) within the timeout."""


class TransferError(OceaniaError, builtins.ConnectionError):
    """The answer was cut short (the server stopped or failed while streaming)."""


class ProtocolError(OceaniaError):
    """The server answered something this client cannot read."""


class OutputFileError(OceaniaError, OSError):
    """The output file cannot be written (the answer itself was fine)."""


# error code (API.md) -> class
BY_CODE = {
    "bad_request": BadRequestError,
    "bad_positions": BadPositionsError,
    "unknown_sample": UnknownSampleError,
    "unknown_sequence": UnknownSequenceError,
    "no_annotation": NoAnnotationError,
    "not_found": NotFoundError,
    "unauthorized": UnauthorizedError,
    "too_large": TooLargeError,
    "rate_limited": RateLimitedError,
    "not_ready": NotReadyError,
    "expired": JobExpiredError,
    "internal": ServerError,
}

# when the body carries no known code
BY_STATUS = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: UnauthorizedError,
    410: JobExpiredError,
    413: TooLargeError,
    422: BadPositionsError,
    429: RateLimitedError,
    503: NotReadyError,
}
