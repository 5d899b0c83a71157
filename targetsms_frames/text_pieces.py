"""Rendered texts gathered from their pieces by one Arrow take.

A rendered text is its template's literals with each placeholder's value between them.
Most placeholders take few values (a first name, a discount): a run of such pieces and
the literals around them is made once per combination of the values, in Python, so a
row gathers a handful of pieces (a combination, a per-row value such as a code, the next
combination) instead of one per literal and per placeholder. Arrow's take costs about
the same per piece whatever its length, and the combinations stay in the CPU's cache.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_text import concat_rows

FEW = 64  # at most so many distinct values make a column few-valued
COMBINATIONS = 4096  # at most so many combinations of values in one run of pieces
_SAMPLE = 1024  # values looked at before coding a whole column


def few_values(array: pa.Array) -> tuple[np.ndarray, list[str]] | None:
    """A text column's codes and its distinct values (a missing one as ""), when it has at
    most :data:`FEW` distinct values; else None (a sample tells most such columns)."""
    n = len(array)
    if n == 0:
        return None
    if n > _SAMPLE:
        sample = array.take(pa.array(np.linspace(0, n - 1, _SAMPLE).astype(np.int64)))
        if pc.count_distinct(sample, mode="all").as_py() > FEW:
            return None
    encoded = pc.dictionary_encode(array)
    values = encoded.dictionary.to_pylist()
    if len(values) + 1 > FEW:
        return None
    codes = np.asarray(encoded.indices.fill_null(len(values)), dtype=np.int64)
    return codes, [*values, ""]  # a missing value is no bytes, as in concat_rows


def gathered(n: int, joins: list[tuple[np.ndarray, list]], few: dict | None = None):
    """The rendered texts of ``n`` rows in one Arrow array (None where no join has a row).

    ``joins``: per group, its rows (ascending) and its pieces: literal texts, and
    (Arrow text, each row's position in it). Every piece of every row is gathered by one
    take, in row order, so the taken data is the rendered texts one after another.
    ``few``: a cache of :func:`few_values` that the fields rendered from the same
    columns share (empty at first).
    """
    if not joins:
        return None
    literals: dict[str, int] = {}
    sources: dict[int, tuple[int, pa.Array]] = {}
    size = 0
    arrays: list[pa.Array] = []
    few = {} if few is None else few

    def source_of(array: pa.Array) -> int:
        nonlocal size
        if id(array) not in sources:
            sources[id(array)] = (size, array)
            arrays.append(array)
            size += len(array)
        return sources[id(array)][0]

    def coded(array: pa.Array) -> tuple[np.ndarray, list[str]] | None:
        # The array is kept with its values: its id is not reused while in ``few``.
        if id(array) not in few:
            few[id(array)] = (array, few_values(array))
        return few[id(array)][1]

    counts = np.zeros(n, dtype=np.int64)
    kept = []
    for rows, pieces in joins:
        # Empty literals are no bytes: left out. Literals are numbered after the sources.
        pieces = [p for p in _combined(pieces, coded) if not (isinstance(p, str) and not p)]
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
    Rendered pieces are longer than the mean value (a million short codes, a few long
    combinations): the output was regrown, then shrunk at the end, and with the system
    pool (see arrow_pool.py), which has no aligned realloc, each is a copy.
    """
    n, have = len(lengths), int(lengths.sum())
    need = int(lengths[picked].sum()) if len(picked) else 0
    if need == 0 or have * size == need * n:
        return []
    if have * size < need * n:
        # Half a byte over: the mean is a float, and the reservation its product, truncated.
        extra, count = -(-(2 * need + 1) * (n + 1) // (2 * size)) - have, 1
    else:
        extra, count = 0, have * size // need - n
        if count <= 0:
            return []
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


def _combined(pieces: list, coded) -> list:
    """A group's pieces with each run of literals and few-valued pieces made one piece
    (a literal, or (the run's texts, each row's position in them)).

    ``coded``: a source array's :func:`few_values`, or None.
    """
    out: list = []
    run: list = []  # literals, and (codes at the group's rows, distinct values)
    size = 1  # combinations of the run's values

    def close() -> None:
        nonlocal size
        if run:
            out.append(_run_piece(run))
        run.clear()
        size = 1

    for piece in pieces:
        if isinstance(piece, str):
            run.append(piece)
            continue
        found = coded(piece[0])
        if found is None:
            close()
            out.append(piece)
            continue
        codes, values = found
        if size * len(values) > COMBINATIONS:
            close()
        run.append((codes[piece[1]], values))
        size *= len(values)
    close()
    return out


def _run_piece(run: list):
    """One run of :func:`_combined` as a piece: a literal when it has no value."""
    if all(isinstance(p, str) for p in run):
        return "".join(run)
    combination = None  # each row's combination, as a number in mixed radix
    radix = []
    for piece in run:
        if isinstance(piece, str):
            continue
        codes, values = piece
        combination = codes if combination is None else combination * len(values) + codes
        radix.append(len(values))
    assert combination is not None
    size = int(np.prod(radix))
    used = np.flatnonzero(np.bincount(combination, minlength=size))
    number = np.zeros(size, dtype=np.int64)
    number[used] = np.arange(len(used))
    # Each used combination's value codes, read back from its number (last piece first).
    digits: list[np.ndarray] = []
    rest = used
    for k in reversed(radix):
        digits.append(rest % k)
        rest = rest // k
    digits.reverse()
    columns: list = []
    d = 0
    for piece in run:
        if isinstance(piece, str):
            columns.append([piece] * len(used))
        else:
            values = piece[1]
            columns.append([values[c] for c in digits[d].tolist()])
            d += 1
    texts = ["".join(parts) for parts in zip(*columns, strict=True)]
    return pa.array(texts, pa.large_string()), number[combination]
