"""One spreadsheet cell as text: the single rule used by read_table and the planner."""

from __future__ import annotations

import re
from datetime import date, datetime, time

import numpy as np
import pandas as pd


def cell_text(value: object) -> str | None:
    """A cell's value as the text a person sees in it, or None for an empty cell.

    Whole floats lose the ".0" Excel gives them (79801234567.0 → "79801234567"),
    datetimes become ISO text, whitespace-only text is empty; other text is kept
    exactly as written.

    Example:
        >>> cell_text(79801234567.0), cell_text(2.5), cell_text("  "), cell_text(" Hi ")
        ('79801234567', '2.5', None, ' Hi ')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if value != value:  # NaN
            return None
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, datetime):  # pandas Timestamps too
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


# Characters no message may carry: C0 controls other than tab, line feed and carriage
# return (a spreadsheet cannot hold them, a phone shows them as boxes), and lone
# surrogates (not text at all: UTF-8 cannot encode them, so Arrow and JSON refuse them).
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
ARROW_CONTROL_RE = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"  # the same class, for Arrow (RE2)
SURROGATE_RE = re.compile("[\ud800-\udfff]")


def surrogate_problem(text: str) -> str | None:
    """Why ``text`` is not text at all (it holds a lone surrogate), or None.

    Example:
        >>> surrogate_problem("ok"), surrogate_problem("a\\ud800")
        (None, "has an invalid character '\\\\ud800' (a lone surrogate) at position 2")
    """
    found = SURROGATE_RE.search(text)
    if found is None:
        return None
    where = found.start() + 1
    return f"has an invalid character {found.group()!r} (a lone surrogate) at position {where}"


def control_problem(text: str) -> str | None:
    """Why ``text`` cannot be sent (it holds a control character), or None.

    Example:
        >>> control_problem("tab\\tok") is None, control_problem("bell\\x07")[:33]
        (True, "has a control character '\\\\x07' at")
    """
    found = CONTROL_RE.search(text)
    if found is None:
        return None
    return (
        f"has a control character {found.group()!r} at position {found.start() + 1} "
        "(only tab and line breaks are allowed)"
    )


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (for a row already refused)."""
    return SURROGATE_RE.sub("\ufffd", text)
