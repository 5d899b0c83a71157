"""Column helpers of the planner: text arrays, per-value rules, row problems."""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._speed import factorized, text_series
from .cells import cell_text

SEPARATOR = "; "  # between the problems of one row
# A problem that itself contains the separator (a quoted value "a; b") gets a zero-width
# space after each such ";", so the joined text still splits into whole problems; the
# escape adds one more to any run already there, so it is undone exactly.
_ESCAPE = re.compile(";(\u200b*) ")
_UNESCAPE = re.compile(";\u200b(\u200b*) ")


def split_problems(text: str) -> list[str]:
    """The whole problems of one row's ``problem`` text (the inverse of the join).

    Example:
        >>> split_problems(join_problems(["text_sms: 'a; b' is odd", "phone: missing"]))
        ["text_sms: 'a; b' is odd", 'phone: missing']
    """
    return [_UNESCAPE.sub(r";\1 ", item) for item in text.split(SEPARATOR)]


def join_problems(problems: list[str]) -> str:
    """One row's problems as one text that :func:`split_problems` takes apart again."""
    return SEPARATOR.join(_ESCAPE.sub(";\u200b\\1 ", p) for p in problems)


class Problems:
    """Row problems collected rule by rule, joined per row at the end.

    Each problem reads "column: rule"; a row's problems are joined by "; " (see
    :func:`join_problems`).
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.by_row: dict[int, list[str]] = defaultdict(list)

    def add(self, mask, message) -> None:
        """Add ``message`` (a text, or a function of the row position) where ``mask`` holds."""
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)).tolist():
            self.by_row[i].append(message(i) if callable(message) else message)

    def keep_only(self, mask, columns: tuple[str, ...]) -> None:
        """Where ``mask`` holds, keep only the problems of these columns."""
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)).tolist():
            kept = [t for t in self.by_row.get(i, []) if t.split(": ", 1)[0] in columns]
            self.by_row[i] = kept

    def add_at(self, position: int, message: str) -> None:
        self.by_row[position].append(message)

    def series(self, index: pd.Index) -> pd.Series:
        values = np.full(self.n, None, dtype=object)
        for i, texts in self.by_row.items():
            if texts:
                values[i] = join_problems(texts)
        return text_series(values, index)


def arrow_of(series: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow text behind a pandas ``str`` column (no copy), or None for other dtypes."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        return series.array.__arrow_array__()
    return None


def texts(values: pd.Series) -> np.ndarray:
    """A column as an object array of text or None (never NaN, never whitespace only)."""
    arrow = arrow_of(values)
    if arrow is not None:
        spaces = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(arrow), ""), False)
        out = values.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
        blank = np.asarray(spaces, dtype=bool)
        return np.where(blank, None, out) if blank.any() else out  # type: ignore[return-value]
    return per_value(values.to_numpy(dtype=object), cell_text)


def coded_texts(values: pd.Series) -> Coded:
    """A column as :func:`texts` reads it, coded: no Python text per row for Arrow text."""
    arrow = arrow_of(values)
    if arrow is None:
        return Coded.of(texts(values))
    encoded = arrow.combine_chunks().dictionary_encode()
    dictionary = encoded.dictionary
    spaces = np.asarray(pc.equal(pc.utf8_trim_whitespace(dictionary), ""), dtype=bool)
    uniques = dictionary.to_numpy(zero_copy_only=False).astype(object)
    uniques[spaces] = None
    codes = np.asarray(encoded.indices.fill_null(-1), dtype=np.intp)
    return Coded(codes, uniques)


class Coded:
    """A column of few distinct texts: per row a code into ``uniques`` (-1: no text).

    A template's fields repeat a handful of texts over a million rows: kept this way,
    each rule runs once per distinct text and is spread back by the codes, and no
    Python object is made per row. ``uniques`` may repeat a text or hold None.

    Example:
        >>> column = Coded.of(np.array(["1", None, "1"], dtype=object))
        >>> column.codes.tolist(), column[0], column[1]
        ([0, -1, 0], '1', None)
    """

    __slots__ = ("codes", "uniques")

    def __init__(self, codes: np.ndarray, uniques: np.ndarray) -> None:
        self.codes = codes
        self.uniques = uniques

    @classmethod
    def of(cls, values: np.ndarray) -> Coded:
        """An object array of str or None, coded."""
        codes, uniques = factorized(values)
        return cls(codes, np.asarray(uniques, dtype=object))

    @classmethod
    def empty(cls, n: int) -> Coded:
        """A column with no text in any row."""
        # One shared read-only -1, not n of them: a campaign has a dozen empty fields.
        return cls(np.broadcast_to(np.intp(-1), (n,)), np.array([], dtype=object))

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i: int) -> str | None:
        code = self.codes[i]
        return None if code < 0 else self.uniques[code]

    def table(self) -> np.ndarray:
        """The distinct values and a last None: ``table()[codes]`` is every row's value."""
        return np.concatenate([self.uniques, np.array([None], dtype=object)])

    def array(self) -> np.ndarray:
        """Every row's value, as an object array of str or None."""
        return self.table()[self.codes]

    def arrow(self, codes: pa.Array | None = None) -> pa.Array:
        """Every row's value as Arrow text (the distinct values taken by the codes).

        ``codes``: these codes as Arrow integers, null where negative, if made already.
        """
        dictionary = pa.array(self.uniques, pa.large_string(), from_pandas=True)
        if codes is None:
            codes = pa.array(self.codes, mask=self.codes < 0)
        return dictionary.take(codes)

    def where(self, mask: np.ndarray, other: Coded) -> Coded:
        """This column's value where ``mask`` holds, the other's elsewhere."""
        uniques = np.concatenate([self.uniques, other.uniques, np.array([None], dtype=object)])
        none = len(uniques) - 1
        mine = np.where(self.codes < 0, none, self.codes)
        theirs = np.where(other.codes < 0, none, other.codes + len(self.uniques))
        return Coded(np.where(mask, mine, theirs), uniques)


def as_array(values) -> np.ndarray:
    """A column (object array, :class:`Coded` or Arrow text) as an object array."""
    if isinstance(values, Coded):
        return values.array()
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.to_numpy(zero_copy_only=False)
    return values


def blank(values) -> np.ndarray:
    """Where a column (object array of str or None, :class:`Coded`, or Arrow text) is empty."""
    if isinstance(values, Coded):
        return np.append(~values.uniques.astype(bool), True)[values.codes]
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return np.asarray(pc.fill_null(pc.equal(values, ""), True), dtype=bool)
    return ~values.astype(bool)


def per_value(values, rule, dtype=object):
    """``rule`` applied once per distinct value, spread back to every row.

    Message fields repeat (they come from a few templates), so this turns a
    million Python calls into a handful. A :class:`Coded` column gives a Coded
    column (or, with another ``dtype``, an array) without looking at its rows.
    """
    if isinstance(values, Coded):
        results = np.array([rule(u) for u in values.uniques] + [rule(None)], dtype=dtype)
        if dtype is not object:
            return results[values.codes]  # code -1 picks the last entry, rule(None)
        if results[-1] is None:
            return Coded(values.codes, results[:-1])
        return Coded(np.where(values.codes < 0, len(results) - 1, values.codes), results)
    codes, uniques = factorized(values)
    results = np.array([rule(u) for u in uniques] + [rule(None)], dtype=dtype)
    return results[codes]  # code -1 (missing) picks the last entry, rule(None)
