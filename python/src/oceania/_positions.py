"""Turning what a caller passes as ``positions`` into the JSON body's list.

Accepted, as the original client accepted them: a list (or any iterable) of tuples or
lists ``(sequence_id, start, end)`` or ``(sequence_id, start, end, type)``; dicts with
keys ``id``, ``start``, ``end`` and optionally ``type`` (API.md's object form); or a
``pandas.DataFrame`` with those columns (``sequence_id`` / ``original_sequence_id`` /
``sequence`` for ``id`` and ``stop`` for ``end`` are accepted too, so rows of
``list_intergenic_regions`` can be passed as they are).

Nothing is judged here: numpy numbers and whole floats (``10.0``, what a DataFrame
column with a gap holds) become ints, a missing type (None/NaN) is dropped, and
everything else goes to the server as it is, so that the server's checks (arity,
bounds, types, unknown ids) report every bad row with its own messages.
"""

from __future__ import annotations

import numbers
from operator import itemgetter

from .errors import BadPositionsError, BadRequestError

_ID_COLUMNS = ("id", "sequence_id", "original_sequence_id", "sequence")
_END_COLUMNS = ("end", "stop")
_SEQUENCES = frozenset((tuple, list))


def _number(value):
    """A whole number as an int (numpy ints, 10.0); anything else unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if value != value:
            return None  # NaN, a gap in a DataFrame column: JSON null, refused by the server
        return int(value) if value.is_integer() else value
    return value


def _missing(value):
    return value is None or (isinstance(value, float) and value != value)


def _pick(columns, names, what):
    for name in names:
        if name in columns:
            return name
    raise BadPositionsError(
        f"the positions DataFrame has no {what} column (looked for {', '.join(names)}); "
        f"its columns are {', '.join(map(str, columns))}",
        code="bad_positions",
    )


def _from_frame(frame):
    cols = list(frame.columns)
    id_col = _pick(cols, _ID_COLUMNS, "sequence id")
    start_col = _pick(cols, ("start",), "start")
    end_col = _pick(cols, _END_COLUMNS, "end")
    parts = [frame[id_col].tolist(), frame[start_col].tolist(), frame[end_col].tolist()]
    if "type" in cols:
        parts.append(frame["type"].tolist())
    return list(zip(*parts))


def _slow(item):
    """A tuple or list that is not (str, int, int[, str]): converted field by field."""
    fields = [_number(v) if i in (1, 2) else v for i, v in enumerate(item)]
    if len(fields) == 4 and _missing(fields[3]):
        fields.pop()
    return fields


def _plain(positions):
    """Whether every position is already a (str, int, int[, str]) tuple or list: checked
    with C-level passes (map), which is what keeps 100,000 positions cheap."""
    if not positions or not _SEQUENCES.issuperset(map(type, positions)):
        return False
    lengths = set(map(len, positions))
    if not lengths <= {3, 4}:
        return False
    for i in (1, 2):
        if set(map(type, map(itemgetter(i), positions))) != {int}:
            return False
    if 4 in lengths:
        if lengths != {4} or set(map(type, map(itemgetter(3), positions))) != {str}:
            return False
    return True


def normalize(positions):
    """``positions`` as a list the JSON body can carry (see the module's text)."""
    if positions is None or isinstance(positions, (str, bytes)):
        raise BadPositionsError(
            "positions must be a list of (sequence_id, start, end[, type]) tuples or a DataFrame, "
            f"not {type(positions).__name__}", code="bad_positions")
    if hasattr(positions, "columns") and hasattr(positions, "iloc"):
        positions = _from_frame(positions)
    if type(positions) is list and _plain(positions):
        return positions
    out = []
    append = out.append
    for item in positions:
        kind = type(item)
        if kind is tuple or kind is list:
            n = len(item)
            # the common case goes through untouched: json writes tuples as arrays
            if (n == 3 or (n == 4 and type(item[3]) is str)) \
                    and type(item[1]) is int and type(item[2]) is int:
                append(item)
            else:
                append(_slow(item))
        elif isinstance(item, dict):
            obj = {k: (_number(v) if k in ("start", "end") else v) for k, v in item.items()}
            if "type" in obj and _missing(obj["type"]):
                del obj["type"]
            append(obj)
        elif hasattr(item, "__len__") and not isinstance(item, (str, bytes)):
            append(_slow(list(item)))
        else:
            append(item)
    return out


def to_json_value(value):
    """``json.dumps`` default: numpy scalars and arrays; anything else is refused."""
    if isinstance(value, numbers.Number):
        return _number(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    raise BadRequestError(f"cannot send {type(value).__name__} {value!r} as JSON in a position",
                          code="bad_request")
