"""oceania: the Python client of the ofq (oceania fasta query) server.

It replaces ``oceania-query-fasta`` 0.1.7 (import name ``oceania``): the same functions,
arguments and results, so a notebook written for it runs unchanged, pointed at an ofq
server by ``OCEANIA_API_URL`` (default ``http://127.0.0.1:8080/``)::

    from oceania import get_sequences_from_fasta
    df = get_sequences_from_fasta("TARA_A100000171", [("TARA_A100000171_G_scaffold48_1", 10, 50)])

The module-level functions use a client made from the environment (``OCEANIA_API_URL``,
``OCEANIA_API_TOKEN``); make an :class:`OceaniaClient` to choose the server, token or
timeout in code. Every failure raises an :class:`OceaniaError` subclass.
"""

from __future__ import annotations

import os
import threading

__version__ = "0.2.0"

from .client import DEFAULT_TIMEOUT, DEFAULT_URL, OceaniaClient  # noqa: E402
from .errors import *  # noqa: E402,F401,F403
from .errors import __all__ as _errors_all  # noqa: E402
from .records import sequences_to_records  # noqa: E402

__all__ = [
    "OceaniaClient",
    "get_sequences_from_fasta",
    "get_sequences_from_fasta_to_file",
    "list_fasta_files",
    "list_fasta_samples",
    "get_file_storage_key",
    "list_intergenic_regions",
    "list_genes_and_gaps",
    "sequences_to_records",
    "DEFAULT_URL",
    "DEFAULT_TIMEOUT",
    "__version__",
] + list(_errors_all)

_lock = threading.Lock()
_cached = None  # (url, token, client): reused while the environment says the same


def _client():
    """The client of the module-level functions, following the environment."""
    global _cached
    key = (os.environ.get("OCEANIA_API_URL") or DEFAULT_URL, os.environ.get("OCEANIA_API_TOKEN"))
    with _lock:
        if _cached is None or _cached[0] != key:
            _cached = (key, OceaniaClient(url=key[0], token=key[1]))
        return _cached[1]


def get_sequences_from_fasta(sample_id, positions, bounds="clamp"):
    """Subsequences of sample ``sample_id``: DataFrame ``id, start, end, type, sequence``.

    See :meth:`OceaniaClient.get_sequences_from_fasta`."""
    return _client().get_sequences_from_fasta(sample_id, positions, bounds=bounds)


def get_sequences_from_fasta_to_file(sample_id, positions, output_format, output, bounds="clamp"):
    """Write the subsequences as ``csv`` or ``fasta`` to a path or binary file object.

    See :meth:`OceaniaClient.get_sequences_from_fasta_to_file`."""
    return _client().get_sequences_from_fasta_to_file(sample_id, positions, output_format, output,
                                                      bounds=bounds)


def list_fasta_files():
    """The catalog's samples: DataFrame ``sample_id, sample_key``."""
    return _client().list_fasta_files()


def list_fasta_samples():
    """The 0.1.6 name of :func:`list_fasta_files`."""
    return _client().list_fasta_files()


def get_file_storage_key(sample_id):
    """The storage key (path in the catalog) of ``sample_id``."""
    return _client().get_file_storage_key(sample_id)


def list_intergenic_regions(sample_id, min_length=0, page=1, page_size=50, definition="original"):
    """Intergenic regions: DataFrame ``sequence, start, stop, length, gen_before, gen_after``.

    See :meth:`OceaniaClient.list_intergenic_regions`."""
    return _client().list_intergenic_regions(sample_id, min_length=min_length, page=page,
                                             page_size=page_size, definition=definition)


def list_genes_and_gaps(sample_id, page=None, page_size=1000):
    """Genes and the original's gaps between them (the 0.1.6 client's function).

    See :meth:`OceaniaClient.list_genes_and_gaps`."""
    return _client().list_genes_and_gaps(sample_id, page=page, page_size=page_size)
