"""Frame columns → workbook cells: values, number formats, widths; text made safe to write.

Pure (no openpyxl): the writer in ``excel.py`` and ``excel_sheets.py`` lays these out.
Every text is written as text (never a formula), and any text can be written: characters
XML cannot hold are shown as visible stand-ins, and text longer than a cell holds is cut
with a note saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

MONEY_FORMAT = '#,##0.00 "₽"'
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
RATE_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"
CELL_MAX_CHARS = 32_767  # Excel's limit, in UTF-16 code units
WRAP_WIDTH = 50  # long text columns wrap at this many characters
MIN_WIDTH, DATE_GAP = 6, 3  # a datetime is right-aligned: leave air before the next column
EXACT_INTEGER = 10**15  # larger integers lose digits as Excel numbers: written as text

_MONEY = re.compile(r"^(price_|money_)|(_cost|cost_per_delivered|estimate|over_estimate)$")
_WRAPPED = re.compile(r"^(problem|error|state_error|rule|cost_note|text_\w+)$")
# XML 1.0 cannot hold C0 controls other than TAB, LF, CR, nor lone surrogates, U+FFFE/U+FFFF.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _stand_in(match: re.Match) -> str:
    char = match.group()
    if char < "\x20":
        return chr(0x2400 + ord(char))  # the Unicode "control picture": ␀, ␇, ␛ ...
    return "\ufffd"


def safe_text(text: str) -> str:
    """Text any workbook can hold: controls shown as ␀…␟, broken characters as �, cut to fit.

    Example:
        >>> safe_text("a\\x07b\\ud800")
        'a␇b�'
        >>> len(safe_text("x" * 40_000)) <= CELL_MAX_CHARS
        True
    """
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(_stand_in, text)
    if len(text) > CELL_MAX_CHARS // 2 and _utf16_length(text) > CELL_MAX_CHARS:
        note = f"… [cut: {len(text):,} characters in all]"
        budget = CELL_MAX_CHARS - len(note)
        kept: list[str] = []
        for char in text:
            budget -= 2 if char > "\uffff" else 1
            if budget < 0:
                break
            kept.append(char)
        text = "".join(kept) + note
    return text


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass
class Column:
    """One column as cells: values (None for empty), a number format and its layout."""

    values: list
    number_format: str | None
    width: float
    wrap: bool = False
    text: bool = False  # written with the text type, never as a formula


def _number(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)  # inf is not a number a workbook can store: show it as text
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= EXACT_INTEGER:
        return str(value)  # keep every digit
    return value


def _shown_length(value: object, number_format: str | None) -> int:
    """Characters the value takes once formatted as the spreadsheet will show it."""
    if isinstance(value, str):
        return max(map(len, value.split("\n")))
    if isinstance(value, datetime):
        return 19
    if isinstance(value, bool):
        return 5
    if number_format == MONEY_FORMAT:
        return len(f"{value:,.2f} ₽")
    if number_format == RATE_FORMAT:
        return len(f"{value:.1%}")
    if number_format == COUNT_FORMAT:
        return len(f"{value:,}")
    if isinstance(value, float):
        return min(len(repr(value)), 11)  # "General" shows about 11 characters
    return len(str(value))


def _sample(values: list) -> list:
    return values if len(values) <= 20_000 else values[:: len(values) // 20_000 + 1]


def column_cells(series: pd.Series, name: str, header: str | None = None) -> Column:
    """A frame column → its cells, by its dtype and meaning (``name`` is the API name).

    Example:
        >>> c = column_cells(pd.Series([1.5, None]), "price_sms")
        >>> c.values, c.number_format
        ([1.5, None], '#,##0.00 "₽"')
    """
    header = name if header is None else header
    fmt, text = None, False
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)  # wall time in its zone; the header names it
    if pd.api.types.is_datetime64_any_dtype(series):
        values = [None if pd.isna(v) else v.to_pydatetime() for v in series]
        fmt = DATETIME_FORMAT
    elif pd.api.types.is_bool_dtype(series) and not isinstance(series.dtype, pd.CategoricalDtype):
        values = series.astype(object).where(series.notna(), None).tolist()
    elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_complex_dtype(series):
        values = [None if pd.isna(v) else _number(v) for v in series.astype(object)]
        if _MONEY.search(name):
            fmt = MONEY_FORMAT
        elif name.endswith("_rate"):
            fmt = RATE_FORMAT
    else:
        raw = series.astype(object).where(series.notna(), None).tolist()
        values = [
            None if v is None else safe_text(v if isinstance(v, str) else str(v)) for v in raw
        ]
        fmt, text = "@", True
    longest = max(
        (_shown_length(v, fmt) for v in _sample(values) if v is not None and v != ""), default=0
    )
    head = max(map(len, str(header).split("\n"))) * 1.25  # bold is wider
    wrap = text and (
        (longest > WRAP_WIDTH and bool(_WRAPPED.match(name))) or longest > 2 * WRAP_WIDTH
    )
    width = max(min(longest, WRAP_WIDTH), head, MIN_WIDTH) + 2
    if fmt == DATETIME_FORMAT:
        width += DATE_GAP
    return Column(values, fmt, round(width, 1), wrap, text)


def unique_names(names: list[str]) -> list[str]:
    """Names made unique by a numbered suffix: ["a", "a"] → ["a", "a_2"]."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def flat_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its index as leading columns (unless a plain 0…n-1) and flat names.

    A MultiIndex (rows or columns) becomes one column per level / "a / b" names; clashing
    names get a suffix. The caller's frame is not changed.

    Example:
        >>> f = pd.DataFrame({"x": [1]}, index=pd.MultiIndex.from_tuples([("a", 1)]))
        >>> flat_frame(f).columns.tolist()
        ['level_0', 'level_1', 'x']
    """
    columns = [
        " / ".join(str(p) for p in c if str(p) != "") if isinstance(c, tuple) else str(c)
        for c in frame.columns
    ]
    index = frame.index
    keep_index = not isinstance(index, pd.RangeIndex) or index.name is not None
    if keep_index and index.nlevels == 1:
        index_names = [str(index.name) if index.name is not None else "row"]
    else:
        index_names = [str(n) if n is not None else f"level_{i}" for i, n in enumerate(index.names)]
    if not keep_index:
        index_names = []
    names = unique_names(index_names + columns)
    rows = pd.RangeIndex(len(frame))
    parts = [  # as frames: the same concat, and one pandas-stubs can type
        index.get_level_values(i).to_series(index=rows).to_frame() for i in range(len(index_names))
    ]
    body = frame.set_axis(rows, axis=0).set_axis(range(frame.shape[1]), axis=1)
    out = pd.concat([*parts, body], axis=1, ignore_index=True) if parts else body
    out.columns = names
    return out
