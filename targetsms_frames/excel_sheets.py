"""Laying sheets out with openpyxl: styled tables, print setup, the summary and its chart.

``excel.to_excel`` decides what goes into the workbook; this module decides how it looks.
Every sheet prints landscape, one page wide, its header row repeated; the summary prints
on one page with its chart.
"""

from __future__ import annotations

from typing import TypedDict

import pandas as pd
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.chart import BarChart, Reference, Series
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from .channels import CHANNELS
from .excel_cells import COUNT_FORMAT, DATETIME_FORMAT, MONEY_FORMAT, RATE_FORMAT, Column, safe_text
from .labels import ZONE_MSK, channel_name
from .workbook_summary import OTHERS, Summary, text

FONT = "Calibri"  # the body's font (openpyxl's default style); headers name it too
HEADER_FONT = Font(name=FONT, size=11, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
HEADER_BORDER = Border(bottom=Side(style="thin", color="5B7DB1"))
HEADER_ALIGN = Alignment(vertical="center", wrap_text=True)
HEADER_ALIGN_RIGHT = Alignment(horizontal="right", vertical="center", wrap_text=True)
TOTAL_FONT = Font(name=FONT, size=11, bold=True)
TOTAL_BORDER = Border(top=Side(style="medium", color="404040"))
TITLE_FONT = Font(name=FONT, size=16, bold=True, color="1F3864")
NOTE_FONT = Font(name=FONT, size=10, italic=True, color="595959")
LINE_HEIGHT = 15  # points per line of 11-point text
AXIS_FORMAT = '#,##0 "₽"'  # whole rubles on the axis: the exact kopecks are in the cells
CHART_COLORS = {c.name: c.color for c in CHANNELS}  # from the channel table
LAST_SCREEN_COLUMN = 12  # L: the chart stays on the first screen (A–L, rows 1–30)


def page_setup(ws, *, one_page: bool = False, title_row: bool = True) -> None:
    """Landscape A4, one page wide (and tall, for ``one_page``), the header row repeated."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0  # 0: as many pages tall as needed
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if title_row:
        ws.print_title_rows = "1:1"


class _Style(TypedDict, total=False):
    """The keyword arguments of :func:`_cell` that make a cell's look."""

    font: Font
    fmt: str
    border: Border
    fill: PatternFill
    align: Alignment
    text: bool


def _cell(
    ws,
    value,
    *,
    font: Font | None = None,
    fmt: str | None = None,
    border: Border | None = None,
    fill: PatternFill | None = None,
    align: Alignment | None = None,
    text: bool = False,
) -> Cell:
    cell = WriteOnlyCell(ws, value=value)
    if text:
        cell.data_type = "s"  # text stays text, even "=HYPERLINK(...)"
    if fmt:
        cell.number_format = fmt
    if font:
        cell.font = font
    if border:
        cell.border = border
    if fill:
        cell.fill = fill
    if align:
        cell.alignment = align
    return cell


def write_table(book, title: str, headers: list[str], columns: list[Column], *, total: bool):
    """A frame as a sheet: styled frozen header, autofilter, widths, a styled total row.

    The total row (the last, when ``total``) is left out of the autofilter range, so
    sorting or filtering never moves or hides it.
    """
    ws = book.create_sheet(title=title)
    rows = len(columns[0].values) if columns else 0
    for i, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.freeze_panes = "A2"
    last = get_column_letter(max(len(columns), 1))
    ws.auto_filter.ref = f"A1:{last}{rows + 1 - (1 if total and rows else 0)}"
    page_setup(ws)
    ws.append(
        [
            _cell(
                ws,
                safe_text(h),
                font=HEADER_FONT,
                fill=HEADER_FILL,
                border=HEADER_BORDER,
                align=_header_alignment(columns, i),
                text=True,
            )
            for i, h in enumerate(headers)
        ]
    )
    aligns = _alignments(columns)
    formats = [c.number_format for c in columns]
    texts = [c.text for c in columns]
    # One style per column, made once and copied into each cell: setting a style on every
    # cell would hash it every time, the slowest part of writing a big sheet.
    styles = [
        _style_array(_cell(ws, None, fmt=f, align=a)) for f, a in zip(formats, aligns, strict=True)
    ]
    wrapping = [(i, c.width) for i, c in enumerate(columns) if c.wrap]
    for r, row in enumerate(zip(*(c.values for c in columns), strict=True)):
        if total and r == rows - 1:
            ws.append(
                [
                    _cell(
                        ws, v, font=TOTAL_FONT, border=TOTAL_BORDER, fmt=f, text=t and v is not None
                    )
                    for v, f, t in zip(row, formats, texts, strict=True)
                ]
            )
            continue
        if wrapping:  # spreadsheets do not grow rows on opening: give wrapped text its height
            lines = max(_lines(row[i], width) for i, width in wrapping)
            if lines > 1:
                ws.row_dimensions[r + 2].height = min(LINE_HEIGHT * lines, 409)
        ws.append(
            [
                None if v is None else _styled(ws, v, style, t)
                for v, style, t in zip(row, styles, texts, strict=True)
            ]
        )
    return ws


# A cell's whole style is openpyxl's private ``_style`` (types-openpyxl leaves it out, hence
# the ignores): copying one made per column is what keeps a big sheet fast (write_table).
def _style_array(cell: Cell) -> StyleArray | None:
    """The cell's style as openpyxl keeps it (None: the default style)."""
    return cell._style  # type: ignore[attr-defined]


def _styled(ws, value, style: StyleArray | None, text: bool) -> Cell:
    cell = WriteOnlyCell(ws, value=value)
    if text:
        cell.data_type = "s"  # text stays text, even "=HYPERLINK(...)"
    if style is not None:  # None: the default style
        cell._style = StyleArray(style)  # type: ignore[attr-defined]
    return cell


def _header_alignment(columns: list[Column], i: int) -> Alignment:
    """A header sits on the side its values are aligned to, indented like its text."""
    column = columns[i]
    values = (v for v in column.values if v is not None)
    if column.text or column.number_format == DATETIME_FORMAT:
        indent = 1 if column.text and i and not columns[i - 1].text else 0
        return Alignment(vertical="center", wrap_text=True, indent=indent)
    if isinstance(next(values, None), bool):
        return Alignment(horizontal="center", vertical="center", wrap_text=True)
    return HEADER_ALIGN_RIGHT


def _alignments(columns: list[Column]) -> list[Alignment | None]:
    """Top-aligned rows when some text wraps; text after a number or date starts indented,
    so a right-aligned value never touches the text beside it."""
    wrapped = any(c.wrap for c in columns)
    out: list[Alignment | None] = []
    for i, column in enumerate(columns):
        indent = 1 if column.text and i and not columns[i - 1].text else 0
        # A datetime reads left to right with its gap after it, not against the next column.
        left = "left" if column.number_format == DATETIME_FORMAT else None
        if column.wrap or wrapped or indent or left:
            out.append(
                Alignment(
                    horizontal=left,
                    vertical="top" if wrapped else None,
                    wrap_text=column.wrap,
                    indent=indent,
                )
            )
        else:
            out.append(None)
    return out


def _lines(value, width: float) -> int:
    """Lines a wrapped text takes in a column of ``width`` characters (a safe estimate)."""
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(int(width), 1)  # a column holds more average letters than its width in "0"s
    return sum(max(-(-len(part) // per_line), 1) for part in value.split("\n"))


def _money_chart(lang: str) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 60
    chart.title = text("chart", lang)
    chart.y_axis.number_format = AXIS_FORMAT  # one currency mark, on the numbers; no axis title
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    return chart


def _colour(series, channel: str) -> None:
    if channel in CHART_COLORS:
        series.graphicalProperties.solidFill = CHART_COLORS[channel]
        series.graphicalProperties.line.solidFill = CHART_COLORS[channel]


def add_detail_chart(ws, frame: pd.DataFrame, channels: list[str], lang: str, total: bool):
    """A cost report's stacked money chart, below its table, legend entries by channel."""
    groups = len(frame) - (1 if total else 0)
    if not channels or groups < 1:
        return
    chart = _money_chart(lang)
    names = list(map(str, frame.columns))
    for channel in channels:
        col = names.index(f"money_{channel}") + 1
        values = Reference(ws, min_col=col, min_row=2, max_row=groups + 1)
        series = Series(values, title=channel_name(channel))
        _colour(series, channel)
        chart.series.append(series)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=groups + 1))
    chart.width, chart.height = 18, 9
    ws.add_chart(chart, f"B{len(frame) + 3}")


def _zone_text(when: pd.Timestamp, lang: str) -> str:
    return f"{when:%Y-%m-%d %H:%M} {ZONE_MSK[lang]}"


def _summary_rows(s: Summary, lang: str) -> tuple[list[list], dict]:
    """The summary's left-hand block as rows of cells: (value, style) pairs."""
    rows: list[list] = [[(text("title", lang), "title")]]
    if s.campaigns:
        names = ", ".join(s.campaigns)
        names = names if len(names) <= 90 else names[:89] + "…"
        rows.append([(f"{text('campaigns', lang)}: {names}", "note")])
    if s.as_of is not None:
        rows.append([(f"{text('as_of', lang)} {_zone_text(s.as_of, lang)}", "note")])
    rows.append([])
    rows.append([(text("messages", lang), "head"), (text("count", lang), "head_number")])
    rows += [[(text(key, lang), None), (value, "count")] for key, value in s.counts]
    if s.rates:
        rows.append([])
        rows.append([(text("rates", lang), "head"), (text("share", lang), "head_number")])
        for key, value in s.rates:
            if key.startswith("reached:"):
                label = text("reached", lang, ch=channel_name(key.split(":", 1)[1]))
            else:
                label = text(key, lang)
                if key in ("read_rate", "click_rate") and value is None:
                    label += " *"
            rows.append([(label, None), ("—", "none") if value is None else (value, "rate")])
        if any(k in ("read_rate", "click_rate") and v is None for k, v in s.rates):
            rows.append([(f"* {text('no_engagement', lang)}", "note")])
    anchors = {}
    if s.channels:
        rows.append([])
        rows.append([(text("money", lang), "section")])
        heads = ("channel", "charged", "amount", "share")
        rows.append([(text(k, lang), "head" if k == "channel" else "head_number") for k in heads])
        total = sum(s.kopecks.values())
        for channel in s.channels:
            kop = s.kopecks[channel]
            rows.append(
                [
                    (channel_name(channel), None),
                    (s.charged.get(channel), "count"),
                    (kop / 100, "money"),
                    (kop / total if total else None, "rate"),
                ]
            )
        charged = [n for n in s.charged.values() if n is not None]
        rows.append(
            [
                (text("total", lang), "total"),
                (sum(charged) if len(charged) == len(s.charged) else None, "total_count"),
                (total / 100, "total_money"),
                (1.0 if total else None, "total_rate"),
            ]
        )
        if s.estimate_kopecks is not None:
            rows.append([(text("estimate", lang), None), None, (s.estimate_kopecks / 100, "money")])
            over = (total - s.estimate_kopecks) / 100
            rows.append([(text("over_estimate", lang), None), None, (over, "money")])
        if s.delivered:
            per = round(total / s.delivered) / 100
            rows.append([(text("cost_per_delivered", lang), None), None, (per, "money")])
    if s.channels and s.by_campaign is not None and len(s.by_campaign):
        rows.append([])
        rows.append([(text("by_campaign", lang), "section")])
        anchors["table"] = len(rows) + 1  # the header row of the chart's data
        rows.append(
            [(text("campaign", lang), "head")]
            + [(channel_name(c), "head_number") for c in s.channels]
            + [(text("total", lang), "head_number")]
        )
        for name, money in s.by_campaign.iterrows():
            shown = text("others", lang) if name == OTHERS else (str(name) or text("all", lang))
            rows.append(
                [(shown, "text")]
                + [(int(money[c]) / 100, "money") for c in s.channels]
                + [(int(money.sum()) / 100, "money")]
            )
        anchors["rows"] = len(s.by_campaign)
    return rows, anchors


_STYLES: dict[str, _Style] = {
    "title": {"font": TITLE_FONT},
    "note": {"font": NOTE_FONT},
    "section": {"font": Font(name=FONT, size=12, bold=True, color="1F3864")},
    "head": {
        "font": HEADER_FONT,
        "fill": HEADER_FILL,
        "border": HEADER_BORDER,
        "align": HEADER_ALIGN,
    },
    "head_number": {
        "font": HEADER_FONT,
        "fill": HEADER_FILL,
        "border": HEADER_BORDER,
        "align": HEADER_ALIGN_RIGHT,
    },
    "count": {"fmt": COUNT_FORMAT},
    "rate": {"fmt": RATE_FORMAT},
    "money": {"fmt": MONEY_FORMAT},
    "text": {"text": True},
    "none": {"align": Alignment(horizontal="right")},
    "total": {"font": TOTAL_FONT, "border": TOTAL_BORDER},
    "total_count": {"font": TOTAL_FONT, "border": TOTAL_BORDER, "fmt": COUNT_FORMAT},
    "total_money": {"font": TOTAL_FONT, "border": TOTAL_BORDER, "fmt": MONEY_FORMAT},
    "total_rate": {"font": TOTAL_FONT, "border": TOTAL_BORDER, "fmt": RATE_FORMAT},
}


def write_summary(book, title: str, s: Summary, lang: str):
    """The summary sheet: figures on the left (A–F), the money chart beside them (to L)."""
    ws = book.create_sheet(title=title)
    rows, anchors = _summary_rows(s, lang)
    table_columns = 2 + len(s.channels) if s.channels else 2
    first_chart = max(table_columns, 4) + 2  # one narrow gap column, then the chart
    widths: dict[int, float] = {1: 34, 2: 21, 3: 15, 4: 10}
    for col in range(5, table_columns + 1):
        widths[col] = 15
    widths[first_chart - 1] = 3
    chart_width = max(LAST_SCREEN_COLUMN - first_chart + 1, 1)
    for col in range(first_chart, LAST_SCREEN_COLUMN + 1):
        widths[col] = round(70 / chart_width, 1)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.sheet_view.showGridLines = False
    # A write-only sheet writes its properties with the first row: set up the page before.
    page_setup(ws, one_page=True, title_row=False)
    ws.print_area = f"A1:{get_column_letter(LAST_SCREEN_COLUMN)}{max(len(rows), 30)}"
    for row in rows:
        cells = []
        for item in row:
            if item is None or item[0] is None:
                style = _STYLES.get(item[1], {}) if item else {}
                cells.append(_cell(ws, None, **style) if "border" in style else None)
                continue
            value, kind = item
            style = _STYLES.get(kind, {}).copy()
            if isinstance(value, str):
                value, style["text"] = safe_text(value), True
                style.pop("fmt", None)
            cells.append(_cell(ws, value, **style))
        ws.append(cells)
    if "table" in anchors and anchors["rows"]:
        head, n = anchors["table"], anchors["rows"]
        chart = _money_chart(lang)
        for i, channel in enumerate(s.channels, start=2):
            data = Reference(ws, min_col=i, min_row=head, max_row=head + n)
            series = Series(data, title_from_data=True)  # the header cell: "Viber", "SMS"
            _colour(series, channel)
            chart.series.append(series)
        chart.set_categories(Reference(ws, min_col=1, min_row=head + 1, max_row=head + n))
        # types-openpyxl has a chart's anchor as a cell name only; openpyxl takes an anchor
        # object too (drawing.spreadsheet_drawing._check_anchor), the one way to fix both corners.
        chart.anchor = TwoCellAnchor(  # type: ignore[assignment]
            _from=AnchorMarker(col=first_chart - 1, row=1),
            to=AnchorMarker(col=LAST_SCREEN_COLUMN, row=22),
        )
        ws.add_chart(chart)
    return ws
