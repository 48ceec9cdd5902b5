"""Biopython records from an answer (Biopython is optional)."""

from __future__ import annotations

__all__ = ["sequences_to_records"]


def sequences_to_records(sequences):
    """Yield a ``Bio.SeqRecord.SeqRecord`` per row of ``sequences``.

    ``sequences``: the DataFrame of ``get_sequences_from_fasta`` (or any iterable of
    mappings with ``id, start, end, type, sequence``). Each record's id is
    ``{id}:{start}-{end}`` and its description the type, as in our FASTA output
    (``>{id}:{start}-{end} {type}``); ``annotations`` keep the five fields.
    Raises ImportError, saying so, when Biopython is not installed.
    """
    try:
        from Bio.Seq import Seq
        from Bio.SeqRecord import SeqRecord
    except ImportError as exc:
        raise ImportError("sequences_to_records needs Biopython (Debian: apt install "
                          "python3-biopython; elsewhere: pip install biopython)") from exc
    rows = sequences.to_dict("records") if hasattr(sequences, "to_dict") else sequences
    for row in rows:
        start, end = int(row["start"]), int(row["end"])
        yield SeqRecord(
            Seq(row["sequence"]),
            id=f"{row['id']}:{start}-{end}",
            name=str(row["id"]),
            description=str(row["type"]),
            annotations={"sequence_id": row["id"], "start": start, "end": end, "type": row["type"]},
        )
