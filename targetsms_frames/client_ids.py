"""client_id_message: the provider's guard against sending twice, derived once per row.

A row's id is a keyed 64-bit hash of its content (the phone and every message field)
under the campaign key (:mod:`~targetsms_frames.content_hash`, named by its
``DERIVATION``), so the same campaign and content give the same id on every run, and a
new campaign key gives new ids. A user's own ids win.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import fields as F
from ._columns import Coded
from ._columns import Problems as _Problems
from ._columns import blank as _blank
from ._columns import texts as _texts
from .arrow_compat import if_else
from .content_hash import campaign_words, hashes, padded, padded_hashes
from .seen import Seen, SortedRuns, id_keys

MAX_CLIENT_ID = 2**53 - 1  # exact in a float64 and in JavaScript: safe in every tool
# A duplicate row's problem starts so; the row shares its first copy's client id.
DUPLICATE = "phone: duplicate of row "


def content_keys(columns: dict[str, pa.Array]) -> pa.Array:
    """Per row, the phone and every message field, as one text: what makes a message itself.

    The phone, then each field in the order of ``MESSAGE_FIELDS``, joined by the unit
    separator "\\x1f" (a missing field as empty text).
    """
    parts = [columns["phone"], *(columns[f] for f in F.LEGACY_FIELDS)]
    separator = pa.scalar("\x1f", pa.large_string())
    joined = pc.binary_join_element_wise(
        *parts, separator, null_handling="replace", null_replacement=""
    )
    # The newer channels' fields join the key only where a row uses them, so a row of
    # the 2019 fields keeps the key (and the derived client id) it always had.
    newer = [
        if_else(pc.equal(columns[f], "0"), pa.scalar(None, pa.large_string()), columns[f])
        if f in F.ORDER_FIELDS
        else columns[f]
        for f in F.MESSAGE_FIELDS
        if f not in F.LEGACY_FIELDS
    ]
    # Most campaigns use none of them: one look at the null counts, and no join.
    if any(column.null_count < len(column) for column in newer):
        used = pc.is_valid(newer[0])
        for column in newer[1:]:
            used = pc.or_kleene(used, pc.is_valid(column))
        extra = pc.binary_join_element_wise(
            *newer, separator, null_handling="replace", null_replacement=""
        )
        with_extra = pc.binary_join_element_wise(
            joined, extra, pa.scalar("\x1e", pa.large_string()), null_handling="replace"
        )
        joined = if_else(used, with_extra, joined)
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def content_keys_of(columns: dict[str, pa.Array], coded: dict[str, Coded]) -> pa.Array:
    """:func:`content_keys`, joining the few-valued fields a run at a time.

    ``coded``: the fields whose column holds a :class:`Coded` column's values (a
    template's fields). Between two per-row columns (the phone, the rendered texts),
    such fields and the separators make one text per combination of their values, so
    the join takes a handful of pieces per row instead of one per field.
    """
    parts = _key_parts(columns, coded)
    if parts is None:  # rows using the newer channels: the careful join
        return content_keys(columns)
    return _joined(parts, 0, len(columns["phone"]))


def _key_parts(columns: dict[str, pa.Array], coded: dict[str, Coded]) -> list | None:
    """The pieces :func:`_joined` makes the content keys of (None: use :func:`content_keys`).

    Per-row Arrow columns, separators (Arrow scalars), and for each run of coded fields
    either one scalar text or (the distinct texts, each row's number among them).
    """
    n = len(columns["phone"])
    if any(_used_newer(f, columns[f], coded.get(f)) for f in _NEWER):
        return None
    separator = "\x1f"
    pieces: list = []  # per-row Arrow columns, and runs of coded fields (lists of names)
    for name in ("phone", *F.LEGACY_FIELDS):
        # The phone is always a column of its own: the join then gives one text per row.
        if name != "phone" and (name in coded or columns[name].null_count == n):
            if not pieces or not isinstance(pieces[-1], list):
                pieces.append([])
            pieces[-1].append(name)
        else:
            pieces.append(columns[name])
    parts: list = []
    for k, piece in enumerate(pieces):
        if not isinstance(piece, list):
            if k and not isinstance(pieces[k - 1], list):
                parts.append(pa.scalar(separator, pa.large_string()))
            parts.append(piece)
            continue
        ends = ("" if k == 0 else separator, "" if k == len(pieces) - 1 else separator)
        parts.append(_run_texts([coded.get(name) for name in piece], n, separator, ends))
    return parts


def _joined(parts: list, start: int, rows: int) -> pa.Array:
    """The content keys of ``rows`` rows from ``start``, from :func:`_key_parts`."""
    return _join(_pieces(parts, start, rows))


def _pieces(parts: list, start: int, rows: int) -> list:
    """The pieces of ``rows`` rows' keys from ``start``: Arrow columns and scalars."""
    return [
        part.slice(start, rows)
        if isinstance(part, pa.Array)
        else part[0].take(pa.array(part[1][start : start + rows]))
        if isinstance(part, tuple)
        else part
        for part in parts
    ]


def _join(pieces: list) -> pa.Array:
    nothing = pa.scalar("", pa.large_string())
    joined = pc.binary_join_element_wise(
        *pieces, nothing, null_handling="replace", null_replacement=""
    )
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def _padded_keys(parts: list, start: int, rows: int) -> tuple[pa.Array, np.ndarray]:
    """:func:`_joined`'s keys, each padded to whole words, and their unpadded lengths:
    the padding joins in the same pass (see :func:`content_hash.padded`)."""
    return padded(_pieces(parts, start, rows))


# The fields of the newer channels (not in the 2019 key unless a row uses them).
_NEWER = tuple(f for f in F.MESSAGE_FIELDS if f not in F.LEGACY_FIELDS)


def _used_newer(name: str, column: pa.Array, coded: Coded | None) -> bool:
    """Whether some row has this newer field in its key (an order field "0" is not used)."""
    if column.null_count == len(column):
        return False
    if coded is None:
        if name in F.ORDER_FIELDS:
            return bool(pc.any(pc.not_equal(column, "0")).as_py())
        return True
    used = [v is not None and not (name in F.ORDER_FIELDS and v == "0") for v in coded.uniques]
    return bool(np.append(np.array(used, dtype=bool), False)[coded.codes].any())


def _run_texts(
    fields: list[Coded | None], n: int, separator: str, ends: tuple[str, str]
) -> tuple[pa.Array, np.ndarray] | pa.Scalar:
    """Each row's run of coded fields (None: empty everywhere) joined, with the outer separators."""
    columns = [f for f in fields if f is not None]
    # One code per row for the combination of the fields' values (the same codes once).
    distinct = list({id(f.codes): f.codes for f in columns}.values())
    combined, size = np.zeros(n, dtype=np.int64), 1
    for codes in distinct:
        radix = int(codes.max(initial=-1)) + 2
        if size * radix >= 2**62:  # keep the numbers exact: renumber the combinations seen
            combined, seen = pd.factorize(combined)
            combined, size = combined.astype(np.int64), len(seen)
        combined = combined * radix + (codes + 1)
        size *= radix
    numbers, combinations = pd.factorize(combined)
    first = np.empty(len(combinations), dtype=np.int64)
    first[numbers[::-1]] = np.arange(n - 1, -1, -1)  # each combination's first row
    texts = [
        ends[0] + separator.join((f[row] or "") if f is not None else "" for f in fields) + ends[1]
        for row in first.tolist()
    ]
    if len(texts) == 1:
        return pa.scalar(texts[0], pa.large_string())
    return pa.array(texts, pa.large_string()), numbers


def digests(campaign: str, keys) -> np.ndarray:
    """The keyed 64-bit hash of each content key (:mod:`~targetsms_frames.content_hash`)."""
    return hashes(campaign, keys)


# Rows whose content keys are joined and hashed at a time: the keys (a few hundred bytes
# a row) then fit a buffer the allocator keeps, instead of tens of megabytes it gets from
# the system (and zeroes) again on every slice.
KEY_ROWS = 8192


def row_digests(campaign: str, columns: dict[str, pa.Array], coded: dict[str, Coded]) -> np.ndarray:
    """:func:`digests` of :func:`content_keys_of`, :data:`KEY_ROWS` rows at a time."""
    n = len(columns["phone"])
    parts = _key_parts(columns, coded)
    words = campaign_words(campaign)
    out = np.empty(n, dtype=np.uint64)
    for start in range(0, n, KEY_ROWS):
        if parts is None:
            piece = {name: column.slice(start, KEY_ROWS) for name, column in columns.items()}
            found = digests(campaign, content_keys(piece))
        else:
            found = padded_hashes(*_padded_keys(parts, start, KEY_ROWS), *words)
        out[start : start + KEY_ROWS] = found
    return out


def _numbers(digests: np.ndarray) -> np.ndarray:
    """The derived client ids as numbers: 1 ≤ id ≤ 2**53 - 1."""
    return digests % np.uint64(MAX_CLIENT_ID) + np.uint64(1)


def _ids_of(digests: np.ndarray) -> list[str]:
    return pc.cast(pa.array(_numbers(digests)), pa.large_string()).to_pylist()


def derive_client_ids(campaign: str, keys) -> list[str]:
    """client_id_message values from the campaign key and each row's content: 1 ≤ id < 2**53.

    ``keys`` are the rows' content keys (:func:`content_keys`), as texts or an Arrow array.

    Example:
        >>> one = derive_client_ids("spring", ["79801234567"])
        >>> one == derive_client_ids("spring", ["79801234567"])
        True
        >>> one != derive_client_ids("autumn", ["79801234567"])
        True
    """
    return _ids_of(digests(campaign, keys))


def _first_seen(keys: np.ndarray, rows: np.ndarray, runs: SortedRuns, start: int):
    """Among ``rows``, those whose key an earlier row has, and that row's campaign position.

    The earlier row is the campaign's first with the key: in an earlier frame (``runs``)
    or else in this one, whose first row is at ``start``. The keys first met here are
    added to ``runs``.
    """
    own = start + rows
    at = runs.first_positions(keys[rows], own)
    repeat = at != own
    return rows[repeat], dict(zip(rows[repeat].tolist(), at[repeat].tolist(), strict=True))


def client_ids(
    recipients, digests, problems: _Problems, has_phone, seen: Seen
) -> tuple[pa.Array, bool]:
    """Each row's client id (text), and whether a row with a phone has a derived one;
    duplicate rows and repeated ids are reported as problems.

    Duplicates (same phone, same message) and repeated ids are found across the whole
    campaign: this frame and the earlier ones ``seen`` remembers (and now this one too).
    """
    n = len(digests)
    start = seen.begin(recipients.index)
    duplicate = np.zeros(n, dtype=bool)
    rows, first = _first_seen(digests, np.flatnonzero(has_phone), seen.contents, start)
    duplicate[rows] = True
    problems.add(
        duplicate,
        lambda i: f"{DUPLICATE}{seen.label(first[i])!r} (same phone, same message)",
    )
    numbers = _numbers(digests)
    ids = pc.cast(pa.array(numbers), pa.large_string())
    keys = id_keys(numbers)
    mine = np.zeros(n, dtype=bool)
    if "client_id_message" in recipients.columns:
        own = _texts(recipients["client_id_message"])
        given = ~_blank(own)
        bad = given & np.array(
            [v is not None and not F.CLIENT_ID_RE.match(v.strip()) for v in own.tolist()],
            dtype=bool,
        )
        problems.add(
            bad, lambda i: f"client_id_message: {own[i]!r} must be a number of 1 to 18 digits"
        )
        mine = given & ~bad
        if mine.any():
            texts = pa.array([v.strip() for v in own[mine].tolist()], pa.large_string())
            keys[mine] = id_keys(
                np.asarray(pc.cast(texts, pa.uint64())), np.asarray(pc.utf8_length(texts))
            )
            where = np.full(n, -1, dtype=np.int64)
            where[mine] = np.arange(len(texts))
            ids = if_else(pa.array(mine), texts.take(pa.array(where, mask=~mine)), ids)
    # A duplicate row repeats its twin's derived id; it is reported as a duplicate already.
    # Rows without a phone are never sent: they all share the content "no phone", and so
    # a derived id, which is no one's problem.
    rows, twin = _first_seen(keys, np.flatnonzero(has_phone & ~duplicate), seen.ids, start)
    repeated = np.zeros(n, dtype=bool)
    repeated[rows] = True
    problems.add(
        repeated,
        lambda i: (
            f"client_id_message: {ids[i].as_py()} is also the id of row "
            f"{seen.label(twin[i])!r} (each message needs its own)"
        ),
    )
    return ids, bool((has_phone & ~mine).any())
