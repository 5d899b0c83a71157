"""The workbook a marketer and a finance team open: summary first, labels, styles, print setup.

Each test opens the written file with openpyxl and checks what a reader relies on.
"""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import range_boundaries

import targetsms_frames as tsf
from targetsms_frames import excel
from targetsms_frames.channels import CHANNELS
from targetsms_frames.demo import DEMO_TARIFFS, sample_recipients, sample_templates
from targetsms_frames.errors import InputError
from targetsms_frames.labels import unlabel


@pytest.fixture(scope="module")
def sheets():
    """The demo's sheets for a small campaign, sent to the sandbox and followed to final."""
    campaign = tsf.plan(sample_recipients(40, seed=3), sample_templates(), campaign="wb")
    with tsf.sandbox(seed=3, speed=86_400.0, tariffs=DEMO_TARIFFS) as sb:
        sent = tsf.send(campaign, sb.client(), progress=None)
        states = tsf.fetch_states(
            sent, sb.client(), wait=True, timeout=60, interval=0.05, progress=None
        )
    estimate = tsf.estimate_cost(campaign, DEMO_TARIFFS)
    report = tsf.cost_report(states, estimate=estimate)
    return {
        "problems": tsf.problems(campaign),
        "plan": campaign,
        "sent": sent,
        "states": states,
        "costs": report.reset_index(),
    }


@pytest.fixture(scope="module")
def books(sheets, tmp_path_factory):
    """The workbook written three ways: Russian labels, English labels, API names."""
    out = {}
    for labels in ("ru", "en", None):
        path = tmp_path_factory.mktemp("wb") / f"{labels}.xlsx"
        tsf.to_excel(path, labels=labels, summary=True, **sheets)
        out[labels] = openpyxl.load_workbook(path)
    return out


def header(ws) -> list[str]:
    return [c.value for c in ws[1]]


def column(ws, name: str) -> list:
    i = header(ws).index(name)
    return [row[i] for row in ws.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize("labels", ["ru", "en", None])
def test_headers_name_their_font_with_fill_border_and_a_frozen_bold_row(books, labels):
    book = books[labels]
    for ws in book.worksheets[1:]:
        assert ws.freeze_panes == "A2"
        for cell in ws[1]:
            assert cell.font.name == "Calibri" and cell.font.bold, (ws.title, cell.coordinate)
            assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb.endswith("DCE6F1")
            assert cell.border.bottom.style == "thin"


@pytest.mark.parametrize("labels", ["ru", "en", None])
def test_summary_is_first_and_the_workbook_opens_on_it(books, labels):
    book = books[labels]
    assert book.sheetnames == ["summary", "problems", "plan", "sent", "states", "costs"]
    assert book.active.title == "summary"


def test_the_chart_sits_on_the_summary_first_screen_named_by_channel(books):
    book = books["ru"]
    ws = book["summary"]
    assert [len(s._charts) for s in book.worksheets] == [1, 0, 0, 0, 0, 0]
    chart = ws._charts[0]
    start, end = chart.anchor._from, chart.anchor.to
    # Columns A–L are 0…11; "to" at column 12 with no offset is the right edge of L.
    assert start.col >= 0 and (end.col < 12 or (end.col == 12 and end.colOff == 0))
    assert start.row >= 0 and end.row <= 30
    legend = []
    for series in chart.series:
        ref = series.tx.strRef.f.split("!")[1].replace("$", "")
        legend.append(ws[ref].value)
    assert legend == [c.label for c in CHANNELS]  # a series per channel of the table
    axis = chart.y_axis.number_format.formatCode
    assert not chart.y_axis.number_format.sourceLinked  # not the cells' "0.00 ₽"
    assert ".00" not in axis and axis.count("₽") == 1 and "RUB" not in axis
    assert chart.y_axis.title is None  # the mark is on the numbers, once
    # The chart's data is the money by campaign, exact to the kopeck, from the summary.
    low, first, _high, last = range_boundaries(chart.series[0].val.numRef.f.split("!")[1])
    viber = [ws.cell(row=r, column=low).value for r in range(first, last + 1)]
    costs = books["ru"]["costs"]
    assert sum(viber) == pytest.approx(column(costs, "Сумма Viber, ₽")[-1], abs=0.001)


def test_summary_figures_agree_with_the_frames(books, sheets):
    ws = books["en"]["summary"]
    rows = {r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r and r[0]}
    states, total = sheets["states"], sheets["costs"].iloc[-1]
    assert rows["Recipients listed"][0] == len(sheets["sent"])
    assert rows["Accepted by the provider"][0] == (sheets["sent"]["outcome"] == "accepted").sum()
    assert rows["Delivered"][0] == total["delivered"]
    assert rows["Delivered of accepted"][0] == pytest.approx(total["delivery_rate"])
    assert rows["Total"][1] == pytest.approx(total["money_total"], abs=0.001)
    assert rows["Estimate before sending"][1] == pytest.approx(total["estimate"], abs=0.001)
    charged = (states["price_viber"] > 0).sum()
    assert rows["Viber"][:2] == (charged, pytest.approx(total["money_viber"], abs=0.001))
    # The sandbox reports Viber reads and clicks (the current edition): a rate, not a dash.
    viber = states["state_viber"].astype(object)
    reached = viber.isin(["deliver", "read", "link", "unsubscribe"]).sum()
    assert rows["Read in Viber"][0] == pytest.approx(viber.isin(["read", "link"]).sum() / reached)


@pytest.mark.parametrize(("labels", "total"), [("ru", "Итого"), ("en", "Total"), (None, "total")])
def test_total_row_is_bold_with_a_top_border_and_outside_the_autofilter(books, labels, total):
    ws = books[labels]["costs"]
    last = ws.max_row
    assert ws.cell(row=last, column=1).value == total
    for cell in ws[last]:
        assert cell.font.bold and cell.border.top.style == "medium", cell.coordinate
    _, _, _, filtered_to = range_boundaries(ws.auto_filter.ref)
    assert filtered_to == last - 1
    # A detail sheet with no total keeps every row inside the filter.
    sent = books[labels]["sent"]
    assert range_boundaries(sent.auto_filter.ref)[3] == sent.max_row


@pytest.mark.parametrize("labels", ["ru", "en", None])
def test_every_sheet_prints_landscape_one_page_wide_with_the_header_repeated(books, labels):
    for ws in books[labels].worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape" and setup.paperSize == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth == 1, ws.title
        if ws.title == "summary":
            assert setup.fitToHeight == 1  # one page, with its chart
            assert ws.print_area == f"'summary'!$A$1:$L${max(ws.max_row, 30)}"
        else:
            assert setup.fitToHeight == 0 and ws.print_title_rows == "$1:$1", ws.title


def test_russian_and_english_labels_while_the_frames_keep_api_names(books, sheets):
    before = {name: frame.copy() for name, frame in sheets.items()}
    ru, en = books["ru"], books["en"]
    assert {"Телефон", "Канал Viber", "Канал SMS", "Текст SMS"} <= set(header(ru["plan"]))
    assert {"Статус SMS", "Цена SMS, ₽", "ID сообщения", "Отправка"} <= set(header(ru["states"]))
    assert {"Phone", "SMS status", "SMS price, ₽", "Message ID"} <= set(header(en["states"]))
    assert {"Phone", "SMS channel", "Viber text", "Problem"} <= set(header(en["plan"]))
    assert set(column(ru["plan"], "Канал SMS")) >= {"SMS (1-й)", "SMS (2-й)"}
    assert set(column(en["plan"], "SMS channel")) >= {"SMS (1st)", "SMS (2nd)"}
    assert set(column(ru["plan"], "Канал Viber")) >= {"Viber (1-й)", "—"}
    assert "доставлено" in column(ru["states"], "Статус") and "принято" in column(
        ru["states"], "Отправка"
    )
    assert set(column(ru["problems"], "Столбец")) >= {"Телефон", "Шаблон"}
    rules = column(ru["problems"], "Правило")
    assert "'позвонить вечером' — не номер телефона" in rules
    assert all("is not" not in r and "no template" not in r for r in rules)
    assert header(books[None]["states"])[:4] == list(sheets["states"].columns[:4])
    for name, frame in sheets.items():  # the caller's frames are untouched
        pd.testing.assert_frame_equal(frame, before[name])


def test_datetime_headers_say_their_zone(books, tmp_path):
    assert "Время статуса, МСК" in header(books["ru"]["states"])
    assert "Status time, MSK" in header(books["en"]["states"])
    assert "Время отправки, МСК" in header(books["ru"]["plan"])
    when = pd.to_datetime(["2026-12-01 10:00"])
    frame = pd.DataFrame(
        {"naive": when, "utc": when.tz_localize("UTC"), "msk": when.tz_localize("Europe/Moscow")}
    )
    tsf.to_excel(tmp_path / "z.xlsx", labels="en", times=frame)
    ws = openpyxl.load_workbook(tmp_path / "z.xlsx")["times"]
    assert header(ws) == ["naive, MSK", "utc, UTC", "msk, MSK"]
    assert ws["B2"].value == datetime(2026, 12, 1, 10, 0)  # the wall time in its named zone


def test_widths_come_from_the_formatted_text_and_long_texts_wrap(books, tmp_path):
    ws = books[None]["costs"]
    rate = header(ws).index("delivery_rate") + 1
    letter = openpyxl.utils.get_column_letter(rate)
    assert ws.column_dimensions[letter].width <= len("delivery_rate") * 1.25 + 2  # the header
    tsf.to_excel(tmp_path / "w.xlsx", w=pd.DataFrame({"x_rate": [0.123456789012345], "n": [7]}))
    narrow = openpyxl.load_workbook(tmp_path / "w.xlsx")["w"]
    assert narrow["A2"].number_format == "0.0%"
    assert narrow.column_dimensions["A"].width < 10  # "12.3%", not "0.123456789012345"
    states = books[None]["states"]
    i = header(states).index("time_change_state") + 1
    cell = states.cell(row=2, column=i)
    width = states.column_dimensions[openpyxl.utils.get_column_letter(i)].width
    assert width >= 19 + 3 and cell.alignment.horizontal == "left"  # the gap comes after
    plan = books[None]["plan"]
    i = header(plan).index("problem") + 1
    assert plan.column_dimensions[openpyxl.utils.get_column_letter(i)].width <= 52
    wrapped = [r[i - 1] for r in plan.iter_rows(min_row=2) if r[i - 1].value]
    assert wrapped and all(c.alignment.wrap_text for c in wrapped)
    long_rows = [c.row for c in wrapped if len(c.value) > 52]
    assert long_rows and all(plan.row_dimensions[r].height >= 30 for r in long_rows)


def test_channels_come_from_the_columns_present(tmp_path):
    states = pd.DataFrame(
        {
            "id_message": ["1", "2", "3"],
            "name_delivery": ["a", "a", "b"],
            "state": ["deliver", "deliver", "not_deliver"],
            "state_viber": ["read", "link", None],
            "state_whatsapp": [None, None, "deliver"],
            "price_viber": [1.2, 1.2, 0.0],
            "price_sms": [0.0, 0.0, 0.0],
            "price_whatsapp": [0.0, 0.0, 3.1],
            "price_vk": [0.0, 0.0, 0.0],
        }
    )
    tsf.to_excel(tmp_path / "c.xlsx", labels="ru", summary=True, states=states)
    book = openpyxl.load_workbook(tmp_path / "c.xlsx")
    ws = book["summary"]
    legend = [ws[s.tx.strRef.f.split("!")[1].replace("$", "")].value for s in ws._charts[0].series]
    assert legend == [c.label for c in CHANNELS]  # the channel table's order
    assert {"Цена WhatsApp, ₽", "Цена VK, ₽", "Статус WhatsApp"} <= set(header(book["states"]))
    rows = {r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert rows["Прочитано в Viber"][0] == pytest.approx(1.0)  # read or link, of reached
    assert rows["Переходы по ссылке в Viber"][0] == pytest.approx(0.5)
    assert rows["Итого"][1] == pytest.approx(5.5)


def test_a_cost_report_alone_keeps_its_chart_named_by_channel(tmp_path, sheets):
    tsf.to_excel(tmp_path / "r.xlsx", costs=sheets["costs"])
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["costs"]
    (chart,) = ws._charts
    assert [s.tx.v for s in chart.series] == [c.label for c in CHANNELS]
    assert chart.anchor._from.col < 12  # on screen, under the table, not at column O


def test_summary_needs_something_to_sum_and_labels_a_known_language(tmp_path, sheets):
    with pytest.raises(InputError, match="summary=True needs a sent, states or cost report"):
        tsf.to_excel(tmp_path / "x.xlsx", summary=True, plan=sheets["plan"])
    with pytest.raises(InputError, match=r'labels/lang must be "ru", "en" or None'):
        tsf.to_excel(tmp_path / "x.xlsx", labels="fr", plan=sheets["plan"])


def test_a_labelled_sheet_reads_back_to_api_names(tmp_path, sheets):
    path = tmp_path / "sent.xlsx"
    tsf.to_excel(path, labels="ru", summary=True, sent=sheets["sent"], plan=sheets["plan"])
    sent = unlabel(tsf.read_table(path, sheet="sent"))
    assert list(sent.columns) == list(sheets["sent"].columns)
    assert sent["id_message"].tolist() == sheets["sent"]["id_message"].astype(object).tolist()
    assert sent["outcome"].tolist() == sheets["sent"]["outcome"].tolist()
    plan = unlabel(tsf.read_table(path, sheet="plan"))
    assert plan["send_sms"].tolist() == sheets["plan"]["send_sms"].tolist()


def test_sheet_names_excel_refuses_are_made_safe(tmp_path):
    frames = {"a/b": pd.DataFrame({"x": [1]}), "a:b": pd.DataFrame({"x": [2]}), "x" * 40: None}
    frames["x" * 40] = pd.DataFrame({"x": [3]})
    tsf.to_excel(tmp_path / "n.xlsx", **frames)
    assert openpyxl.load_workbook(tmp_path / "n.xlsx").sheetnames == ["a_b", "a_b_2", "x" * 31]


def test_money_formats_stay_exact(books):
    ws = books[None]["states"]
    i = header(ws).index("price_sms") + 1
    assert ws.cell(row=2, column=i).number_format == excel.MONEY_FORMAT


def test_summary_from_what_each_command_writes(tmp_path, sheets):
    # `send` writes a sent frame only: counts, no money, no chart.
    tsf.to_excel(
        tmp_path / "s.xlsx", summary=True, sent=sheets["sent"], problems=sheets["problems"]
    )
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx")["summary"]
    rows = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert rows["Not sent: plan problems"] == (sheets["sent"]["outcome"] == "invalid").sum() > 0
    assert "Money by channel" not in rows and ws._charts == []
    # Many campaigns: the eleven costliest by name, the rest added up as "Others", exactly.
    n = len(sheets["states"])
    states = sheets["states"].assign(name_delivery=[f"c{i % 20}" for i in range(n)])
    tsf.to_excel(tmp_path / "m.xlsx", summary=True, states=states)
    ws = openpyxl.load_workbook(tmp_path / "m.xlsx")["summary"]
    table = list(ws.iter_rows(values_only=True))
    start = [r[0] for r in table].index("Campaign")
    campaigns = table[start + 1 :]
    assert len(campaigns) == 12 and campaigns[-1][0] == "Others"
    total = table[start].index("Total")  # after one money column per channel
    assert sum(r[total] for r in campaigns) == pytest.approx(
        sheets["costs"].iloc[-1]["money_total"]
    )
