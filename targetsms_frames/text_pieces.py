"""Rendered texts gathered from their pieces by one Arrow take, reserved exactly.

A rendered text is its template's literals with each placeholder's value between them.
Every piece of every row is gathered by one take in row order; the take is given one
more value, never taken, so that it reserves the output's bytes at once (see
:func:`_filler`). Combining runs of few-valued pieces (a name, a discount) into one
piece per combination was measured and left out: coding the columns cost as much as it
saved in the take.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .arrow_text import concat_rows


def gathered(n: int, joins: list[tuple[np.ndarray, list]]) -> pa.Array | None:
    """The rendered texts of ``n`` rows in one Arrow array (None where no join has a row).

    ``joins``: per group, its rows (ascending) and its pieces: literal texts, and
    (Arrow text, each row's position in it). Every piece of every row is gathered by one
    take, in row order, so the taken data is the rendered texts one after another.
    """
    if not joins:
        return None
    literals: dict[str, int] = {}
    sources: dict[int, tuple[int, pa.Array]] = {}
    size = 0
    arrays: list[pa.Array] = []

    def source_of(array: pa.Array) -> int:
        nonlocal size
        if id(array) not in sources:
            sources[id(array)] = (size, array)
            arrays.append(array)
            size += len(array)
        return sources[id(array)][0]

    counts = np.zeros(n, dtype=np.int64)
    kept = []
    for rows, pieces in joins:
        # Empty literals are no bytes: left out. Literals are numbered after the sources.
        pieces = [p for p in pieces if not (isinstance(p, str) and not p)]
        kept.append((rows, pieces))
        counts[rows] = len(pieces)
        for p in pieces:
            if isinstance(p, str):
                literals.setdefault(p, len(literals))
            else:
                source_of(p[0])
    starts = np.cumsum(counts) - counts
    at = np.empty(int(counts.sum()), dtype=np.int64)
    for rows, pieces in kept:
        first = starts[rows]
        for k, p in enumerate(pieces):
            at[first + k] = size + literals[p] if isinstance(p, str) else source_of(p[0]) + p[1]
    arrays.append(pa.array(list(literals), pa.large_string()))
    lengths = np.concatenate([_lengths(a) for a in arrays])
    return concat_rows(pa.concat_arrays(arrays + _filler(lengths, at, len(at))), at, counts)


def _filler(lengths: np.ndarray, picked: np.ndarray, size: int) -> list[pa.Array]:
    """Texts to add after values of these ``lengths`` so that their mean length times
    ``size`` (the take's output) is the bytes of the values ``picked``: one long value of
    zero bytes, or empty ones; none when it is so already (or nothing is taken).

    Arrow's take reserves its output as the values' mean length times the indices.
    Rendered pieces are longer than the mean value (short codes, and long literals taken
    once a row): the output was regrown, then shrunk at the end, and with the system
    pool (see arrow_pool.py), which has no aligned realloc, each is a copy.
    """
    n, have = len(lengths), int(lengths.sum())
    need = int(lengths[picked].sum()) if len(picked) else 0
    if need == 0:
        return []
    # Half a byte over, either way: the mean is a float, and the reservation its product,
    # truncated. Empty values lower a mean that is too long; one long value raises it.
    extra, count = 0, 2 * have * size // (2 * need + 1) - n
    if count > size:
        # Few short values picked from long ones (rows left out of a long column): so
        # many empty values would outweigh the take's own indices. Arrow regrows instead.
        return []
    if count <= 0:
        extra, count = max(0, -(-(2 * need + 1) * (n + 1) // (2 * size)) - have), 1
    offsets = np.full(count + 1, extra, dtype=np.int64)
    offsets[0] = 0
    return [
        pa.Array.from_buffers(
            pa.large_string(),
            count,
            [None, pa.py_buffer(offsets), pa.py_buffer(np.zeros(extra, np.uint8))],
        )
    ]


def _lengths(array: pa.Array) -> np.ndarray:
    """Each value's length in bytes, as its offsets give it (large_string)."""
    n = len(array)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + n + 1]
    return np.diff(offsets)
