"""read_table and to_excel: text stays text, phones keep their digits, no formulas."""

from __future__ import annotations

import zipfile
from datetime import datetime, timedelta, timezone

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames import excel
from targetsms_frames.errors import InputError
from targetsms_frames.excel_cells import CELL_MAX_CHARS, safe_text

# Three hours ahead in Moscow time, the provider's clock, as a naive spreadsheet datetime.
SOON = (datetime.now(timezone(timedelta(hours=3))) + timedelta(hours=3)).replace(
    second=0, microsecond=0, tzinfo=None
)
FORMULA_LIKE = [
    '=HYPERLINK("http://evil","click")',
    "+79801234567",
    "-1",
    "@SUM(A1)",
    "\tTab",
    "\rReturn",
]


def messy_workbook(path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "people"
    ws.append(["phone", "name", "time_send", "code"])
    ws.append([79801234567, FORMULA_LIKE[0], SOON, "00123"])
    ws.append([79801234568.0, FORMULA_LIKE[1], f"{SOON:%Y-%m-%d %H:%M}", 42])
    ws.append(["8 (980) 123-45-69", FORMULA_LIKE[2], None, 2.5])
    ws.append(["+7 980 123 45 70", FORMULA_LIKE[3], None, None])
    ws.append(["380442589632", FORMULA_LIKE[4], None, None])
    ws.append([None, None, None, None])  # an empty row is skipped
    ws.append(["79801234571", FORMULA_LIKE[5], None, None])
    for (cell,) in ws.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.data_type = "s"  # names typed as text, as a spreadsheet stores "=..." typed with '
    book.create_sheet("other").append(["x"])
    book.save(path)


def test_read_table_keeps_every_digit_and_gives_text(tmp_path):
    path = tmp_path / "people.xlsx"
    messy_workbook(path)
    table = tsf.read_table(path)
    assert table["phone"].tolist() == [
        "79801234567",
        "79801234568",
        "8 (980) 123-45-69",
        "+7 980 123 45 70",
        "380442589632",
        "79801234571",
    ]
    assert table["time_send"].tolist()[:2] == [
        f"{SOON:%Y-%m-%d %H:%M:%S}",
        f"{SOON:%Y-%m-%d %H:%M}",
    ]
    assert table["code"].tolist()[:3] == ["00123", "42", "2.5"]
    assert table["time_send"].isna().tolist()[2:] == [True] * 4
    assert all(pd.api.types.is_string_dtype(table[c]) for c in table.columns)
    assert tsf.read_table(path, sheet="other").columns.tolist() == ["x"]


@pytest.mark.parametrize(
    ("encoding", "sep"), [("utf-8", ","), ("utf-8-sig", ";"), ("cp1251", ";"), ("cp1251", ",")]
)
def test_read_table_csv(tmp_path, encoding, sep):
    path = tmp_path / "r.csv"
    path.write_bytes(
        f"phone{sep}name{sep}note\n79801234567{sep}Анна{sep}\n0079801234568{sep}Пётр{sep}x\n".encode(
            encoding
        )
    )
    table = tsf.read_table(path)
    assert table.to_dict("list") == {
        "phone": ["79801234567", "0079801234568"],
        "name": ["Анна", "Пётр"],
        "note": [table["note"].iloc[0], "x"],
    }
    assert pd.isna(table["note"].iloc[0])
    assert table.index.tolist() == [2, 3]  # the CSV lines, as a text editor numbers them


def test_read_table_errors_name_the_file_and_sheet(tmp_path):
    with pytest.raises(InputError, match=r"no such file: .*missing\.xlsx"):
        tsf.read_table(tmp_path / "missing.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"this is not a zip")
    with pytest.raises(InputError, match=r"cannot read .*broken\.xlsx as an Excel workbook"):
        tsf.read_table(broken)
    good = tmp_path / "good.xlsx"
    messy_workbook(good)
    with pytest.raises(InputError, match=r"has no sheet 'Лист1' \(sheets: people, other\)"):
        tsf.read_table(good, sheet="Лист1")
    with pytest.raises(InputError, match="has no sheet number 5"):
        tsf.read_table(good, sheet=5)
    with pytest.raises(
        InputError, match=r"reads \.xlsx, \.xlsm, \.csv and \.parquet files, not \.pdf"
    ):
        (tmp_path / "x.pdf").write_bytes(b"%PDF")
        tsf.read_table(tmp_path / "x.pdf")


def test_round_trip_messy_workbook_to_sandbox_to_workbook(tmp_path):
    source = tmp_path / "people.xlsx"
    messy_workbook(source)
    recipients = tsf.read_table(source)
    templates = pd.DataFrame(
        {"template": ["t"], "send_sms": ["1"], "sender_sms": ["Shop"], "text_sms": ["Hello {name}"]}
    )
    plan = tsf.plan(recipients.assign(template="t"), templates, campaign="round-trip")
    assert plan["time_send"].tolist()[:2] == [f"{SOON:%Y-%m-%d %H:%M}"] * 2
    assert plan["problem"].isna().all(), plan["problem"].dropna().tolist()
    with tsf.sandbox(speed=86_400, password="Workbook-Secret-1") as sb:
        sent = tsf.send(plan, sb.client(), progress=False)
        states = tsf.fetch_states(
            sent, sb.client(), wait=True, interval=0.05, timeout=30, progress=False
        )
    assert states["final"].all()
    out = tmp_path / "report.xlsx"
    tsf.to_excel(
        out, plan=plan, sent=sent, states=states, costs=tsf.cost_report(states).reset_index()
    )

    book = openpyxl.load_workbook(out)  # not data_only: formulas would show as formulas
    formulas = [
        c.coordinate for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]
    assert formulas == []
    ws = book["sent"]
    header = [c.value for c in ws[1]]
    phones = [row[header.index("phone")] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert phones == [
        "79801234567",
        "79801234568",
        "79801234569",
        "79801234570",
        "380442589632",
        "79801234571",
    ]
    ids = [row[header.index("id_message")] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(i, str) and i.isdigit() for i in ids)
    plan_header = [c.value for c in book["plan"][1]]
    plan_texts = [
        row[plan_header.index("text_sms")]
        for row in book["plan"].iter_rows(min_row=2, values_only=True)
    ]
    assert plan_texts == ["Hello " + name for name in recipients["name"]]
    assert plan_texts[0] == "Hello " + FORMULA_LIKE[0]
    states_ws = book["states"]
    s_header = [c.value for c in states_ws[1]]
    price = states_ws.cell(row=2, column=s_header.index("price_sms") + 1)
    assert price.number_format == excel.MONEY_FORMAT and price.value == 2.5
    when = states_ws.cell(row=2, column=s_header.index("time_change_state") + 1)
    assert isinstance(when.value, datetime) and when.number_format == excel.DATETIME_FORMAT
    costs = book["costs"]
    money = costs.cell(row=2, column=[c.value for c in costs[1]].index("money_total") + 1)
    assert money.number_format == excel.MONEY_FORMAT
    assert len(costs._charts) == 1
    for ws in book:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
        assert all(c.font.bold for c in ws[1])
    with zipfile.ZipFile(out) as archive:
        assert not any(b"Workbook-Secret-1" in archive.read(name) for name in archive.namelist())


def test_formula_like_text_is_written_as_text(tmp_path):
    out = tmp_path / "x.xlsx"
    tsf.to_excel(out, names=pd.DataFrame({"name": FORMULA_LIKE}))
    cells = [row[0] for row in openpyxl.load_workbook(out)["names"].iter_rows(min_row=2)]
    # XML turns a bare carriage return into a line feed on reading; the text is otherwise intact.
    assert [c.value for c in cells] == [t.replace("\r", "\n") for t in FORMULA_LIKE]
    assert {c.data_type for c in cells} == {"s"}


def test_to_excel_refuses_what_excel_cannot_hold(tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "EXCEL_MAX_ROWS", 3)
    with pytest.raises(InputError, match="sheet 'big' has 3 rows; an Excel sheet holds at most 2"):
        tsf.to_excel(tmp_path / "x.xlsx", big=pd.DataFrame({"a": [1, 2, 3]}))
    with pytest.raises(InputError, match="at least one sheet"):
        tsf.to_excel(tmp_path / "x.xlsx")


def test_a_multiindex_frame_is_written_with_its_levels_as_columns(tmp_path):
    rows = pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)], names=["campaign", None])
    columns = pd.MultiIndex.from_tuples([("money", "viber"), ("money", "sms")])
    frame = pd.DataFrame([[1.2, 2.5], [0.0, 2.5], [1.2, 0.0]], index=rows, columns=columns)
    tsf.to_excel(tmp_path / "m.xlsx", report=frame, dup=frame.set_axis(["x", "x"], axis=1))
    book = openpyxl.load_workbook(tmp_path / "m.xlsx")
    values = list(book["report"].iter_rows(values_only=True))
    assert values[0] == ("campaign", "level_1", "money / viber", "money / sms")
    assert values[1:] == [("a", 1, 1.2, 2.5), ("a", 2, 0.0, 2.5), ("b", 1, 1.2, 0.0)]
    assert [c.value for c in book["dup"][1]] == ["campaign", "level_1", "x", "x_2"]


HOSTILE = [
    "bell\x07 nul\x00 esc\x1b",  # C0 controls XML cannot hold
    "lone \ud800 surrogate",
    "\ufffe\uffff",
    "tab\tline\nend",  # allowed as they are
    "=SUM(A1:A9)",
    "x" * 40_000,
    "😀" * 20_000,  # 40,000 UTF-16 units: past a cell's limit though only 20,000 characters
]


def test_any_text_is_written_safely_and_stays_text(tmp_path):
    # Object columns: Arrow-backed text cannot even hold a lone surrogate, an object column can.
    frame = pd.DataFrame({"text": HOSTILE, "name\x01": HOSTILE}, dtype=object)
    out = tmp_path / "h.xlsx"
    tsf.to_excel(out, **{"bad\x02sheet": frame})
    book = openpyxl.load_workbook(out)
    (ws,) = book.worksheets
    assert ws.title == "bad␂sheet" and ws["B1"].value == "name␁"
    cells = [row[0] for row in ws.iter_rows(min_row=2)]
    assert {c.data_type for c in cells} == {"s"}
    got = [c.value for c in cells]
    assert got[:5] == ["bell␇ nul␀ esc␛", "lone � surrogate", "��", "tab\tline\nend", "=SUM(A1:A9)"]
    for text, original in zip(got[5:], HOSTILE[5:], strict=True):
        assert len(text.encode("utf-16-le")) // 2 <= CELL_MAX_CHARS
        assert text.endswith(f"… [cut: {len(original):,} characters in all]")
        assert original.startswith(text.split("…")[0])


def test_numbers_a_workbook_cannot_hold_exactly_are_written_as_text(tmp_path):
    frame = pd.DataFrame({"n": [float("inf"), float("-inf"), 1.5], "big": [10**18, 7, 42]})
    tsf.to_excel(tmp_path / "n.xlsx", numbers=frame)
    ws = openpyxl.load_workbook(tmp_path / "n.xlsx")["numbers"]
    assert [c.value for c in ws["A"][1:]] == ["inf", "-inf", 1.5]
    assert [c.value for c in ws["B"][1:]] == ["1000000000000000000", 7, 42]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.text(st.characters(codec=None), max_size=40) | st.none(), min_size=1, max_size=8)
)
@example(["\r\n", "a\rb"])
def test_to_excel_never_fails_on_any_text(tmp_path, texts):
    out = tmp_path / "p.xlsx"
    frame = pd.DataFrame({"problem": texts, "text_sms": texts, "state": texts}, dtype=object)
    tsf.to_excel(out, labels="ru", t=frame)
    ws = openpyxl.load_workbook(out)["t"]
    got = [ws.cell(row=i + 2, column=2).value for i in range(len(texts))]
    # XML reads a line end (CR LF, or a bare CR) back as LF; otherwise the text is exactly
    # the safe text.
    assert got == [
        None if t in (None, "") else safe_text(t).replace("\r\n", "\n").replace("\r", "\n")
        for t in texts
    ]
    assert all(ws.cell(row=i + 2, column=1).data_type == "s" for i, t in enumerate(texts) if t)


@pytest.mark.parametrize("labels", [None, "ru"])
def test_a_nullable_first_column_ending_missing_is_written_without_a_total_row(tmp_path, labels):
    # pd.NA == "total" is NA, not False: such a frame used to fail with "boolean value of NA".
    frame = pd.DataFrame({"count": pd.array([3, None], dtype="Int64"), "name": ["a", "b"]})
    tsf.to_excel(tmp_path / "na.xlsx", labels=labels, counts=frame)
    ws = openpyxl.load_workbook(tmp_path / "na.xlsx")["counts"]
    assert [c.value for c in ws["A"][1:]] == [3, None]
    assert ws.auto_filter.ref == "A1:B3"  # both rows filterable: neither is a total
    assert not ws.cell(row=3, column=2).font.bold
