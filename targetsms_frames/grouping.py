"""The blocks of a plan: rows whose message fields all agree share one, found exactly.

Each field is coded (Arrow's dictionary codes; "" and missing alike left out, but an
order field's every value is sent, "0" for empty) and a personal text (about a value
per row) is hashed instead: a dictionary of a million distinct texts costs several
times more than a hash of their bytes. Rows are grouped by a hash of all their codes
and hashes, then every row is compared field by field with the first row of its
group; only if two different messages met (never seen in practice) are the groups
made again from exact codes alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from . import fields as F
from ._speed import factorized
from .arrow_compat import if_else
from .arrow_text import take, text_hashes
from .seen import numbered

FEW = 1024  # distinct values of a field that make it a shared, not a personal, field
_SAMPLE = 2048  # rows looked at to tell a personal text (at least 1 in 4 distinct)
_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd multiplier: a row's hash, field by field


def message_groups(plan: pd.DataFrame, positions: np.ndarray) -> tuple[np.ndarray, list]:
    """Each row's group at ``positions`` (numbered in order of first appearance) and per
    message field its codes (int32, -1: left out) and distinct values (None for a
    personal text or more than ``FEW`` values: read them from the plan)."""
    n = len(positions)
    key = np.zeros(n, dtype=np.uint64)
    fields: list[tuple[np.ndarray, Any]] = []
    personal: dict[int, tuple[pa.Array | pa.ChunkedArray, np.ndarray | None]] = {}
    spread: list[tuple[int, int]] = []  # per personal text: its distinct texts in a sample
    for i, field in enumerate(F.MESSAGE_FIELDS):
        column, is_order = plan[field], field in F.ORDER_FIELDS
        values, at = _arrow(column, positions)
        if values is not None and not is_order and _is_personal(values):
            present = _present(values)
            codes = np.where(present if at is None else present[at], np.int32(0), np.int32(-1))
            personal[i] = (values, at)
            spread.append((pc.count_distinct(_sample(values)).as_py(), i))
            fields.append((codes, None))
            continue
        codes, distinct = _field_codes(column, values, positions, is_order, at)
        # The same code in every row (a field left out, one value) splits no group.
        if len(codes) and codes.min() != codes.max():
            key = key * _MIX + (codes + 1).astype(np.uint64)
        many = not is_order and len(distinct) > FEW  # read from the plan, not kept
        fields.append((codes, None if many else distinct))
    # The personal texts are hashed most varied first: rows already alone in their group
    # cannot share a block, so the next texts are hashed only where rows still share one.
    group = None  # the groups of ``key`` as it is, once numbered
    for k, (_, i) in enumerate(sorted(spread, key=lambda s: -s[0])):
        values, at = personal[i]
        if k == 0:
            hashes = text_hashes(values)
            key = key * _MIX + (hashes if at is None else hashes[at])
            continue
        if group is None:
            group = numbered(key)
            rows = np.flatnonzero(np.bincount(group)[group] > 1)
        if not len(rows):
            break  # every row alone: ``group`` is final (a second sort would repeat it)
        hashes = text_hashes(_rows(personal[i], rows))
        if _splits(group[rows], hashes):
            key *= _MIX
            key[rows] += hashes
            group = None
        # else the text is the same within each group (the texts before decided the
        # message, as they mostly do): the groups stand, with no second sort of all rows.
    if group is None:
        group = numbered(key)
    if not _exact(group, fields, personal):
        group = _exact_groups(fields, personal)
    return group, fields


def _splits(group: np.ndarray, hashes: np.ndarray) -> bool:
    """Whether some rows of one group have different hashes (a few rows: those that
    share a group)."""
    _, inverse = np.unique(group, return_inverse=True)
    one = np.empty(int(inverse.max()) + 1 if len(inverse) else 0, dtype=hashes.dtype)
    one[inverse] = hashes  # a hash of each group (of whichever row is written last)
    return bool((one[inverse] != hashes).any())


def _present(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Where a text is neither missing nor empty (read from its offsets)."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    parts = []
    for chunk in chunks:
        if not pa.types.is_large_string(chunk.type):
            chunk = chunk.cast(pa.large_string())
        n = len(chunk)
        if n == 0:
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)
        offsets = offsets[chunk.offset : chunk.offset + n + 1]
        present = offsets[1:] > offsets[:-1]
        if chunk.null_count:  # a missing text's span is empty in Arrow, but be sure
            present &= np.asarray(chunk.is_valid(), dtype=bool)
        parts.append(present)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _arrow(column: pd.Series, positions: np.ndarray) -> tuple[Any, np.ndarray | None]:
    """A column's Arrow text (None when pandas does not keep it in Arrow) and where
    ``positions`` are in it (None: the text is already at ``positions``, in order).

    When most rows are at ``positions`` the whole column is kept and whatever is
    computed from it is selected afterwards: cheaper than taking (copying) its texts.
    """
    if not isinstance(column.array, ArrowStringArray):
        return None, None
    values = column.array.__arrow_array__()  # pandas' own Arrow data (no copy)
    if len(positions) == len(column):
        return values, None
    if len(positions) * 4 >= len(column) * 3:
        return values, positions
    return take(values, positions), None


def _rows(personal: tuple, rows: np.ndarray) -> pa.Array:
    """A personal text at some of the grouped rows (see :func:`_arrow`)."""
    values, at = personal
    return take(values, rows if at is None else at[rows])


def _is_personal(values: pa.Array | pa.ChunkedArray) -> bool:
    """Whether at least 1 in 4 of a sample of the texts differ (about a value per row)."""
    n = len(values)
    if n - values.null_count < 2:
        return False
    sample = _sample(values)
    return pc.count_distinct(sample).as_py() > max(1, len(sample) // 4)


def _sample(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    n = len(values)
    return take(values, np.linspace(0, n - 1, min(n, _SAMPLE)).astype(np.int64))


def _first_rows(group: np.ndarray) -> np.ndarray:
    """For each row, the first row of its group (groups numbered by first appearance)."""
    top = np.maximum.accumulate(group)
    return np.flatnonzero(np.r_[True, top[1:] > top[:-1]])[group]


def _exact(group: np.ndarray, fields: list, personal: dict) -> bool:
    """Whether every row's fields equal those of the first row of its group."""
    if not len(group):
        return True
    first = _first_rows(group)
    rows = np.flatnonzero(first != np.arange(len(group)))
    if not len(rows):  # every row its own group: nothing can differ
        return True
    others = first[rows]
    for i, (codes, _) in enumerate(fields):
        if (codes[rows] != codes[others]).any():
            return False
        if i in personal:
            both = codes[rows] >= 0
            a, b = _rows(personal[i], rows[both]), _rows(personal[i], others[both])
            if len(a) and not pc.all(pc.equal(a, b).fill_null(False)).as_py():
                return False
    return True


def _exact_groups(fields: list, personal: dict) -> np.ndarray:
    """The groups from exact codes (dictionary codes of the personal texts too)."""
    n = len(fields[0][0])
    group, size = np.zeros(n, dtype=np.int64), 1
    for i, (codes, _) in enumerate(fields):
        if i in personal:
            values, at = personal[i]
            exact, uniques = _dictionary_codes(values)
            exact = exact if at is None else exact[at]
            codes, k = np.where(codes >= 0, exact, -1), len(uniques) + 1
        else:
            k = int(codes.max()) + 2 if len(codes) else 1
        if k > 1:  # the codes as one more digit (base k) of each row's group number
            if size * k >= 2**62:
                group = pd.factorize(group)[0]
                size = int(group.max()) + 1
            group = group * k + (codes + 1)
            size *= k
    return pd.factorize(group)[0]


def _field_codes(column: pd.Series, values, positions: np.ndarray, is_order: bool, at=None):
    """A field's int32 codes at ``positions`` (-1: left out) and its distinct values
    (``values``: the column's Arrow text there, or None to code it with pandas; ``at``:
    where ``positions`` are in ``values`` when it is the whole column, see :func:`_arrow`).

    Empty and missing are both left out, except in an order field: there every value
    is sent, "0" for empty or missing (each still its own code, so its own block).
    """
    n = len(positions)
    if values is not None:  # Arrow text: coded in C, no str per row
        if values.null_count == len(values) and not is_order:  # unused: nothing to code
            return np.broadcast_to(np.int32(-1), (n,)), pa.array([], pa.large_string())
        codes, uniques = _dictionary_codes(values)
        empty = pc.index(uniques, "").as_py()
        if is_order:
            uniques = if_else(pc.equal(uniques, ""), "0", uniques)
            if values.null_count:
                codes = np.where(codes < 0, np.int32(len(uniques)), codes)
                uniques = pa.concat_arrays([uniques, pa.array(["0"], uniques.type)])
        elif empty >= 0:
            codes = np.where(codes == empty, np.int32(-1), codes)
        return (codes, uniques) if at is None else _used(codes[at], uniques)
    codes, uniques = factorized(column.iloc[positions])  # texts: NUL characters kept apart
    if is_order:
        codes, distinct = _orders(codes, np.asarray(uniques, dtype=object))
        return codes.astype(np.int32), distinct
    # kept as they are: a personal text is not made a Python str here
    empty = np.asarray(uniques == "", dtype=bool)
    codes = np.where(np.append(~empty, False)[codes], codes, -1)
    return codes.astype(np.int32), uniques


def _used(codes: np.ndarray, uniques: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Codes and distinct values with the values no code names left out (values of rows
    not grouped are never encoded: a row with a problem may hold anything)."""
    used = np.bincount(codes + 1, minlength=len(uniques) + 1)[1:] > 0
    if used.all():
        return codes, uniques
    new = (np.cumsum(used) - 1).astype(np.int32)
    return np.where(codes >= 0, new[codes], np.int32(-1)), uniques.filter(pa.array(used))


def _dictionary_codes(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Arrow's dictionary codes of some texts (int32, -1 for missing) and the dictionary."""
    return _one_text_codes(values) or _arrow_codes(values)


def _one_text_codes(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array] | None:
    """:func:`_arrow_codes` of texts that are all one text (missing ones aside), read from
    their bytes: a template's sender or button is the same in every row of a million,
    and comparing bytes costs a fraction of a hash table. None when they are not."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    first: np.ndarray | None = None
    valid_parts = []
    for chunk in chunks:
        if not len(chunk):
            continue
        if chunk.type not in (pa.string(), pa.large_string()):
            return None
        width = np.int64 if chunk.type == pa.large_string() else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ].astype(np.int64, copy=False)
        lengths = np.diff(offsets)
        valid = _validity(chunk)
        valid_parts.append(valid)
        size = int(lengths[np.argmax(valid)]) if first is None else len(first)
        # Every present text ``size`` bytes, every missing one none (as Arrow writes them).
        if not np.array_equal(lengths, valid.astype(np.int64) * size):
            return None
        if not valid.any():
            continue
        data = chunk.buffers()[2]
        raw = np.frombuffer(data if data is not None else b"", dtype=np.uint8)
        texts = raw[offsets[0] : offsets[-1]]  # the present texts, one after another
        if first is None:
            first = texts[:size].copy()
        # All equal to the first: the bytes repeat with the text's length (one pass,
        # no array of comparisons).
        if size and not (
            np.array_equal(texts[:size], first) and np.array_equal(texts[size:], texts[:-size])
        ):
            return None
    if first is None:
        return None
    valid = np.concatenate(valid_parts) if len(valid_parts) > 1 else valid_parts[0]
    codes = np.where(valid, np.int32(0), np.int32(-1)).astype(np.int32)
    return codes, pa.array([first.tobytes().decode()], values.type)


def _validity(chunk: pa.Array) -> np.ndarray:
    """Where a text is present (its validity bitmap unpacked: no Arrow boolean array)."""
    n = len(chunk)
    bitmap = chunk.buffers()[0]
    if not chunk.null_count or bitmap is None:
        return np.ones(n, dtype=np.uint8)
    bits = np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8), bitorder="little")
    return bits[chunk.offset : chunk.offset + n]


def _arrow_codes(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """:func:`_dictionary_codes` by Arrow's hash table."""
    encoded = pc.dictionary_encode(values)
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    if not chunks:
        return np.zeros(0, dtype=np.int32), pa.array([], pa.large_string())
    # One hash table serves every chunk, so each chunk's dictionary is the one before
    # it and more (checked: else the dictionaries are unified, which copies them all).
    last = chunks[-1].dictionary
    if not all(last.slice(0, len(c.dictionary)).equals(c.dictionary) for c in chunks[:-1]):
        chunks = encoded.unify_dictionaries().chunks
        last = chunks[-1].dictionary
    codes = [c.indices.fill_null(-1).to_numpy() for c in chunks]
    return (np.concatenate(codes) if len(codes) > 1 else codes[0]).astype(np.int32), last


def _orders(codes: np.ndarray, distinct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A channel's send_* codes with an empty value made "0" (explicit: not used)."""
    distinct = np.where(distinct.astype(bool), distinct, "0").astype(object)
    if (codes < 0).any():
        distinct = np.append(distinct, "0")
        codes = np.where(codes < 0, len(distinct) - 1, codes)
    return codes, distinct
