"""read_table_chunks: a large file a slice at a time, each row named as read_table names it."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames.errors import InputError
from targetsms_frames.table_chunks import read_table_chunks

CELLS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    max_size=8,
)


def _chunks_equal_whole(path, rows, **options) -> list[pd.DataFrame]:
    whole = tsf.read_table(path, **options)
    parts = list(read_table_chunks(path, rows, **options))
    assert all(len(part) <= rows for part in parts)
    assert all(part.attrs["sheet"] == whole.attrs["sheet"] for part in parts)
    if len(whole):
        pd.testing.assert_frame_equal(pd.concat(parts), whole)
    else:
        assert sum(len(part) for part in parts) == 0
    return parts


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=st.lists(st.lists(CELLS, min_size=1, max_size=4), max_size=25),
    rows=st.integers(1, 7),
    sep=st.sampled_from([",", ";"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]),
)
def test_csv_chunks_are_read_table_cut_into_slices(tmp_path, table, rows, sep, encoding):
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=sep)
    writer.writerow(["Phone", "Имя", "note"])
    writer.writerows(table)
    try:
        data = text.getvalue().encode(encoding)
    except UnicodeEncodeError:  # cp1251 cannot hold every character: not this file
        data = text.getvalue().encode("utf-8")
    path = tmp_path / "r.csv"
    path.write_bytes(data)
    _chunks_equal_whole(path, rows)


def test_csv_rows_keep_their_line_numbers_across_chunks_with_title_and_quoted_lines(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        'Рассылка\n\nТелефон;Имя\n79801234567;Анна\n\n79801234568;"Пё\nтр"\n79801234569;X\n',
        encoding="cp1251",
    )
    parts = _chunks_equal_whole(path, 1, columns={"телефон": "phone"})
    assert [part.index.tolist() for part in parts] == [[4], [6], [8]]
    assert parts[1]["Имя"].tolist() == ["Пё\nтр"]
    assert all(pd.api.types.is_string_dtype(part["phone"]) for part in parts)


@pytest.mark.parametrize("rows", [1, 2, 1000])
def test_parquet_chunks_are_text_and_numbered_on(tmp_path, rows):
    frame = pd.DataFrame(
        {
            " Phone ": ["79801234567", None, "79801234569"],
            "n": [1, 2, 3],
            "price": [1.5, None, 2.25],
        }
    )
    path = tmp_path / "r.parquet"
    frame.to_parquet(path, index=False)
    parts = _chunks_equal_whole(path, rows)
    assert pd.concat(parts).to_dict("list")["n"] == ["1", "2", "3"]
    assert all(pd.api.types.is_string_dtype(part["n"]) for part in parts)


def test_workbook_chunks(tmp_path):
    path = tmp_path / "r.xlsx"
    tsf.to_excel(
        path, people=pd.DataFrame({"phone": ["79801234567", "79801234568", "79801234569"]})
    )
    parts = _chunks_equal_whole(path, 2)
    assert [len(p) for p in parts] == [2, 1]


def test_bad_chunk_sizes_and_files_are_refused_by_name(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("phone\n1\n")
    for rows in (0, -1, 1.5, True):
        with pytest.raises(InputError, match="rows must be a whole number"):
            read_table_chunks(path, rows)
    with pytest.raises(InputError, match="no such file"):
        read_table_chunks(tmp_path / "missing.csv")
    damaged = tmp_path / "d.parquet"
    damaged.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match=r"cannot read .*d\.parquet as Parquet"):
        list(read_table_chunks(damaged))
