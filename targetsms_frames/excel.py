"""Workbooks out (reading is :mod:`targetsms_frames.tables`).

``to_excel`` writes frames as formatted sheets, and never lets a cell's text
become a formula: names come from outside.
"""

from __future__ import annotations

import os
import re

import pandas as pd

from .errors import InputError
from .excel_cells import DATETIME_FORMAT, MONEY_FORMAT, RATE_FORMAT  # noqa: F401  (public)

EXCEL_MAX_ROWS = 1_048_576


# -- writing ---------------------------------------------------------------------------------

SUMMARY_SHEET = "summary"
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_titles(names: list[str]) -> list[str]:
    """Sheet titles Excel accepts: no []:*?/\\, at most 31 characters, unique, not empty."""
    from .excel_cells import safe_text

    titles: list[str] = []
    for name in names:
        base = _SHEET_TITLE_BAD.sub("_", safe_text(str(name))).strip("'")[:31] or "sheet"
        title, n = base, 1
        while title.lower() in (t.lower() for t in titles):
            n += 1
            title = f"{base[: 31 - len(str(n)) - 1]}_{n}"
        titles.append(title)
    return titles


def to_excel(
    path: str | os.PathLike,
    *,
    labels: str | None = None,
    summary: bool = False,
    **sheets: pd.DataFrame,
) -> str:
    """Write frames as sheets of one workbook, in order; returns the path.

    Each sheet gets a styled frozen header (named font, fill, bottom border), an
    autofilter, widths from the formatted values (long texts wrap) and a print setup
    (landscape, one page wide, header row on every page). Money columns (``price_*``,
    ``money_*``, ``*_cost``...) read in rubles, datetimes are Excel datetimes; ids,
    phones and every other text stay text, never formulas, and any text can be written
    (control characters are shown as ␀…␟, text past a cell's 32,767 characters is cut
    with a note). A last row named "total" is bold with a top border, outside the
    autofilter. A row index (a MultiIndex too) is written as leading columns.

    Args:
        path: the .xlsx file to write.
        labels: "ru" or "en" for human headers ("Телефон", "Цена SMS, ₽", datetimes
            with their zone, "время статуса, МСК") and readable codes ("SMS (2-й)",
            "доставлено"); None (default) keeps the API's names. The frames are not
            changed: :func:`targetsms_frames.labels.unlabel` reads such a sheet back.
        summary: put a ``summary`` sheet first, the one the workbook opens on: totals,
            delivery and engagement rates, money by channel and a chart of money by
            campaign, built from the sent, states and cost-report frames among the
            sheets. A cost report's own chart moves there.
        **sheets: sheet name → frame.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "out.xlsx")
        >>> to_excel(path, people=pd.DataFrame({"name": ["=1+1"]})) == path
        True
    """
    from openpyxl import Workbook

    from .excel_cells import column_cells, flat_frame
    from .excel_sheets import add_detail_chart, write_summary, write_table
    from .labels import check_lang, ends_with_total, label_frame
    from .workbook_summary import find_sources, summarize

    check_lang(labels)
    if not sheets:
        raise InputError("to_excel needs at least one sheet: to_excel(path, sent=frame, ...)")
    for title, frame in sheets.items():
        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"sheet {title!r} must be a DataFrame, not {type(frame).__name__}")
        if len(frame) + 1 > EXCEL_MAX_ROWS:
            raise InputError(
                f"sheet {title!r} has {len(frame):,} rows; an Excel sheet holds at most "
                f"{EXCEL_MAX_ROWS - 1:,}: split it or write CSV"
            )
    path = os.fspath(path)
    lang = labels or "en"
    book = Workbook(write_only=True)
    figures = summarize(sheets) if summary else None
    if summary and figures is None:
        raise InputError(
            "summary=True needs a sent, states or cost report frame among the sheets "
            "(a frame with an 'outcome', a 'state' or a 'money_total' column)"
        )
    titles = _sheet_titles([SUMMARY_SHEET] * bool(figures) + list(sheets))
    if figures is not None:
        write_summary(book, titles.pop(0), figures, lang)
    costs = find_sources(sheets)[2]
    for title, frame in zip(titles, sheets.values(), strict=True):
        flat = flat_frame(frame)
        shown = label_frame(flat, labels) if labels else flat
        columns = [
            column_cells(shown.iloc[:, i], str(name), str(shown.columns[i]))
            for i, name in enumerate(flat.columns)
        ]
        total = ends_with_total(flat)
        ws = write_table(book, title, list(map(str, shown.columns)), columns, total=total)
        if frame is costs and figures is None:
            channels = [
                str(c)[6:]
                for c in flat.columns
                if str(c).startswith("money_") and c != "money_total"
            ]
            add_detail_chart(ws, flat, channels, lang, total)
    book.save(path)
    return path
