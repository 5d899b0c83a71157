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

from . import fields as F
from .answers import ACCEPTED, COUNT_DIGITS, ID_DIGITS, SENT_COLUMNS
from .contracts import ID_COLUMNS
from .encoding import Encoded

_HEAD = b'{"message":[['
_TAIL = b"]]}"
# Keys the quick path reads (any other key, or a repeated one, leaves it to decoding).
_KEYS = frozenset({"id_message", "client_id_message", "phone", "count_message", "error"}) | set(
    ID_COLUMNS
)
_DIGITS = b"0123456789"
_WIDTH = {"client_id_message": F.CLIENT_ID_DIGITS, "count_message": COUNT_DIGITS}  # ids: ID_DIGITS
_QUOTE, _ZERO = 34, 48


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
    a = np.frombuffer(content, dtype=np.uint8)
    quotes = np.flatnonzero(a == _QUOTE)
    starts = (quotes[4::4] + 1).reshape(n, len(keys))
    lengths = quotes[5::4].reshape(n, len(keys)) - starts
    # Every digit inside a value (the bytes between a value's quotes are digits only,
    # since the skeleton has none there).
    if int(lengths.sum()) != len(content) - len(bare):
        return None
    if "error" in keys and lengths[:, keys.index("error")].any():
        return None  # an error text: the careful path says what it is
    read = [j for j, key in enumerate(keys) if key not in ("error", "phone")]  # phone: unread
    widths = lengths[:, read]
    limits = np.array([_WIDTH.get(keys[j], ID_DIGITS) for j in read])
    if widths.min() < 1 or (widths.max(axis=0) > limits).any():
        return None
    if "id_message" not in keys or "client_id_message" not in keys or len(set(client_ids)) != n:
        return None
    values = {keys[j]: _Values(a, starts[:, j], lengths[:, j]) for j in read}
    if not values["client_id_message"].equals(client_ids):
        return None
    id_message = values["id_message"].ids(zero_ok=False)
    if id_message is None:  # an id of zeros: the careful path's
        return None
    columns: dict[str, list] = {
        "client_id_message": list(client_ids),
        "phone": list(doc.phones),
        "name_delivery": list(doc.names),
        "id_message": id_message,
    }
    for key in ID_COLUMNS:
        ids = values[key].ids(zero_ok=True) if key in values else [None] * n
        assert ids is not None  # with zero_ok, every id of digits is read
        columns[key] = ids
    count = values.get("count_message")
    columns["count_message"] = count.counts() if count is not None else [None] * n
    columns["outcome"] = [ACCEPTED] * n
    columns["error"] = [None] * n
    return {name: columns[name] for name in SENT_COLUMNS}


class _Values:
    """One key's values (1..20 ASCII digits each, checked), cut from the answer's bytes:
    as a matrix of digits when they all have one width (the usual), else one by one."""

    def __init__(self, a: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> None:
        self.n = len(starts)
        width = int(lengths[0])
        self.width: int | None = width if (lengths == width).all() else None
        self.texts: list[str] = []
        if self.width is not None:
            self.digits = a[starts[:, None] + np.arange(width)]  # (n, width)
        else:
            # Each value with its closing quote: one split in C parts them.
            spans = _spans(starts, starts + lengths + 1)
            self.texts = a[spans].tobytes().decode("ascii").split('"')[:-1]

    def strings(self) -> list[str]:
        if self.width is None:
            return self.texts
        spaced = np.full((self.n, self.width + 1), 32, dtype=np.uint8)
        spaced[:, : self.width] = self.digits
        return spaced.tobytes().decode("ascii").split()

    def equals(self, texts: list[str]) -> bool:
        """Whether the values are these texts, in order."""
        if self.width is None:
            return self.texts == texts
        # Texts of this width only, joined to the same bytes: the same texts.
        joined = "".join(texts).encode("utf-8")
        return set(map(len, texts)) == {self.width} and self.digits.tobytes() == joined

    def ids(self, *, zero_ok: bool) -> list | None:
        """Ids as ``answer_columns._ids`` reads them: an id of zeros is None (without
        ``zero_ok``, for the careful path: None for the whole column)."""
        if self.width is None:
            values = self.texts
            if zero_ok and values.count("0") == self.n:  # a channel not used
                return [None] * self.n
            if min(values).strip("0"):  # the least of digit strings is zeros if any is
                return values
            return [v if v.strip("0") else None for v in values] if zero_ok else None
        zeros = ~(self.digits != _ZERO).any(axis=1)
        if not zeros.any():
            return self.strings()
        if not zero_ok:
            return None
        if zeros.all():  # a channel not used ("0", or zeros of one width)
            return [None] * self.n
        return [None if z else v for v, z in zip(self.strings(), zeros.tolist(), strict=True)]

    def counts(self) -> list[int]:
        """Counts as ints (mostly one value, converted once)."""
        if self.width == 1 and (self.digits == self.digits[0, 0]).all():
            return [int(self.digits[0, 0]) - _ZERO] * self.n
        counts = self.strings()
        distinct = set(counts)
        return [int(distinct.pop())] * self.n if len(distinct) == 1 else list(map(int, counts))


def _spans(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The positions from each start up to its end, one span after another."""
    lengths = ends - starts
    before = np.cumsum(lengths) - lengths  # where each span begins in the output
    return np.arange(int(lengths.sum())) + np.repeat(starts - before, lengths)


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
