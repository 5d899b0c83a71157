"""Spreadsheets in chunks: a campaign too large to hold at once, read a slice at a time.

The frames are what :func:`targetsms_frames.read_table` would give, cut into
consecutive slices of rows: the same column names, every cell text, each row named
by the same label (the CSV line, the sheet row, the Parquet row number), so a
problem found in any chunk names the row a person finds in the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import chain, islice

import pandas as pd

from .errors import InputError
from .tables import (
    READS,
    _header_at,
    body_frame,
    csv_records,
    header_names,
    parquet_text,
    read_table,
)

DEFAULT_CHUNK_ROWS = 100_000
_HEADER_SCAN = 50  # rows looked at for the header, as read_table does


def read_table_chunks(
    path: str | os.PathLike,
    rows: int = DEFAULT_CHUNK_ROWS,
    *,
    sheet: int | str = 0,
    columns: dict[str, str] | None = None,
) -> Iterator[pd.DataFrame]:
    """A spreadsheet as consecutive frames of at most ``rows`` rows each.

    Parquet is read a row group slice at a time and CSV a record at a time, so
    memory stays bounded by ``rows`` whatever the file's size; a workbook (at most
    1,048,576 rows) is read whole and then cut. Concatenated, the chunks equal
    ``read_table(path)`` (a chunk may have fewer rows where blank rows were left out),
    but for a Parquet file written with a pandas index of its own: its rows are numbered
    from 0 here, where ``read_table`` restores that index.

    Args:
        path: an ``.xlsx``/``.xlsm``, ``.csv``/``.txt`` or ``.parquet`` file.
        rows: the most rows per chunk.
        sheet: the sheet's name or number in a workbook.
        columns: header → column name, as in :func:`read_table`.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "r.csv")
        >>> _ = open(path, "w").write("phone,name\\n79801234567,Anna\\n79801234568,Petr\\n")
        >>> [chunk.index.tolist() for chunk in read_table_chunks(path, rows=1)]
        [[2], [3]]
    """
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise InputError(f"rows must be a whole number of at least 1, not {rows!r}")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError(f"no such file: {path}")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".parquet":
        return _parquet_chunks(path, rows, columns)
    if suffix in (".csv", ".txt"):
        return _csv_chunks(path, rows, columns)
    if suffix in READS:
        return _cut(read_table(path, sheet, columns=columns), rows)
    return iter([read_table(path, sheet, columns=columns)])  # read_table says what is wrong


def _cut(frame: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    for start in range(0, max(len(frame), 1), rows):
        chunk = frame.iloc[start : start + rows]
        chunk.attrs = dict(frame.attrs)
        yield chunk


def _parquet_chunks(path: str, rows: int, columns: dict[str, str] | None) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises many kinds for a damaged file
        raise InputError(f"cannot read {path} as Parquet: {exc}") from exc
    sheet = os.path.basename(path)
    # The columns a pandas index was stored in are not data (read_table drops them too).
    # (A RangeIndex is stored as a description, not a column.)
    stored = (source.schema_arrow.pandas_metadata or {}).get("index_columns", [])
    stored_index = {name for name in stored if isinstance(name, str)}
    data = [n for n in source.schema_arrow.names if n not in stored_index]
    start = 0
    try:
        batches = source.iter_batches(batch_size=rows, columns=data)
        for batch in batches:
            frame = batch.to_pandas(types_mapper=_text_types)
            frame.index = pd.RangeIndex(start, start + len(frame))
            start += len(frame)
            yield parquet_text(frame, columns, sheet)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {path} as Parquet after row {start}: {exc}") from exc
    if start == 0:
        yield parquet_text(pd.DataFrame({n: [] for n in data}), columns, sheet)


def _text_types(arrow_type):
    """Arrow text as pandas' text dtype (no object column of a million str)."""
    import pyarrow as pa

    from ._speed import TEXT_DTYPE

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return TEXT_DTYPE
    return None


def _csv_chunks(path: str, rows: int, columns: dict[str, str] | None) -> Iterator[pd.DataFrame]:
    sheet = os.path.basename(path)
    records = csv_records(path)
    leading = list(islice(records, _HEADER_SCAN + 1))
    if not leading:
        yield read_table(path, columns=columns)
        return
    head = _header_at(leading, columns, _HEADER_SCAN)
    names = header_names(leading[head][1], columns)
    body = chain(leading[head + 1 :], records)
    while chunk := list(islice(body, rows)):
        yield body_frame(chunk, names, sheet)
