"""Column helpers of the planner: text arrays, per-value rules, row problems."""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._speed import text_series
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


def blank(values: np.ndarray | pa.Array) -> np.ndarray:
    """Where an object array of text (str or None, never NaN), or Arrow text, is None or ""."""
    if isinstance(values, pa.Array):
        return np.asarray(pc.fill_null(pc.equal(values, ""), True), dtype=bool)
    return ~values.astype(bool)


def per_value(values: np.ndarray, rule, dtype=object) -> np.ndarray:
    """``rule`` applied once per distinct value, spread back to every row.

    Message fields repeat (they come from a few templates), so this turns a
    million Python calls into a handful.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = np.array([rule(u) for u in uniques] + [rule(None)], dtype=dtype)
    return results[codes]  # code -1 (missing) picks the last entry, rule(None)
