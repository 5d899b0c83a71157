"""Where the command line writes: the writer chosen by the output's extension.

A workbook (``.xlsx``) holds every sheet. CSV and Parquet hold one table each: the
first sheet goes to the path given and each other sheet beside it, as
``plan.problems.csv`` next to ``plan.csv``.
"""

from __future__ import annotations

import os

import pandas as pd

from ..errors import InputError

WRITES = (".xlsx", ".csv", ".parquet")


def check_output(path: str) -> str:
    """Refuse, before any work is done, an output that cannot be written."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in WRITES:
        raise InputError(f"cannot write {path}: choose an output ending in .xlsx, .csv or .parquet")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"cannot write {path}: the folder {folder} does not exist")
    return path


def default_output(args, suffix: str) -> str:
    """``--output``, or ``<input name>-<suffix>.xlsx`` in the current folder."""
    if args.output:
        return args.output
    source = next(
        (v for v in (getattr(args, n, None) for n in ("recipients", "sent", "phones")) if v),
        "campaign",
    )
    return f"{os.path.splitext(os.path.basename(source))[0]}-{suffix}.xlsx"


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame whose index is a named column when it carries meaning (sheet rows)."""
    if isinstance(frame.index, pd.RangeIndex) and frame.index.name is None:
        return frame.reset_index(drop=True)
    name = frame.index.name or "row"
    return frame.reset_index(names=name if name not in frame.columns else f"{name}_")


def write_output(
    path: str, *, labels: str | None = None, summary: bool = False, **sheets: pd.DataFrame
) -> list[str]:
    """Write the sheets by the path's extension; returns the files written.

    ``labels`` and ``summary`` are the workbook's (see ``to_excel``): CSV and Parquet are
    for programs and keep the API's column names.
    """
    from ..excel import to_excel

    check_output(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".xlsx":
        return [to_excel(path, labels=labels, summary=summary, **sheets)]
    stem = os.path.splitext(path)[0]
    written = []
    for i, (name, frame) in enumerate(sheets.items()):
        target = path if i == 0 else f"{stem}.{name}{suffix}"
        flat = _flat(frame)
        flat.attrs = {}  # the frame's notes (Decimal money, verdicts) are not table data
        if suffix == ".csv":
            # UTF-8 with a BOM: Excel opens it with the Cyrillic intact.
            flat.to_csv(target, index=False, encoding="utf-8-sig")
        else:
            # Parquet wants one type per column: a column mixing numbers and text
            # (sheet rows and a "total" row) is written as text.
            mixed = [c for c in flat.columns if flat[c].dtype == object]
            for name in mixed:
                flat[name] = flat[name].map(lambda v: None if pd.isna(v) else str(v))
            flat.to_parquet(target, index=False)
        written.append(target)
    return written
