"""read_table on xlsx: calamine reads every cell as the text openpyxl (and Excel) shows."""

from __future__ import annotations

import zipfile
from datetime import datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames.cells import cell_text
from targetsms_frames.errors import InputError

# What a cell of a real sheet holds: text of any script (no control characters, which
# the xlsx format cannot store), whole numbers a double holds exactly, fractions,
# booleans and datetimes.
CELL = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=15),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
)


def _write(path, rows) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Лист 1"
    for row in rows:
        sheet.append(row)
    book.save(path)


def _as_openpyxl_reads(path) -> list[list[str | None]]:
    sheet = openpyxl.load_workbook(path, data_only=True).active
    return [[cell_text(c.value) for c in row] for row in sheet.iter_rows()]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=8))
def test_every_cell_reads_as_openpyxl_shows_it(tmp_path_factory, body):
    path = tmp_path_factory.mktemp("x") / "cells.xlsx"
    _write(path, [["phone", "name", "note"], *body])
    expected = _as_openpyxl_reads(path)
    table = tsf.read_table(path)
    assert table.attrs["sheet"] == "Лист 1"
    for number, row in table.iterrows():  # the index is the sheet's row number
        assert list(row.astype(object).where(row.notna(), None)) == expected[number - 1]
    blank = [k + 2 for k, cells in enumerate(expected[1:]) if all(c is None for c in cells)]
    assert sorted(set(table.index) | set(blank)) == list(range(2, len(expected) + 1))


def test_phone_numbers_stored_as_numbers_keep_every_digit(tmp_path):
    path = tmp_path / "numbers.xlsx"
    _write(path, [["Рассылка"], [], ["Phone", "n"], [79801234567, 1], [380442589632, 2.5]])
    table = tsf.read_table(path)
    assert table.index.tolist() == [4, 5]
    assert table["phone"].tolist() == ["79801234567", "380442589632"]
    assert table["n"].tolist() == ["1", "2.5"]


@pytest.mark.parametrize(
    "damage",
    ["truncated", "not a zip", "zip without a workbook", "empty"],
)
def test_a_damaged_workbook_is_one_clear_error(tmp_path, damage):
    good = tmp_path / "good.xlsx"
    _write(good, [["phone"], ["79801234567"]])
    bad = tmp_path / "bad.xlsx"
    if damage == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif damage == "not a zip":
        bad.write_bytes(b"phone\n79801234567\n")
    elif damage == "zip without a workbook":
        with zipfile.ZipFile(bad, "w") as archive:
            archive.writestr("hello.txt", "hi")
    else:
        bad.write_bytes(b"")
    with pytest.raises(InputError, match=r"cannot read .*bad\.xlsx"):
        tsf.read_table(bad)


def test_a_missing_sheet_names_the_sheets_there(tmp_path):
    path = tmp_path / "one.xlsx"
    _write(path, [["phone"], ["79801234567"]])
    with pytest.raises(InputError, match=r"has no sheet 'templates' \(sheets: Лист 1\)"):
        tsf.read_table(path, sheet="templates")
    with pytest.raises(InputError, match=r"has no sheet number 3"):
        tsf.read_table(path, sheet=3)
