"""read_table on a large xlsx against ``pandas.read_excel(dtype=str)`` with openpyxl.

The workbook (written once with openpyxl's write-only mode and kept in the temp
folder) has a title row, a header, and recipients: phones stored as numbers and as
text, names in two scripts, a template, an amount and a datetime. Both readers must
give the same text in every cell; the figure is the median time of each, measured in
one run, and their ratio (target, issue 14: read_table ≥ 5× faster at 1,000,000 rows).

    python benchmarks/bench_read.py [--rows 1000000] [--runs 3] [--baseline-runs 1] [--json]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import datetime, timedelta

import pandas as pd
from _common import emit, median, row

import targetsms_frames as tsf

TARGET = 5.0
NAMES = ["Анна", "Борис", "John", "Maria", "Олег"]


def workbook(rows: int) -> str:
    """The benchmark workbook of ``rows`` recipients (made once per size)."""
    path = os.path.join(tempfile.gettempdir(), f"targetsms-bench-read-{rows}.xlsx")
    if os.path.exists(path):
        return path
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("recipients")
    sheet.append(["Рассылка на декабрь"])
    sheet.append(["phone", "name", "template", "amount", "visited"])
    start = datetime(2026, 11, 1, 9, 30)
    for i in range(rows):
        phone = 79_400_000_000 + i
        sheet.append(
            [
                phone if i % 2 else f"+7 {str(phone)[1:4]} {str(phone)[4:]}",
                NAMES[i % len(NAMES)],
                "promo" if i % 3 else "reminder",
                (i % 1000) / 4,
                start + timedelta(days=i % 30, minutes=i % 600),  # never midnight, which
                # read_table writes as a date alone (cells.py) and pandas with 00:00:00
            ]
        )
    partial = path + ".part"
    book.save(partial)
    os.replace(partial, path)
    return path


def _texts(frame: pd.DataFrame) -> list[list]:
    return [
        [None if pd.isna(v) else str(v) for v in frame[c].astype(object)] for c in frame.columns
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-runs", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    path = workbook(args.rows)

    ours, theirs = [], []
    for _ in range(args.runs):
        began = time.perf_counter()
        table = tsf.read_table(path)
        ours.append(time.perf_counter() - began)
    for _ in range(args.baseline_runs):
        began = time.perf_counter()
        baseline = pd.read_excel(path, dtype=str, engine="openpyxl", header=1)
        theirs.append(time.perf_counter() - began)

    # The output, checked: every row, every cell the same text, rows named as the sheet.
    assert len(table) == len(baseline) == args.rows, (len(table), len(baseline))
    assert table.index[0] == 3 and table.index[-1] == args.rows + 2
    assert list(table.columns) == list(baseline.columns)
    assert _texts(table) == _texts(baseline), "read_table and read_excel disagree on a cell"

    mine, base = median(ours), median(theirs)
    ratio = base / mine
    emit(
        [
            row(
                f"read_table, {args.rows:,}-row xlsx",
                f"{mine:.2f} s",
                f"pandas.read_excel(dtype=str, openpyxl) {base:.2f} s",
                f"{ratio:.1f}×",
                f"≥ {TARGET:.0f}×",
                ratio >= TARGET,
                "every cell the same text; sheet row numbers",
                kind="ratio",
            )
        ],
        args.json,
    )


if __name__ == "__main__":
    main()
