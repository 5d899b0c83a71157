"""What a campaign planned frame by frame has seen: content digests and client ids.

A campaign of ten million rows is planned a frame at a time (``plan_chunks``), yet a
duplicate (same phone, same message) or a repeated client id must still be found
across the whole campaign and named by the label of its first row. Each key (a 64-bit
number) is kept with the campaign position of its first row in sorted NumPy runs,
12 bytes a key: no Python object per row. A bit per prefix of the keys tells most keys
never seen (all of them, in a campaign without duplicates) without searching the runs.
Past sixteen runs, runs are merged like the digits of a binary counter, up to four
million keys each, so adding n keys costs O(n log n) in all. Labels are read back from
the frames' indexes (a RangeIndex costs nothing).
"""

from __future__ import annotations

import bisect

import numpy as np
import pandas as pd

from .errors import InputError

# Campaign positions are kept in 32 bits (12 bytes a key in all): a campaign has fewer
# than four billion rows (Seen.begin refuses more).
_POSITION = np.uint32
MAX_ROWS = 2**32 - 1
# Runs stop growing at four million keys: a merge briefly needs about twice the memory
# of what it merges, and a search in one more run costs little.
_MAX_RUN = 2**22
# Runs kept before any merge: the prefixes leave few keys to search for, so a search in
# each of a few more runs costs less than merging them (a campaign of ten slices of a
# million rows never merges).
_FEW_RUNS = 16


class SortedRuns:
    """A set of distinct uint64 keys, each with the campaign position of its first row.

    Keys are kept multiplied by an odd constant (mod 2**64, so still distinct): their
    high bits are then spread evenly, which lets a batch be sorted at the speed of a
    plain sort (see :func:`stable_order`).

    Example:
        >>> runs = SortedRuns()
        >>> runs.add(np.array([7, 3], dtype=np.uint64), np.array([0, 1]))
        >>> runs.find(np.array([3, 5], dtype=np.uint64)).tolist()
        [1, -1]
        >>> runs.first_positions(np.array([5, 3, 5], dtype=np.uint64), np.array([2, 3, 4])).tolist()
        [2, 1, 2]
    """

    def __init__(self, expected: int = 0) -> None:
        """``expected``: about how many keys will be added (room is made as they come)."""
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []  # sorted in at the next find
        self._prefixes = Prefixes(expected)  # of the keys in the runs

    def __len__(self) -> int:
        return sum(len(keys) for keys, _ in self._runs + self._pending)

    @property
    def nbytes(self) -> int:
        return sum(keys.nbytes + at.nbytes for keys, at in self._runs + self._pending)

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Per key, the position of its first row, or -1 where it was never added."""
        order, ordered = _sorted(_mixed(keys))
        out = np.empty(len(keys), dtype=np.int64)
        out[order] = self._find_sorted(ordered)
        return out

    def add(self, keys: np.ndarray, positions: np.ndarray) -> None:
        """Add keys not held yet (distinct among themselves) with their rows' positions.

        They are sorted in only when a later :meth:`find` needs them (a campaign of one
        frame never merges).
        """
        order, ordered = _sorted(_mixed(keys))
        self._add_sorted(ordered, np.asarray(positions)[order])

    def first_positions(self, keys: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Per row, the position of the first row with its key: held already, or among these.

        ``positions`` are the rows' own (ascending, after every one held); the keys first
        met here are added with the position of their first row. One sort of the keys
        serves both the search and the adding.
        """
        order, ordered = _sorted(_mixed(keys))
        starts = np.ones(len(ordered), dtype=bool)  # each distinct key's first (its first row)
        starts[1:] = ordered[1:] != ordered[:-1]
        distinct = ordered[starts]
        first = np.asarray(positions, dtype=np.int64)[order[starts]]
        earlier = self._find_sorted(distinct)
        new = earlier < 0
        self._add_sorted(distinct[new], first[new])
        out = np.empty(len(keys), dtype=np.int64)
        out[order] = np.where(new, first, earlier)[np.cumsum(starts) - 1]
        return out

    def _find_sorted(self, needles: np.ndarray) -> np.ndarray:
        """:meth:`find` for mixed keys in ascending order."""
        for pending in self._pending:
            self._prefixes.add(pending[0])
            self._merge(*pending)
        self._pending.clear()
        if self._prefixes.crowded():  # made again with room for four times the keys
            self._prefixes = Prefixes.of([run for run, _ in self._runs], 4)
        out = np.full(len(needles), -1, dtype=np.int64)
        if not self._runs:
            return out
        maybe = np.flatnonzero(self._prefixes.may_hold(needles))  # the others are not held
        needles = needles[maybe]
        # Sorted needles are found several times faster (NumPy narrows each search).
        for run, positions in self._runs:
            at = np.minimum(np.searchsorted(run, needles), len(run) - 1)
            hit = run[at] == needles
            out[maybe[hit]] = positions[at[hit]]
        return out

    def _add_sorted(self, keys: np.ndarray, positions: np.ndarray) -> None:
        if len(keys):
            self._pending.append((keys, np.asarray(positions, _POSITION)))

    def _merge(self, run: np.ndarray, at: np.ndarray) -> None:
        # Past a few runs, merge while the last run is no longer than the new one: O(n) each
        # (a stable sort of sorted runs merges them), the merged arrays the only new memory.
        while (
            len(self._runs) >= _FEW_RUNS
            and len(self._runs[-1][0]) <= len(run)
            and len(self._runs[-1][0]) + len(run) <= _MAX_RUN
        ):
            older, older_at = self._runs.pop()
            run = np.concatenate([older, run])
            order = np.argsort(run, kind="stable")
            run, at = run[order], np.concatenate([older_at, at])[order]
        self._runs.append((run, at))


class Prefixes:
    """The prefixes (top bits) of some mixed keys, a bit each: a key whose prefix no
    key has is not among them. Mixed keys are spread evenly, and there are at least
    :data:`_SPARE` prefixes a key, so about 1 in 16 other keys has a held prefix.

    Example:
        >>> held = Prefixes.of([np.array([3, 2**63], dtype=np.uint64)])
        >>> held.may_hold(np.array([3, 2**62, 2**63], dtype=np.uint64)).tolist()
        [True, False, True]
    """

    def __init__(self, keys: int = 0) -> None:
        """Room for ``keys`` keys."""
        bits = min(max(16, (keys * _SPARE).bit_length()), _MAX_BITS)
        self._shift = np.uint64(64 - bits)
        self._words = np.zeros(1 << (bits - 6), dtype=np.uint64)
        self._count = 0

    @classmethod
    def of(cls, runs: list[np.ndarray], room: int = 1) -> Prefixes:
        """The prefixes of the keys of some sorted runs, with room for ``room`` times them."""
        prefixes = cls(room * sum(len(run) for run in runs))
        for run in runs:
            prefixes.add(run)
        return prefixes

    def crowded(self) -> bool:
        """Whether more keys than the room asks are held (and it may grow)."""
        room = 64 * len(self._words)
        return self._count * _SPARE > room and room < 2**_MAX_BITS

    def add(self, keys: np.ndarray) -> None:
        """Hold these keys' prefixes (the keys in ascending order)."""
        if not len(keys):
            return
        self._count += len(keys)
        prefix = keys >> self._shift
        distinct = np.empty(len(prefix), dtype=bool)
        distinct[0] = True
        np.not_equal(prefix[1:], prefix[:-1], out=distinct[1:])
        prefix = prefix[distinct]
        word = prefix >> np.uint64(6)
        bit = np.left_shift(np.uint64(1), prefix & np.uint64(63))
        # Sorted, so each word's bits are together, and distinct, so their sum is their
        # union: a word's bits are the difference of the running sum (mod 2**64) at its ends.
        total = np.cumsum(bit)
        last = np.empty(len(word), dtype=bool)
        last[-1] = True
        np.not_equal(word[1:], word[:-1], out=last[:-1])
        ends = np.flatnonzero(last)
        union = total[ends]
        union[1:] -= total[ends[:-1]]
        self._words[word[ends]] |= union

    def may_hold(self, keys: np.ndarray) -> np.ndarray:
        """Per key, False where no held key has its prefix (so it is not held)."""
        prefix = keys >> self._shift
        found = self._words[prefix >> np.uint64(6)] >> (prefix & np.uint64(63))
        return (found & np.uint64(1)).astype(bool)


_SPARE = 16  # prefixes per key held, at least (1 in 16 keys not held is searched for)
_MAX_BITS = 28  # at most 2**28 prefixes (32 MB): 16 million keys with room to spare

# Odd, so multiplying by it (mod 2**64) keeps keys distinct; it spreads their bits.
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _mixed(keys: np.ndarray) -> np.ndarray:
    return np.asarray(keys, dtype=np.uint64) * _MIX  # wraps around: mod 2**64


def stable_order(keys: np.ndarray) -> np.ndarray:
    """The order that sorts uint64 keys, equal keys in their order: ``argsort(kind="stable")``.

    Each key's lowest bits are replaced by its position, and the result sorted as plain
    numbers (several times faster than an argsort); the order is kept only if it sorts
    the keys themselves, which fails only where two keys differ in those bits alone.

    Example:
        >>> stable_order(np.array([5, 3, 5, 1], dtype=np.uint64)).tolist()
        [3, 1, 0, 2]
    """
    return _sorted(keys)[0]


def _sorted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`stable_order` of the keys, and the keys in that order (read once)."""
    packed, low = _packed(keys)
    return _order_of(keys, packed, low)


def _packed(keys: np.ndarray) -> tuple[np.ndarray, np.uint64]:
    """Each key with its lowest bits replaced by its position, sorted; and those bits' mask."""
    n = len(keys)
    low = np.uint64((1 << max(n - 1, 1).bit_length()) - 1)
    packed = (keys & ~low) | np.arange(n, dtype=np.uint64)
    packed.sort()
    return packed, low


def _order_of(
    keys: np.ndarray, packed: np.ndarray, low: np.uint64
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_sorted` from the keys' sorted packing (see :func:`_packed`)."""
    order = (packed & low).astype(np.intp)
    ordered = keys[order]
    if (ordered[1:] < ordered[:-1]).any():
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
    return order, ordered


def numbered(keys: np.ndarray) -> np.ndarray:
    """Each uint64 key's number, distinct keys numbered by first appearance from 0:
    ``pd.factorize(keys)[0]`` by one sort (a hash table of a million distinct keys
    costs several times more).

    Example:
        >>> numbered(np.array([9, 4, 9, 7], dtype=np.uint64)).tolist()
        [0, 1, 0, 2]
    """
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    mixed = _mixed(keys)  # distinct keys stay distinct; their bits spread for the sort
    packed, low = _packed(mixed)
    high = packed & ~low
    if n == 1 or (high[1:] != high[:-1]).all():
        # Keys that differ in their high bits alone are distinct (a personal campaign's
        # rows): numbered in order, with no gathers through the order.
        return np.arange(n, dtype=np.intp)
    del high
    order, ordered = _order_of(mixed, packed, low)
    starts = np.empty(n, dtype=bool)  # each distinct key's first place in the order
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    if starts.all():  # every key distinct (a personal campaign's rows): numbered in order
        return np.arange(n, dtype=np.intp)
    first = np.empty(n, dtype=np.intp)  # per row, the first row with its key (stable sort)
    first[order] = order[starts][np.cumsum(starts) - 1]
    return (np.cumsum(first == np.arange(n)) - 1)[first]


class Seen:
    """The memory of one campaign across its frames: contents, client ids, row labels."""

    def __init__(self, rows: int = 0) -> None:
        """``rows``: about how many rows the campaign has, if known."""
        self.contents = SortedRuns(rows)  # content digests of rows with a phone
        self.ids = SortedRuns(rows)  # client ids (see id_keys) of rows that would be sent
        self.rows = 0  # rows planned so far (begun)
        self._starts: list[int] = []
        self._indexes: list[pd.Index] = []
        self._labels: list | None = None  # the latest frame's labels, listed when asked

    def begin(self, index: pd.Index) -> int:
        """A frame is being planned: remember its labels; its first row's campaign position."""
        start = self.rows
        if start + len(index) > MAX_ROWS:
            raise InputError(f"a campaign planned in frames may have at most {MAX_ROWS:,} rows")
        if len(index):
            self._starts.append(start)
            self._indexes.append(index)
            self._labels = None
            self.rows += len(index)
        return start

    def label(self, position: int):
        """The label of the row at this campaign position (a plain Python value)."""
        k = bisect.bisect_right(self._starts, position) - 1
        offset = position - self._starts[k]
        if k == len(self._indexes) - 1:  # the frame being planned: listed once
            if self._labels is None:
                self._labels = self._indexes[k].tolist()
            return self._labels[offset]
        return self._indexes[k][offset : offset + 1].tolist()[0]


# 10**k for k = 1..18: how many digits a client id has (see id_keys).
_POWERS = np.array([10**k for k in range(1, 19)], dtype=np.uint64)
_SPAN = np.uint64(10**18)


def id_keys(numbers: np.ndarray, digits: np.ndarray | None = None) -> np.ndarray:
    """Client ids of 1 to 18 digits as distinct uint64 keys: the number and its length.

    "007" and "7" are different ids, so the length joins the number: the key is
    ``number + (digits - 1) * 10**18``, below 2**64 for every id of up to 18 digits.
    ``digits`` defaults to the number written without leading zeros.

    Example:
        >>> id_keys(np.array([7, 7], dtype=np.uint64), np.array([1, 3])).tolist()
        [7, 2000000000000000007]
    """
    numbers = np.asarray(numbers, dtype=np.uint64)
    if digits is None:
        digits = np.searchsorted(_POWERS, numbers, side="right") + 1
    return numbers + (np.asarray(digits, dtype=np.uint64) - np.uint64(1)) * _SPAN
