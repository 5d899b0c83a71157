"""Spreadsheets in and workbooks out; the only module that touches openpyxl.

``read_table`` reads every cell as text, so a phone keeps every digit (never
7.98E+10, never a trailing .0). ``to_excel`` writes frames as formatted sheets,
and never lets a cell's text become a formula: names come from outside.
"""

from __future__ import annotations

import csv
import io
import os
import re

import pandas as pd

from .cells import cell_text
from .errors import InputError
from .excel_cells import DATETIME_FORMAT, MONEY_FORMAT, RATE_FORMAT  # noqa: F401  (public)

EXCEL_MAX_ROWS = 1_048_576


# -- reading ---------------------------------------------------------------------------------


def _headers(raw: list) -> list[str]:
    names, seen = [], set()
    for i, value in enumerate(raw, start=1):
        name = (cell_text(value) or "").strip() or f"column_{i}"
        while name in seen:
            name += "_"
        seen.add(name)
        names.append(name)
    return names


def _read_xlsx(path: str, sheet) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError(f"cannot read {path} as an Excel workbook: {exc}") from exc
    try:
        names = book.sheetnames
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise InputError(f"{path} has no sheet number {sheet} (sheets: {', '.join(names)})")
            ws = book[names[sheet]]
        else:
            if sheet not in names:
                raise InputError(f"{path} has no sheet {sheet!r} (sheets: {', '.join(names)})")
            ws = book[sheet]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return pd.DataFrame()
        columns = _headers(list(header))
        data = [[cell_text(v) for v in row] for row in rows]
    finally:
        book.close()
    width = len(columns)
    data = [(row + [None] * width)[:width] for row in data if any(v is not None for v in row)]
    frame = pd.DataFrame(data, columns=columns, dtype=object)
    return frame.astype("str") if len(frame.columns) else frame


def _read_csv(path: str) -> pd.DataFrame:
    with open(path, "rb") as handle:
        raw = handle.read()
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # cp1251 decodes every byte; kept for clarity
        raise InputError(f"cannot read {path}: neither UTF-8 nor cp1251 text")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"cannot read {path} as CSV: {exc}") from exc
    frame.columns = _headers(list(frame.columns))
    return frame.astype("str")


def read_table(path: str | os.PathLike, sheet: int | str = 0) -> pd.DataFrame:
    """A spreadsheet (xlsx or csv) as a frame of text: every cell a string or missing.

    Phones keep every digit, dates come out as ISO text (``2026-12-01 10:00:00``),
    empty cells are missing. CSV may be UTF-8 or cp1251, with ``;`` or ``,``.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "r.csv")
        >>> _ = open(path, "w", encoding="cp1251").write("phone;name\\n79801234567;Анна\\n")
        >>> read_table(path).to_dict("records")
        [{'phone': '79801234567', 'name': 'Анна'}]
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError(f"no such file: {path}")
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    raise InputError(
        f"read_table reads .xlsx, .xlsm and .csv files, not {suffix or 'this file'}: {path}"
    )


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
    from .labels import check_lang, label_frame
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
        total = bool(len(flat.columns)) and len(flat) > 0 and flat.iloc[-1, 0] == "total"
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
