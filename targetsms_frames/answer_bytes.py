"""The common send answer read from its bytes, a column at a time, without decoding it.

Decoding a million per-phone results makes a million dicts, only to check a few
columns of digits in them. The common answer (``{"message":[[{...},...],...]}`` with
no whitespace, every result an object of the same keys in the same order, every value
but ``error`` a string of ASCII digits, ``error`` an empty string) is read here in a
few passes in C: with its digits deleted it must be exactly the skeleton of such an
answer, every digit must lie inside a value (the quotes mark the values), and the
values are then its runs of digits, in order. :func:`quick_columns` gives exactly what
:func:`~targetsms_frames.answer_columns.send_columns` gives for such an answer, or None
for anything else (which then goes the decoding way, careful path included).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .answers import ACCEPTED, SENT_COLUMNS
from .contracts import ID_COLUMNS
from .encoding import Encoded

_HEAD = b'{"message":[['
_TAIL = b"]]}"
# Keys the quick path reads (any other key, or a repeated one, leaves it to decoding).
_KEYS = frozenset({"id_message", "client_id_message", "phone", "count_message", "error"}) | set(
    ID_COLUMNS
)
_DIGITS = b"0123456789"
_RUNS = bytes(b if 48 <= b <= 57 else 32 for b in range(256))  # non-digits → spaces
_WIDTH = {"client_id_message": 18, "count_message": 3}  # ids: 20


def quick_columns(doc: Encoded, content: bytes) -> dict[str, list] | None:
    """The sent columns of ``doc`` from its answer's bytes, or None when the answer is
    not the common one (see the module); the same columns ``send_columns`` gives."""
    client_ids = doc.client_ids
    n = len(client_ids)
    if not n or not content.startswith(_HEAD) or not content.endswith(_TAIL):
        return None
    keys = _first_keys(content)
    if keys is None:
        return None
    bare = content.translate(None, _DIGITS)
    if bare != _skeleton(keys, doc.sizes):
        return None
    # The skeleton has exactly one string per key and value, so the quotes are its own:
    # the values lie between every second pair after "message".
    quotes = np.flatnonzero(np.frombuffer(content, dtype=np.uint8) == 34)
    lengths = (quotes[5::4] - quotes[4::4] - 1).reshape(n, len(keys))
    # Every digit inside a value (the bytes between a value's quotes are digits only,
    # since the skeleton has none there).
    if int(lengths.sum()) != len(content) - len(bare):
        return None
    read = [j for j, key in enumerate(keys) if key != "error"]
    if "error" in keys and lengths[:, keys.index("error")].any():
        return None  # an error text: the careful path says what it is
    widths = lengths[:, read]
    limits = np.array([_WIDTH.get(keys[j], 20) for j in read])
    if widths.min() < 1 or (widths.max(axis=0) > limits).any():
        return None
    # Each value one run of digits, in order.
    runs = content.translate(_RUNS).decode("ascii").split()
    values = {keys[j]: runs[k :: len(read)] for k, j in enumerate(read)}
    if "id_message" not in values or values.get("client_id_message") != client_ids:
        return None
    if len(set(client_ids)) != n:
        return None
    id_message = values["id_message"]
    if not min(id_message).strip("0"):  # an id of zeros: the careful path's
        return None
    columns: dict[str, list] = {
        "client_id_message": list(client_ids),
        "phone": list(doc.phones),
        "name_delivery": list(doc.names),
        "id_message": id_message,
    }
    for key in ID_COLUMNS:
        columns[key] = _ids(values[key]) if key in values else [None] * n
    counts = values.get("count_message")
    if counts is None:
        columns["count_message"] = [None] * n
    else:
        distinct = set(counts)  # mostly one value ("1"): converted once
        one = len(distinct) == 1
        columns["count_message"] = [int(distinct.pop())] * n if one else list(map(int, counts))
    columns["outcome"] = [ACCEPTED] * n
    columns["error"] = [None] * n
    return {name: columns[name] for name in SENT_COLUMNS}


def _ids(values: list[str]) -> list:
    """Channel ids of digits as ``answer_columns._ids`` reads them: zeros → None."""
    n = len(values)
    if values.count("0") == n:  # a channel not used
        return [None] * n
    # The least of digit strings is all zeros if any of them is.
    if min(values).strip("0"):
        return values
    return [v if v.strip("0") else None for v in values]


def _first_keys(content: bytes) -> tuple[str, ...] | None:
    """The keys of the first result, in order, when the quick path reads them all (the
    skeleton check then holds every other result to the same keys)."""
    end = content.find(b"}", len(_HEAD))
    if end < 0:
        return None
    pieces = content[len(_HEAD) : end + 1].split(b'"')
    # {"k":"v","k":"v"}: pieces "{", k, ":", v, ",", k, ":", v, "}"
    if len(pieces) < 5 or (len(pieces) - 1) % 4 or pieces[0] != b"{" or pieces[-1] != b"}":
        return None
    try:
        keys = tuple(piece.decode("ascii") for piece in pieces[1::4])
    except UnicodeDecodeError:
        return None
    if len(set(keys)) != len(keys) or not _KEYS.issuperset(keys):
        return None
    return keys


@lru_cache(maxsize=16)
def _result(keys: tuple[str, ...]) -> bytes:
    """One result of the skeleton: the keys, each with an empty value."""
    return ("{" + ",".join(f'"{key}":""' for key in keys) + "}").encode()


@lru_cache(maxsize=64)
def _block(keys: tuple[str, ...], size: int) -> bytes:
    return b",".join([_result(keys)] * size)


def _skeleton(keys: tuple[str, ...], sizes: list[int]) -> bytes:
    """The bytes of the common answer with every value emptied (its quotes kept)."""
    by_size = {size: _block(keys, size) for size in set(sizes)}
    return _HEAD + b"],[".join(map(by_size.__getitem__, sizes)) + _TAIL
