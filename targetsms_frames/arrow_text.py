"""Arrow text columns read in bulk: rows taken chunk by chunk, and 64-bit hashes of texts.

Both exist for the documents' layout and bytes (documents.py, encoding.py): a plan's
text column may be a chunked Arrow array, and a personal text (a value per row) is
grouped by a hash of its bytes (then checked value by value), which is several times
cheaper than Arrow's dictionary of a million distinct texts.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_PIECE = 1 << 13  # rows hashed at once: their bytes stay in the CPU's cache
# Odd multipliers (fixed: the same text always gets the same hash).
_MIX, _LENGTH, _TAIL = (
    np.uint64(k) for k in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)
)


def take(values: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """``values[rows]`` as one array; a chunked array is taken chunk by chunk (Arrow's
    own take of a chunked array joins all its chunks first, on every call). Rows that
    run on one by one (a batch of a personal campaign, in plan order) are a slice: no
    copy within a chunk (the result may then be a view with an offset)."""
    if len(rows) > 1 and rows[-1] - rows[0] == len(rows) - 1 and (np.diff(rows) == 1).all():
        return _span(values, int(rows[0]), len(rows))
    if isinstance(values, pa.Array):
        return values.take(pa.array(rows, pa.int64()))
    chunks = [c for c in values.chunks if len(c)]
    if len(chunks) <= 1 or not len(rows):
        return (chunks[0] if chunks else pa.array([], values.type)).take(pa.array(rows, pa.int64()))
    bounds = np.cumsum([0, *(len(c) for c in chunks)])
    which = np.searchsorted(bounds, rows, side="right") - 1
    lo, hi = int(which.min()), int(which.max())
    if lo == hi:  # all in one chunk: the common case for a slice of rows in plan order
        return chunks[lo].take(pa.array(rows - bounds[lo], pa.int64()))
    order = np.argsort(which, kind="stable")
    parts = [
        chunks[c].take(pa.array(rows[order[which[order] == c]] - bounds[c], pa.int64()))
        for c in range(lo, hi + 1)
    ]
    back = np.empty(len(rows), dtype=np.int64)
    back[order] = np.arange(len(rows))
    return pa.concat_arrays(parts).take(pa.array(back))


def concat_rows(pieces: pa.Array, at: np.ndarray, counts: np.ndarray) -> pa.Array:
    """Rows made of pieces: row ``r`` is the next ``counts[r]`` pieces of ``pieces[at]``
    joined (missing where ``counts[r]`` is 0), as large_string.

    One take gathers every piece in row order, so its data is the rows one after another:
    the rows are that data with every ``counts[r]``-th offset (no second copy).
    """
    pieces = pieces.cast(pa.large_string()) if pieces.type != pa.large_string() else pieces
    n = len(counts)
    taken = pieces.take(pa.array(at, pa.int64()))
    if taken.null_count:  # a missing piece is no bytes, as in a join that replaces it
        taken = taken.fill_null("")
    offsets = np.frombuffer(taken.buffers()[1], dtype=np.int64)[
        taken.offset : taken.offset + len(taken) + 1
    ]
    bounds = np.empty(n + 1, dtype=np.int64)
    bounds[0] = 0
    np.cumsum(counts, out=bounds[1:])
    row_offsets = offsets[bounds]
    valid = counts > 0
    validity = None if valid.all() else pa.array(valid).buffers()[1]
    data = taken.buffers()[2] or pa.py_buffer(b"")
    return pa.Array.from_buffers(
        pa.large_string(),
        n,
        [validity, pa.py_buffer(row_offsets), data],
        null_count=int(n - valid.sum()),
    )


def window(values: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """An array and indices into it that give ``values[rows]``, for rows mostly in a run
    (a batch's rows in posted order: runs of plan order and a few later duplicates).

    The rows from the first up to the last of them within twice their number are one
    slice (a view, or one memcpy across chunks); only the rows beyond are taken, so most
    texts are not copied one by one. The array may hold texts of other rows: read it only
    through the indices.
    """
    if not len(rows):
        return take(values, rows), rows
    lo = int(rows.min())
    at = rows - lo
    # Up to the last row within twice their number: no texts after it are copied or read.
    near = at[at < 2 * len(rows)]
    width = int(near.max()) + 1
    beyond = np.flatnonzero(at >= width)
    if not len(beyond):
        return _span(values, lo, width), at
    at[beyond] = width + np.arange(len(beyond))
    return pa.concat_arrays([_span(values, lo, width), take(values, rows[beyond])]), at


def _span(values: pa.Array | pa.ChunkedArray, start: int, length: int) -> pa.Array:
    """``values[start:start + length]`` as one array (copied only across chunks)."""
    part = values.slice(start, length)
    if isinstance(part, pa.Array):
        return part
    chunks = [c for c in part.chunks if len(c)]
    return chunks[0] if len(chunks) == 1 else pa.concat_arrays(chunks)


def text_hashes(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each text's UTF-8 bytes (0 for missing and empty alike).

    Equal texts get equal hashes; unequal texts almost never do (a multilinear hash
    with random odd weights), so a caller that must be exact compares the texts of
    equal hashes.
    """
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    out = [
        _hashes(chunk.slice(start, _PIECE))
        for chunk in chunks
        for start in range(0, len(chunk), _PIECE)
    ]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.uint64)


def _hashes(values: pa.Array) -> np.ndarray:
    """:func:`text_hashes` of one (sliced) large_string array."""
    values = values.cast(pa.large_string()) if values.type != pa.large_string() else values
    n = len(values)
    _, offset_buffer, data_buffer = values.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=np.int64)[values.offset : values.offset + n + 1]
    lengths = np.diff(offsets)
    if values.null_count:  # a missing value's span is empty in Arrow, but be sure
        lengths = np.where(np.asarray(values.is_valid()), lengths, 0)
    if data_buffer is None or not lengths.any():
        return np.zeros(n, dtype=np.uint64)
    # The bytes with 8 zero bytes either side, read as the 8-byte word at any position.
    base = int(offsets[0])
    raw = np.zeros(int(offsets[-1]) - base + 16, dtype=np.uint8)
    raw[8:-8] = np.frombuffer(data_buffer, dtype=np.uint8)[base : int(offsets[-1])]
    words = np.ndarray((len(raw) - 7,), dtype=np.uint64, buffer=raw.data, strides=(1,))
    starts = offsets[:-1] - base + 8
    # Longest first, so the rows with a j-th whole word are a prefix (no masks); each
    # word is folded in by Horner's rule, in place.
    # (Lengths that fit in 16 bits are sorted as such: numpy radix-sorts those, ~8x faster.)
    keys = -lengths.astype(np.int16) if lengths.max() < 2**15 else -lengths
    order = np.argsort(keys, kind="stable")
    at, sorted_lengths = starts[order], lengths[order]
    h = sorted_lengths.astype(np.uint64) * _LENGTH
    counts = np.searchsorted(
        -sorted_lengths, -8 * np.arange(1, sorted_lengths[0] // 8 + 1), "right"
    )
    for count in counts.tolist():
        head = h[:count]
        head *= _MIX
        head += words[at[:count]]
        at[:count] += 8
    # The last 8 bytes (overlapping the last whole word), shifted to the text's own.
    tail = words[starts[order] + sorted_lengths - 8]
    short = sorted_lengths < 8
    shift = np.where(short, 64 - 8 * sorted_lengths, 0).astype(np.uint64)
    tail = np.where(sorted_lengths > 0, tail >> np.minimum(shift, np.uint64(63)), 0)
    h += tail * _TAIL
    out = np.empty(n, dtype=np.uint64)
    out[order] = h
    return out
