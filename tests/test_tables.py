"""read_table: sheet rows named as the spreadsheet shows them, headers found and matched."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames.tables import KNOWN_COLUMNS, header_names


def marketing_workbook(path):
    """What a marketer makes: a title, blank rows, their own headers, two sheets."""
    book = openpyxl.Workbook()
    people = book.active
    people.title = "Получатели"
    people.append(["Рассылка на декабрь"])  # row 1: a title
    people.append([])  # row 2
    people.append(["Телефон", " Name ", "Template"])  # row 3: the header
    people.append(["8 (980) 123-45-67", "Анна", "promo"])  # row 4
    people.append([])  # row 5: blank
    people.append(["позвонить вечером", "Борис", "promo"])  # row 6: not a phone
    people.append(["79801234568", "Вера", "black-friday"])  # row 7: unknown template
    people.append([])  # row 8
    people.append(["+7 980 123 45 67", "Анна", "promo"])  # row 9: duplicate of row 4
    templates = book.create_sheet("Шаблоны")
    templates.append(["Шаблоны сообщений"])
    templates.append([" Template ", "Send SMS", "SENDER_SMS", "text sms", "comment"])
    templates.append(["promo", "1", "Shop", "{Name}, скидка 10%", "for the newsletter"])
    book.save(path)


def test_problems_name_the_excel_rows_of_a_marketers_workbook(tmp_path):
    path = tmp_path / "campaign.xlsx"
    marketing_workbook(path)
    recipients = tsf.read_table(path, "Получатели", columns={"телефон": "phone"})
    templates = tsf.read_table(path, "Шаблоны")
    assert recipients.index.tolist() == [4, 6, 7, 9]
    assert recipients.attrs["sheet"] == "Получатели"
    assert recipients.columns.tolist() == ["phone", "Name", "template"]
    assert templates.columns.tolist() == [
        "template",
        "send_sms",
        "sender_sms",
        "text_sms",
        "comment",
    ]
    assert templates["comment"].tolist() == ["for the newsletter"]  # extra columns carried
    plan = tsf.plan(recipients, templates, campaign="december")  # "comment" is carried
    found = {(r.row, r.column) for r in tsf.problems(plan).itertuples()}
    assert found == {(6, "phone"), (7, "template"), (9, "phone")}
    duplicate = tsf.problems(plan).set_index("row").loc[9, "rule"]
    assert "duplicate of row 4" in duplicate
    assert plan.loc[4, "text_sms"] == "Анна, скидка 10%"


def test_the_cli_names_the_excel_rows_from_one_workbook(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "campaign.xlsx"
    marketing_workbook(path)
    out = tmp_path / "plan.xlsx"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "targetsms_frames.cli",
            "plan",
            path,
            "--sheet",
            "Получатели",
            "--templates-sheet",
            "Шаблоны",
            "--columns",
            "Телефон=phone",
            "--campaign",
            "december",
            "--output",
            out,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "4 rows, 1 ready to send, 3 with problems" in result.stdout
    problems = pd.read_excel(out, sheet_name="problems")
    assert problems["row"].tolist() == [6, 7, 9]
    assert set(problems["sheet"]) == {"Получатели"}
    assert pd.read_excel(out, sheet_name="plan")["row"].tolist() == [4, 6, 7, 9]


def test_csv_rows_are_line_numbers_with_titles_blank_lines_and_quoted_newlines(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        'Список\n\n Phone ;note\n79801234567;"two\nlines"\n\n79801234568;x\n', encoding="utf-8"
    )
    table = tsf.read_table(path)
    assert table.index.tolist() == [4, 7]  # a record is named by the line it starts on
    assert table["note"].tolist() == ["two\nlines", "x"]
    assert table.attrs["sheet"] == "r.csv"


def test_parquet_in_and_out_keeps_text_and_rows(tmp_path):
    frame = pd.DataFrame(
        {"Phone": [79801234567, 79801234568], "n": [1.0, 2.5], "name": ["Анна", None]},
        index=pd.Index([4, 9]),
    )
    path = tmp_path / "r.parquet"
    frame.to_parquet(path)
    table = tsf.read_table(path)
    assert table.to_dict("index") == {
        4: {"phone": "79801234567", "n": "1", "name": "Анна"},
        9: {"phone": "79801234568", "n": "2.5", "name": table.loc[9, "name"]},
    }
    assert pd.isna(table.loc[9, "name"])
    assert all(pd.api.types.is_string_dtype(table[c]) for c in table.columns)


@given(
    st.lists(
        st.one_of(st.none(), st.sampled_from(KNOWN_COLUMNS), st.text(max_size=12)), max_size=12
    ),
    st.booleans(),
)
def test_header_names_are_unique_and_known_names_match_whatever_case_and_spaces(raw, shout):
    cells = [f"  {c.upper() if shout else c.title()} " if c in KNOWN_COLUMNS else c for c in raw]
    names = header_names(cells)
    assert len(names) == len(raw) and len(set(names)) == len(names)
    for cell, original, name in zip(cells, raw, names, strict=True):
        if original in KNOWN_COLUMNS:
            assert name.rstrip("_") == original
        elif cell is None or not str(cell).strip():
            assert name.startswith("column_")


@pytest.mark.parametrize("header", ["phone", "Phone", " phone ", "PHONE", "Телефон"])
def test_phone_headers(tmp_path, header):
    path = tmp_path / "r.csv"
    path.write_text(f"{header};name\n79801234567;Анна\n", encoding="utf-8")
    table = tsf.read_table(path, columns={"телефон": "phone"})
    assert table.columns.tolist() == ["phone", "name"]
