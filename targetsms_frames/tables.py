"""Spreadsheets in: xlsx, csv and parquet files as frames of text, rows named as the sheet shows.

A frame from :func:`read_table` is indexed by the row number a person sees in the
spreadsheet (Excel's row number, the CSV line number: title rows and blank rows
counted), and ``attrs["sheet"]`` names the sheet, so a problem on "row 5" is on
row 5 of that sheet. Headers are found below any title rows and matched to the
library's column names regardless of case and spaces.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import pandas as pd

from . import fields as F
from ._speed import text_series
from .answers import SENT_COLUMNS, STATE_COLUMNS
from .cells import cell_text
from .errors import InputError

# Header cells that mark the header row below any title rows.
_HEADER_MARKERS = ("phone", "template", "id_message")
# The library's own column names: matched whatever their case and spacing.
KNOWN_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            "phone",
            "template",
            "client_id_message",
            *F.MESSAGE_FIELDS,
            *SENT_COLUMNS,
            *STATE_COLUMNS,
            "final",
            "error",
            "problem",
            "sms_encoding",
            "sms_parts",
            "row",
        )
    )
)
_SPACES = re.compile(r"[\s_]+")
READS = (".xlsx", ".xlsm", ".csv", ".txt", ".parquet")


def _key(name: str) -> str:
    """A header as compared: case-folded, spaces and underscores as one ``_``."""
    return _SPACES.sub("_", name.strip()).strip("_").casefold()


def header_names(raw: list, columns: dict[str, str] | None = None) -> list[str]:
    """Header cells → column names: the caller's mapping, then the known names, then as written.

    Example:
        >>> header_names([" Phone ", "Телефон 2", None, "Send SMS"], {"телефон 2": "alt"})
        ['phone', 'alt', 'column_3', 'send_sms']
    """
    mapping = {_key(k): v for k, v in (columns or {}).items()}
    known = {_key(k): k for k in KNOWN_COLUMNS}
    names: list[str] = []
    seen: set[str] = set()
    for i, value in enumerate(raw, start=1):
        text = (cell_text(value) or "").strip()
        key = _key(text)
        name = mapping.get(key) or known.get(key) or text or f"column_{i}"
        while name in seen:
            name += "_"
        seen.add(name)
        names.append(name)
    return names


def _header_at(rows: list[tuple[int, list]], columns: dict | None, scan: int = 50) -> int:
    """Which row is the header: among the first ``scan`` non-blank rows, the first naming
    a marker column.

    A title row ("Рассылка на декабрь") has none, so it is skipped. Without any
    marker (a sheet of other columns) the first non-blank row is the header.
    """
    filled = (
        i for i, (_, values) in enumerate(rows) if any(cell_text(v) is not None for v in values)
    )
    leading = list(islice(filled, scan))
    for i in leading:
        if any(name in _HEADER_MARKERS for name in header_names(rows[i][1], columns)):
            return i
    return leading[0] if leading else 0


def _texts(values: Iterable[Any]) -> list[str | None]:
    """A column of raw cells as text; strings (most cells) skip the general rule."""
    return [(v if v.strip() else None) if v.__class__ is str else cell_text(v) for v in values]


def _frame(numbered: list[tuple[int, list]], columns: dict | None, sheet: str) -> pd.DataFrame:
    """Numbered rows (sheet row number, cells) → a frame of text indexed by row number."""
    if not numbered:
        frame = pd.DataFrame()
        frame.attrs["sheet"] = sheet
        return frame
    head = _header_at(numbered, columns)
    return body_frame(numbered[head + 1 :], header_names(numbered[head][1], columns), sheet)


def body_frame(body: list[tuple[int, list]], names: list[str], sheet: str) -> pd.DataFrame:
    """Numbered rows below the header → a frame of text; blank rows left out."""
    width = len(names)
    labels = pd.Index([number for number, _ in body], dtype="int64")
    # Column by column (a transpose in C, then one pass per column), not cell by cell.
    padded = [values[:width] + [None] * (width - len(values)) for _, values in body]
    cells = list(zip(*padded, strict=True)) if padded else [()] * width
    frame = pd.DataFrame(
        {name: text_series(_texts(cells[j]), labels) for j, name in enumerate(names)},
        index=labels,
    )
    # A blank row separates; it is not a recipient.
    frame = frame[frame.notna().any(axis=1).to_numpy(dtype=bool)] if width else frame
    frame.attrs["sheet"] = sheet
    return frame


def _read_xlsx(path: str, sheet: int | str, columns: dict[str, str] | None) -> pd.DataFrame:
    # calamine (Rust) reads the cells' stored values, as Excel last computed them, some
    # ten times faster than openpyxl; openpyxl stays the writer (excel.py).
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(path)
        names = book.sheet_names
    except Exception as exc:  # calamine raises several kinds for a damaged file
        raise InputError(f"cannot read {path} as an Excel workbook: {exc}") from exc
    try:
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise InputError(f"{path} has no sheet number {sheet} (sheets: {', '.join(names)})")
            title = names[sheet]
        else:
            if sheet not in names:
                raise InputError(f"{path} has no sheet {sheet!r} (sheets: {', '.join(names)})")
            title = sheet
        try:
            # From A1, so that row k of the list is the sheet's row k + 1.
            rows = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
        except Exception as exc:
            raise InputError(f"cannot read sheet {title!r} of {path}: {exc}") from exc
    finally:
        book.close()
    return _frame([(k + 1, row) for k, row in enumerate(rows)], columns, title)


def csv_encoding(path: str) -> str:
    """UTF-8 (with or without a BOM) when every byte decodes so, else cp1251.

    Read in blocks, so a file of ten million rows is checked without holding it.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 22):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1251"  # decodes every byte
    return "utf-8-sig"


def csv_records(path: str) -> Iterator[tuple[int, list[str]]]:
    """The non-empty records of a CSV file, each with the line it starts on.

    The delimiter is ``;`` when the first 20,000 characters hold more of them than
    commas, else ``,``. A quoted cell may span lines: a record is named by its first.
    """
    encoding = csv_encoding(path)
    with open(path, encoding=encoding, newline="") as handle:
        sample = handle.read(20_000)
        handle.seek(0)
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        reader = csv.reader(handle, delimiter=delimiter)
        line = 0
        try:
            for values in reader:
                first = line + 1
                line = reader.line_num
                if values:
                    yield first, values
        except csv.Error as exc:
            raise InputError(f"cannot read {path} as CSV: line {line + 1}: {exc}") from exc


def _read_csv(path: str, columns: dict[str, str] | None) -> pd.DataFrame:
    return _frame(list(csv_records(path)), columns, os.path.basename(path))


def _read_parquet(path: str, columns: dict[str, str] | None) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many kinds for a damaged file
        raise InputError(f"cannot read {path} as Parquet: {exc}") from exc
    return parquet_text(frame, columns, os.path.basename(path))


def parquet_text(frame: pd.DataFrame, columns: dict[str, str] | None, sheet: str) -> pd.DataFrame:
    """A frame read from Parquet with its headers matched and every column text."""
    names = header_names(list(frame.columns), columns)
    out = pd.DataFrame(index=frame.index)
    for name, (_, column) in zip(names, frame.items(), strict=True):
        if pd.api.types.is_string_dtype(column) and not pd.api.types.is_object_dtype(column):
            out[name] = column.astype(text_series([], pd.RangeIndex(0)).dtype)
        else:
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
            texts = [cell_text(u) for u in uniques] + [None]
            out[name] = text_series([texts[c] for c in codes], frame.index)
    out.attrs["sheet"] = sheet
    return out


def read_table(
    path: str | os.PathLike, sheet: int | str = 0, *, columns: dict[str, str] | None = None
) -> pd.DataFrame:
    """A spreadsheet (xlsx, csv or parquet) as a frame of text, rows named as the sheet shows.

    Every cell is a string or missing: phones keep every digit, dates come out as ISO
    text (``2026-12-01 10:00:00``). The index is the row number a person sees (Excel's
    row, the CSV line; title and blank rows counted, blank rows left out) and
    ``attrs["sheet"]`` the sheet's name, so problems name the row on the sheet. The
    header is the first row with a ``phone``, ``template`` or ``id_message`` cell (title
    rows above it are skipped), else the first non-blank row. Header cells match the
    library's names whatever their case and spacing (``" Phone "`` is ``phone``);
    ``columns`` maps others (``{"Телефон": "phone"}``); any other column is kept as written.
    CSV may be UTF-8 or cp1251, with ``;`` or ``,``.

    Args:
        path: an ``.xlsx``/``.xlsm``, ``.csv``/``.txt`` or ``.parquet`` file.
        sheet: the sheet's name or number (0 is the first) in a workbook.
        columns: header → column name, matched regardless of case and spacing.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "r.csv")
        >>> _ = open(path, "w", encoding="cp1251").write(
        ...     "Рассылка\\n\\nТелефон;Имя\\n79801234567;Анна\\n")
        >>> t = read_table(path, columns={"телефон": "phone"})
        >>> t.to_dict("index")
        {4: {'phone': '79801234567', 'Имя': 'Анна'}}
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError(f"no such file: {path}")
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet, columns)
    if suffix in (".csv", ".txt"):
        return _read_csv(path, columns)
    if suffix == ".parquet":
        return _read_parquet(path, columns)
    raise InputError(
        f"read_table reads .xlsx, .xlsm, .csv and .parquet files, not {suffix or 'this file'}: "
        f"{path}"
    )
