"""Workbooks out (reading is :mod:`targetsms_frames.tables`).

``to_excel`` writes frames as formatted sheets, and never lets a cell's text
become a formula: names come from outside.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd

from .errors import InputError

EXCEL_MAX_ROWS = 1_048_576
MONEY_FORMAT = '#,##0.00 "₽"'
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
RATE_FORMAT = "0.0%"
_MONEY = re.compile(r"^(price_|money_)|(_cost|cost_per_delivered|estimate|over_estimate)$")
_CHART_SERIES = ("money_viber", "money_sms")


# -- writing ---------------------------------------------------------------------------------


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None:
        frame = frame.reset_index(names=frame.index.name or "row")
    return frame


def _width(name: str, values: list) -> int:
    longest = max(
        [len(str(name))] + [len(str(v)) for v in values[:1000] if v is not None], default=8
    )
    return min(max(longest + 2, 8), 60)


def _column_values(series: pd.Series) -> tuple[list, str | None]:
    """Cell values and their number format, by the column's meaning."""
    name = str(series.name)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(series):
        values = [None if pd.isna(v) else v.to_pydatetime() for v in series]
        return values, DATETIME_FORMAT
    if pd.api.types.is_bool_dtype(series) and not isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype(object).where(series.notna(), None).tolist(), None
    if pd.api.types.is_numeric_dtype(series):
        values = [
            None if pd.isna(v) else (v.item() if isinstance(v, np.generic) else v) for v in series
        ]
        if _MONEY.search(name):
            return values, MONEY_FORMAT
        if name.endswith("_rate"):
            return values, RATE_FORMAT
        return values, None
    values = series.astype(object).where(series.notna(), None).tolist()
    return [None if v is None else str(v) for v in values], "@"


def to_excel(path: str | os.PathLike, **sheets: pd.DataFrame) -> str:
    """Write frames as sheets of one workbook, in order; returns the path.

    Each sheet gets a bold frozen header, an autofilter and fitting column widths;
    money columns (``price_*``, ``money_*``, ``*_cost``...) a rubles format;
    datetimes are Excel datetimes; ids, phones and every other text are text,
    never formulas. A sheet with ``money_viber``/``money_sms`` columns (a
    :func:`cost_report`) gets a native bar chart of money by group.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "out.xlsx")
        >>> to_excel(path, people=pd.DataFrame({"name": ["=1+1"]})) == path
        True
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if not sheets:
        raise InputError("to_excel needs at least one sheet: to_excel(path, sent=frame, ...)")
    path = os.fspath(path)
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, frame in sheets.items():
        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"sheet {title!r} must be a DataFrame, not {type(frame).__name__}")
        frame = _prepare(frame)
        if len(frame) + 1 > EXCEL_MAX_ROWS:
            raise InputError(
                f"sheet {title!r} has {len(frame):,} rows; an Excel sheet holds at most "
                f"{EXCEL_MAX_ROWS - 1:,}: split it or write CSV"
            )
        ws = book.create_sheet(title=str(title)[:31])
        columns = [_column_values(frame[c]) for c in frame.columns]
        for i, (name, (values, _)) in enumerate(zip(frame.columns, columns, strict=True), start=1):
            ws.column_dimensions[get_column_letter(i)].width = _width(name, values)
        ws.freeze_panes = "A2"
        last = get_column_letter(max(len(frame.columns), 1))
        ws.auto_filter.ref = f"A1:{last}{len(frame) + 1}"
        header = []
        for name in frame.columns:
            cell = WriteOnlyCell(ws, value=str(name))
            cell.data_type = "s"
            cell.font = bold
            header.append(cell)
        ws.append(header)
        formats = [fmt for _, fmt in columns]
        for row in zip(*(values for values, _ in columns), strict=True):
            cells = []
            for value, fmt in zip(row, formats, strict=True):
                if value is None:
                    cells.append(None)
                    continue
                cell = WriteOnlyCell(ws, value=value)
                if fmt == "@":
                    cell.data_type = "s"  # text stays text, even "=HYPERLINK(...)"
                if fmt:
                    cell.number_format = fmt
                cells.append(cell)
            ws.append(cells)
        chart_columns = [c for c in _CHART_SERIES if c in frame.columns]
        if chart_columns and len(frame) > 1:
            chart = BarChart()
            chart.type = "col"
            chart.grouping = "stacked"
            chart.overlap = 100
            chart.title = "Money by channel"
            chart.y_axis.title = "RUB"
            groups = len(frame) - 1 if str(frame.iloc[-1, 0]) == "total" else len(frame)
            for name in chart_columns:
                col = list(frame.columns).index(name) + 1
                chart.add_data(
                    Reference(ws, min_col=col, min_row=1, max_row=groups + 1), titles_from_data=True
                )
            chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=groups + 1))
            ws.add_chart(chart, f"{get_column_letter(len(frame.columns) + 2)}2")
    book.save(path)
    return path
