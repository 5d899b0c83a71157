"""One spreadsheet cell as text: the single rule used by read_table and the planner."""

from __future__ import annotations

from datetime import date, datetime, time

import numpy as np
import pandas as pd


def cell_text(value) -> str | None:
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
