"""Reading the server's sequence CSV into columns while it streams in.

The answer of ``POST v1/samples/{id}/sequences`` with ``format=csv`` is the header
``id,start,end,type,sequence`` and one line per position. Sequences and types never hold
a comma, a quote or a line break, and ids only rarely (then the line is RFC 4180 quoted).
So a block of whole lines usually splits into fields with two C calls (``replace`` then
``split``), which is several times faster than ``pandas.read_csv`` on answers of tens of
megabytes, and it runs chunk by chunk as the answer arrives, while the server is still
producing the rest. A block that holds a quote goes through ``pandas.read_csv``.

Text stays text: an empty field is ``""`` and ``NA`` is ``"NA"``; start and end are int64.
"""

from __future__ import annotations

import io

HEADER = "id,start,end,type,sequence"
COLUMNS = HEADER.split(",")
TYPES = frozenset(("raw", "complement", "reverse_complement"))


class SequenceCsv:
    """Feed it the answer's bytes in any chunks; ``frame()`` gives the DataFrame."""

    def __init__(self):
        self._rest = b""
        self._header = None
        self._cols = ([], [], [], [], [])

    def feed(self, chunk):
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            self._rest += chunk
            return
        view = memoryview(chunk)
        begin = 0
        if self._rest or self._header is None:
            # the line begun in an earlier chunk (or the header), on its own
            begin = chunk.index(b"\n") + 1
            line = self._rest + chunk[:begin]
            self._rest = b""
            if self._header is None:
                self._header = line.decode("utf-8", "replace").rstrip("\r\n")
                if self._header != HEADER:
                    raise ValueError(f"the answer's header is {self._header[:200]!r}, "
                                     f"expected {HEADER!r}")
            else:
                self._block(str(line, "utf-8"))
        if cut > begin:
            # decoded straight from the chunk: no copy of the bytes first
            self._block(str(view[begin:cut], "utf-8"))
        self._rest = chunk[cut:]

    def _block(self, text):
        if '"' not in text and "\r" not in text:
            fields = text[:-1].replace("\n", ",").split(",")
            # Unquoted, every line has five fields; a misaligned block would put something
            # else than a type word in the type slots (or fail int() on start and end).
            if len(fields) % 5 == 0 and TYPES.issuperset(fields[3::5]):
                ids, starts, ends, types, seqs = self._cols
                ids += fields[0::5]
                starts += map(int, fields[1::5])
                ends += map(int, fields[2::5])
                types += fields[3::5]
                seqs += fields[4::5]
                return
        self._slow(text)

    def _slow(self, text):
        """A block with quoted fields (or a stray ``\\r``): the full CSV rules."""
        import pandas as pd
        part = pd.read_csv(io.StringIO(text), header=None, names=COLUMNS,
                           dtype={"id": object, "start": "int64", "end": "int64", "type": object,
                                  "sequence": object},
                           keep_default_na=False, na_filter=False)
        for col, name in zip(self._cols, COLUMNS):
            col += part[name].tolist()

    def frame(self):
        """The DataFrame; raises ValueError when the answer ended inside a line."""
        import numpy as np
        import pandas as pd
        if self._rest:
            # the last line has no newline
            rest, self._rest = self._rest, b""
            self.feed(rest + b"\n")
        if self._header is None:
            raise ValueError("the answer is empty (no header)")
        ids, starts, ends, types, seqs = self._cols

        def text(values):
            # object arrays built directly: pandas does not scan them for dates or numbers
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
            return arr

        return pd.DataFrame({"id": text(ids), "start": np.array(starts, dtype=np.int64),
                             "end": np.array(ends, dtype=np.int64), "type": text(types),
                             "sequence": text(seqs)}, copy=False)

    @property
    def rows(self):
        return len(self._cols[0])
