"""The channel table end to end: WhatsApp and VK rules, explicit zeros, the four-channel
cascade in every order, VK templates, Viber engagement, and held messages."""

from __future__ import annotations

import itertools
import json
import sqlite3
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from conftest import post
from hypothesis import given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames import contracts
from targetsms_frames import fields as F
from targetsms_frames._columns import Problems
from targetsms_frames.answers import send_rows, state_row
from targetsms_frames.channels import CHANNELS, channel
from targetsms_frames.sandbox import provider as P
from targetsms_frames.template_data import render_template_data

PHONE = "79801234567"
FULL = {  # every channel's required fields, no channel switched on
    "sender_viber": "Shop",
    "text_viber": "Hi {name}",
    "text_whatsapp": "Hi {name}",
    "templateId": "100",
    "templateData": '{"Name": "{name}", "Where": "Москва"}',
    "sender_sms": "Shop",
    "text_sms": "Hi {name}",
}


def one_row(**fields) -> pd.DataFrame:
    row = {"phone": PHONE, "name": "Anna", **FULL, **fields}
    return tsf.plan(pd.DataFrame([{k: v for k, v in row.items() if v is not None}]), campaign="c")


def problem(**fields):
    value = one_row(**fields).loc[0, "problem"]
    return None if pd.isna(value) else value


# -- the table and the contracts -----------------------------------------------------------


def test_every_channel_brings_its_columns_to_every_contract():
    for c in CHANNELS:
        assert c.order_field in contracts.PLAN and set(c.field_names) <= set(contracts.PLAN)
        assert contracts.SENT[c.id_key] == "str"
        assert contracts.STATES[c.state_key] == "state"
        assert contracts.STATES[c.price_key] == "float64"
    plan = one_row(send_vk="1")
    assert list(plan.columns) == list(contracts.PLAN_COLUMNS)
    assert all(pd.api.types.is_string_dtype(plan[c]) for c in F.MESSAGE_FIELDS)


# -- field rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"send_whatsapp": "1"}, None),
        ({"send_whatsapp": "1", "text_whatsapp": None}, "text_whatsapp: required when send_whatsapp is set"),
        ({"send_whatsapp": "1", "text_whatsapp": "x" * 1001}, "text_whatsapp: 1001 characters, at most 1000 allowed"),
        ({"send_whatsapp": "1", "text_whatsapp": "x" * 1000}, None),
        ({"send_whatsapp": "1", "button_text_whatsapp": "x" * 20, "button_url_whatsapp": "https://a"}, "button_text_whatsapp: 20 characters, at most 19 allowed"),
        ({"send_whatsapp": "1", "button_text_whatsapp": "Go"}, "button_url_whatsapp: required with button_text_whatsapp"),
        ({"send_whatsapp": "1", "button_url_whatsapp": "https://a"}, "button_text_whatsapp: required with button_url_whatsapp"),
        ({"send_whatsapp": "1", "button_text_whatsapp": "x" * 19, "button_url_whatsapp": "https://a", "image_url_whatsapp": "https://a/i.png"}, None),
        ({"send_whatsapp": "1", "image_url_whatsapp": "https://a/i.png"}, None),
        ({"send_whatsapp": "1", "validity_period_whatsapp": "0"}, "validity_period_whatsapp: '0' is not a whole number of minutes above 0"),
        ({"send_whatsapp": "1", "validity_period_whatsapp": " 90 "}, None),
        ({"send_whatsapp": "x", "send_sms": "1"}, "send_whatsapp: 'x' is not a cascade position 0-9 (0 = don't use this channel)"),
        ({"send_vk": "1"}, None),
        ({"send_vk": "1", "templateId": None}, "templateId: required when send_vk is set"),
        ({"send_vk": "1", "templateId": "abc"}, "templateId: 'abc' must be a number"),
        ({"send_vk": "1", "templateData": None}, None),
        ({"send_vk": "1", "templateData": "[1, 2]"}, "templateData: must be a JSON object of the template's parameters"),
        ({"send_vk": "1", "templateData": '{"a": [1]}'}, "templateData: the value of 'a' must be text or a number"),
        ({"send_vk": "1", "templateData": '{"a": "{nope}"}'}, "templateData: no column for placeholder {nope}"),
        ({"send_vk": "1", "templateData": "{oops"}, "templateData: not JSON (Expecting property name enclosed in double quotes at character 1)"),
        ({"send_vk": "x", "send_sms": "1"}, "send_vk: 'x' is not a cascade position 0-9 (0 = don't use this channel)"),
    ],
)  # fmt: skip
def test_new_channel_field_rules(fields, expected):
    assert problem(**fields) == expected


def test_template_data_placeholders_are_rendered_per_recipient():
    recipients = pd.DataFrame(
        {"phone": [PHONE, "79801234568"], "name": ["Anna", "Борис"], "template": "vk"}
    )
    templates = pd.DataFrame(
        {
            "template": ["vk"],
            "send_vk": ["1"],
            "send_sms": ["2"],
            "templateId": ["100"],
            "templateData": ['{"Name": "{name}", "Count": 3, "Where": "Москва"}'],
            "sender_sms": ["Shop"],
            "text_sms": ["Hi {name}"],
        }
    )
    plan = tsf.plan(recipients, templates, campaign="vk")
    assert plan["problem"].isna().all()
    (doc,) = tsf.documents(plan)
    data = [b["templateData"] for b in doc["message"]]
    # Sent as a JSON object (numbers stay numbers), one per recipient.
    assert data == [
        {"Name": "Anna", "Count": 3, "Where": "Москва"},
        {"Name": "Борис", "Count": 3, "Where": "Москва"},
    ]


def test_rows_of_the_2019_fields_keep_their_client_ids():
    # The content key of a row that uses no newer channel is the one it always had.
    legacy = one_row(send_sms="1", text_whatsapp=None, templateId=None, templateData=None)
    keys = tsf.planning.content_keys(
        {f: pa_text(legacy[f]) for f in ("phone", *F.MESSAGE_FIELDS)}
    ).to_pylist()
    old = "\x1f".join(
        [PHONE, *(legacy.loc[0, f] if pd.notna(legacy.loc[0, f]) else "" for f in F.LEGACY_FIELDS)]
    )
    assert keys == [old]
    assert (
        one_row(send_sms="1", send_vk="2").loc[0, "client_id_message"]
        != legacy.loc[0, "client_id_message"]
    )


def pa_text(series):
    import pyarrow as pa

    return pa.array(series.astype(object).where(series.notna(), None), pa.large_string())


# -- documents -----------------------------------------------------------------------------


def test_every_posted_block_carries_every_send_field_zero_when_unused():
    recipients = pd.DataFrame(
        {
            "phone": [f"7980123456{i}" for i in range(4)],
            "name": "Anna",
            "send_viber": ["1", "", "", ""],
            "send_whatsapp": ["", "1", "", ""],
            "send_vk": ["", "", "1", ""],
            "send_sms": ["2", "2", "2", "1"],
        }
    ).assign(**FULL)
    plan = tsf.plan(recipients, campaign="zeros")
    with tsf.sandbox() as sb:
        posted = []
        client = sb.client()
        original = client.send_document

        def spy(blocks):
            posted.extend(blocks)
            return original(blocks)

        client.send_document = spy
        sent = tsf.send(plan, client, progress=False)
    assert sent["outcome"].eq("accepted").all()
    assert len(posted) == 4
    for block in posted:
        orders = {c.order_field: block[c.order_field] for c in CHANNELS}
        assert set(orders) == set(F.ORDER_FIELDS)
        assert sum(v != "0" for v in orders.values()) == 2 or orders["send_sms"] == "1"
    assert [b["send_whatsapp"] for b in posted] == ["0", "1", "0", "0"]


# -- the sandbox: the four-channel cascade -------------------------------------------------


ORDERS = list(itertools.permutations([c.name for c in CHANNELS]))


def test_four_channel_cascade_in_every_order_with_the_ledger_prices():
    # Every channel fails but the last of each row's cascade, which delivers: each row
    # walks its whole cascade, and pays every channel, at the ledger's price.
    recipients = pd.DataFrame(
        [
            {"phone": f"798012{i:05d}", "name": "Anna", **FULL}
            | {channel(name).order_field: str(k + 1) for k, name in enumerate(order)}
            for i, order in enumerate(ORDERS)
        ]
    )
    plan = tsf.plan(recipients, campaign="four")
    assert plan["problem"].isna().all()
    tariffs = {"viber": "1.20", "whatsapp": "2.00", "vk": "0.90", "sms": "2.50"}
    rates = {c.name: {"deliver": 0.0, "expired": 0.0} for c in CHANNELS}
    with tsf.sandbox(speed=10**6, rates=rates, tariffs=tariffs) as sb:
        client = sb.client()
        sent = tsf.send(plan, client, progress=False)
        assert sent["outcome"].eq("accepted").all()
        for c in CHANNELS:
            assert sent[c.id_key].notna().all()  # every channel in every cascade
        sb.advance(hours=48)
        states = tsf.fetch_states(sent, client, progress=False)
        ledger = sb.ledger
    # Nothing delivers: each row's last channel says not_deliver, and so does the whole.
    assert states["state"].eq("not_deliver").all()
    for c in CHANNELS:
        assert states[c.state_key].eq("not_deliver").all()
        charged = [x.amount for x in ledger.charges if x.channel == c.name]
        assert len(charged) == len(ORDERS)
        assert Decimal(str(states[c.price_key].sum())).quantize(Decimal("0.01")) == sum(charged)
        assert ledger.charged[c.name] == sum(charged)
    # The charges follow each row's cascade order.
    by_message: dict[str, list[str]] = {}
    for x in ledger.charges:
        by_message.setdefault(x.client_id_message, []).append(x.channel)
    for order, client_id in zip(ORDERS, plan["client_id_message"], strict=True):
        assert tuple(by_message[client_id]) == order


@pytest.mark.parametrize("order", [("vk", "whatsapp", "viber", "sms"), ("whatsapp", "sms")])
def test_fallbacks_deliver_and_are_priced_as_the_ledger_charged(order):
    # The first channels fail, SMS (or the last) delivers: VK → WhatsApp → Viber → SMS.
    row = {"phone": PHONE, "name": "Anna", **FULL}
    row |= {channel(name).order_field: str(k + 1) for k, name in enumerate(order)}
    plan = tsf.plan(pd.DataFrame([row]), campaign="fallback")
    rates = {c.name: {"deliver": 0.0, "expired": 0.0} for c in CHANNELS}
    rates[order[-1]] = {"deliver": 1.0}
    with tsf.sandbox(speed=10**6, rates=rates) as sb:
        client = sb.client()
        sent = tsf.send(plan, client, progress=False)
        sb.advance(hours=48)
        states = tsf.fetch_states(sent, client, progress=False)
        ledger = sb.ledger
    assert states.loc[0, "state"] == "deliver"
    assert [x.channel for x in ledger.charges] == list(order)
    for c in CHANNELS:
        paid = sum((x.amount for x in ledger.charges if x.channel == c.name), Decimal(0))
        assert Decimal(str(states.loc[0, c.price_key])).quantize(Decimal("0.01")) == paid
        expected = "send" if c.name not in order else "not_deliver"
        expected = "deliver" if c.name == order[-1] else expected
        assert states.loc[0, c.state_key] == expected


def test_vk_needs_a_known_template():
    plan = one_row(send_vk="1", templateId="777")
    with tsf.sandbox(vk_templates={"100"}) as sb:
        sent = tsf.send(plan, sb.client(), progress=False)
    assert sent.loc[0, "outcome"] == "rejected"
    assert sent.loc[0, "error"] == P.ERR_UNKNOWN_TEMPLATE


def test_the_sandbox_takes_numbers_where_the_documents_say_number(sb):
    block = {
        "send_vk": 1,
        "send_sms": 2,
        "templateId": 100,
        "templateData": {"Name": "Anna", "N": 3},
        "sender_sms": "Shop",
        "text_sms": "Hi",
        "phones": [{"phone": PHONE, "client_id_message": 5}],
    }
    (item,) = post(sb, {"message": [block]})["message"]
    assert item[0]["client_id_message"] == "5" and item[0]["id_vk"] != "0"
    assert item[0]["id_sms"] != "0" and item[0]["id_viber"] == "0"


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"text_sms": ""}, F.ERR_NO_TEXT),
        ({"sender_sms": ""}, F.ERR_NO_SENDER),
        ({"send_whatsapp": "2", "text_whatsapp": ""}, F.ERR_NO_TEXT),
        ({"send_vk": "2", "templateId": ""}, P.ERR_NO_TEMPLATE),
        ({"send_vk": "2", "templateId": "100", "templateData": ["x"]}, P.ERR_TEMPLATE_DATA),
    ],
)
def test_documented_error_texts(sb, fields, text):
    block = {"send_sms": "1", "sender_sms": "Shop", "text_sms": "Hi", **fields}
    block["phones"] = [{"phone": PHONE, "client_id_message": "1"}]
    (item,) = post(sb, {"message": [block]})["message"]
    assert item == {"error": text}


def test_a_phone_without_a_number_gets_the_documented_text(sb):
    block = {"send_sms": "1", "sender_sms": "Shop", "text_sms": "Hi"}
    block["phones"] = [{"phone": "", "client_id_message": "1"}]
    (item,) = post(sb, {"message": [block]})["message"]
    assert item[0]["error"] == F.ERR_NO_PHONE


# -- engagement ----------------------------------------------------------------------------


def test_viber_read_and_link_are_kept_and_counted_as_in_the_sandbox():
    recipients = pd.DataFrame(
        {"phone": [f"798055{i:05d}" for i in range(60)], "name": "Anna", "send_viber": "1"}
    ).assign(**FULL)
    rates = {"viber": {"deliver": 0.8, "expired": 0.1, "read": 0.6, "link": 0.4}}
    with tsf.sandbox(speed=10**6, rates=rates) as sb:
        client = sb.client()
        sent = tsf.send(tsf.plan(recipients, campaign="engage"), client, progress=False)
        sb.advance(hours=48)
        states = tsf.fetch_states(sent, client, progress=False)
        ledger = sb.ledger
    viber = states["state_viber"].astype(object)
    assert viber.isin(["read", "link"]).any() and viber.eq("deliver").any()
    report = tsf.cost_report(states)
    total = report.loc["total"]
    assert total["read"] == ledger.engaged["read"] + ledger.engaged["link"]
    assert total["clicks"] == ledger.engaged["link"]
    assert total["delivered_viber"] == ledger.delivered["viber"]
    # Read or clicked, the message was delivered: the cascade and the report agree.
    assert total["delivered"] == ledger.states["deliver"] == total["delivered_viber"]
    assert total["read_rate"] == pytest.approx(total["read"] / total["delivered_viber"])
    assert total["click_rate"] == pytest.approx(total["clicks"] / total["delivered_viber"])


def test_engaged_viber_states_count_as_delivered_in_the_cascade():
    row = {"phone": PHONE, "name": "Anna", **FULL, "send_viber": "1", "send_sms": "2"}
    rates = {"viber": {"deliver": 1.0, "read": 1.0, "link": 1.0}, "sms": {"deliver": 1.0}}
    with tsf.sandbox(speed=10**6, rates=rates) as sb:
        client = sb.client()
        sent = tsf.send(tsf.plan(pd.DataFrame([row]), campaign="e"), client, progress=False)
        sb.advance(hours=48)
        states = tsf.fetch_states(sent, client, progress=False)
        ledger = sb.ledger
    assert states.loc[0, "state_viber"] == "link" and states.loc[0, "state"] == "deliver"
    assert states.loc[0, "state_sms"] == "send"  # never reached: Viber counted
    assert [x.channel for x in ledger.charges] == ["viber"]


# -- held ----------------------------------------------------------------------------------


def test_held_rows_are_never_sent_again_on_resume(tmp_path):
    plan = one_row(send_sms="1")
    journal = tmp_path / "j.sqlite"
    with tsf.sandbox(balance="0") as sb:
        client = sb.client()
        first = tsf.send(plan, client, journal=journal, progress=False, preflight=False)
        posted = sb.requests
        sb.provider.accounts[sb.login].balance = 10_000
        again = tsf.send(plan, client, journal=journal, progress=False, preflight=False)
        assert sb.requests == posted  # nothing posted again
        assert sb.ledger.held == {plan.loc[0, "client_id_message"]: 1}
    assert first.loc[0, "outcome"] == again.loc[0, "outcome"] == "held"
    assert first.loc[0, "error"] == F.ERR_HELD


def test_a_journal_from_before_the_new_channels_still_resumes(tmp_path):
    plan = one_row(send_sms="1")
    journal = tmp_path / "j.sqlite"
    with tsf.sandbox() as sb:
        client = sb.client()
        first = tsf.send(plan, client, journal=journal, progress=False)
        # Rewrite the record as an older version stored it: no id_whatsapp, no id_vk.
        db = sqlite3.connect(journal)
        (results,) = db.execute("SELECT results FROM documents").fetchone()
        record = json.loads(results)
        keep = [i for i, c in enumerate(record["columns"]) if c not in ("id_whatsapp", "id_vk")]
        record = {
            "columns": [record["columns"][i] for i in keep],
            "rows": [[row[i] for i in keep] for row in record["rows"]],
        }
        with db:
            db.execute("UPDATE documents SET results = ?", (json.dumps(record),))
        db.close()
        posted = sb.requests
        again = tsf.send(plan, client, journal=journal, progress=False)
        assert sb.requests == posted
    assert again.loc[0, "outcome"] == "accepted"
    assert again.loc[0, "id_message"] == first.loc[0, "id_message"]
    assert pd.isna(again.loc[0, "id_whatsapp"]) and pd.isna(again.loc[0, "id_vk"])


def test_a_channel_without_a_tariff_is_closed_to_the_account():
    plan = one_row(send_whatsapp="1", send_sms="2")
    with tsf.sandbox(tariffs={"viber": "1.20", "sms": "2.50"}) as sb:
        sent = tsf.send(plan, sb.client(), progress=False, preflight=False)
    assert sent.loc[0, "outcome"] == "rejected" and sent.loc[0, "error"] == F.ERR_CLOSED


# -- parsers -------------------------------------------------------------------------------


# Text as every text field takes it: no lone surrogates, no C0
# controls other than tab, line feed and carriage return.
TEXT = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters=[chr(c) for c in range(32) if c not in (9, 10, 13)],
)


@given(
    st.dictionaries(
        st.text(TEXT, min_size=1, max_size=8),
        st.one_of(
            st.text(TEXT, max_size=12).filter(lambda t: "{" not in t and "}" not in t),
            st.integers(-(10**6), 10**6),
            st.integers(-(10**40), 10**40),
            st.floats(allow_nan=False, allow_infinity=False),
        ),
        max_size=5,
    )
)
@settings(max_examples=60, deadline=None)
def test_template_data_without_placeholders_is_sent_as_written(data):
    values = {"templateData": np.array([json.dumps(data)], dtype=object)}
    problems = Problems(1)
    render_template_data(values, pd.DataFrame({"x": ["1"]}), problems)
    assert not problems.by_row
    assert json.loads(values["templateData"][0]) == data


def test_answers_read_every_channel_and_the_engagement_states():
    blocks = [{"name_delivery": "A", "phones": [{"phone": PHONE, "client_id_message": "7"}]}]
    result = {"id_message": "55", "client_id_message": "7", "phone": PHONE}
    result |= {"count_message": "1", "id_viber": "0", "id_whatsapp": "9", "id_vk": "8"}
    result |= {"id_sms": "0"}
    (row,) = send_rows(blocks, {"message": [[result]]})
    assert (row["id_whatsapp"], row["id_vk"], row["id_viber"], row["id_sms"]) == (
        "9",
        "8",
        None,
        None,
    )
    state = state_row(
        {"id_message": "55", "time_change_state": "2026-01-01 10:00:00", "state": "deliver"}
        | {"state_viber": "link", "state_vk": "not_deliver", "price_vk": "0.90"}
        | {"price_viber": "1.20", "state_whatsapp": "send", "num_parts_sms": "0"}
    )
    assert state["state_viber"] == "link" and state["state_vk"] == "not_deliver"
    assert state["price_vk"] == pytest.approx(0.9) and state["final"] and state["error"] is None
    # An engagement state is a channel's, never the message's own.
    odd = state_row({"id_message": "55", "time_change_state": "", "state": "read"})
    assert odd["state"] is None and odd["error"] == "read"


def test_the_held_text_is_held_and_the_short_no_money_text_is_rejected():
    blocks = [{"name_delivery": "A", "phones": [{"phone": PHONE, "client_id_message": "7"}]}]
    for text, outcome in ((F.ERR_HELD, "held"), (F.ERR_NO_MONEY, "rejected")):
        answer = {"message": [[{"client_id_message": "7", "phone": PHONE, "error": text}]]}
        (row,) = send_rows(blocks, answer)
        assert (row["outcome"], row["error"]) == (outcome, text)


def test_a_rows_client_id_does_not_depend_on_the_other_rows():
    vk = {"phone": PHONE, "name": "Anna", **FULL, "send_vk": "1"}
    sms = {"phone": "79801234568", "name": "Anna", "send_sms": "1", "sender_sms": "Shop"}
    sms |= {"text_sms": "Hi"}
    alone = tsf.plan(pd.DataFrame([vk]), campaign="k")
    together = tsf.plan(pd.DataFrame([sms, vk]), campaign="k")
    sms_alone = tsf.plan(pd.DataFrame([sms]), campaign="k")
    assert alone.loc[0, "client_id_message"] == together.loc[1, "client_id_message"]
    assert sms_alone.loc[0, "client_id_message"] == together.loc[0, "client_id_message"]


# -- templateData under hostile input: a row problem or sent exactly, never an exception ----


def vk_plan(template_data: str, name: object = "Anna") -> pd.DataFrame:
    recipients = pd.DataFrame(
        {
            "phone": [PHONE],
            "name": pd.Series([name], dtype=object),  # pandas' str cannot hold a surrogate
            "send_vk": "1",
            "templateId": "100",
            "templateData": pd.Series([template_data], dtype=object),
        }
    )
    return tsf.plan(recipients, campaign="v")


NOT_TEXT = "has an invalid character '\\ud800' (a lone surrogate) at position"
CONTROL = "has a control character '\\x01' at position 2 (only tab and line breaks are allowed)"


@pytest.mark.parametrize(
    ("data", "name", "rule"),
    [
        ('{"name": "{name}"}', "\ud800", f"the value of 'name' {NOT_TEXT} 1"),
        ('{"name": "Hi {name}"}', "a\ud800", f"the value of 'name' {NOT_TEXT} 5"),
        ('{"name": "\\ud800"}', "Anna", f"the value of 'name' {NOT_TEXT} 1"),
        ('{"\\ud800": "x"}', "Anna", f"the key '\\ud800' {NOT_TEXT} 1"),
        ('{"name": "{name}"}', "a\x01b", f"the value of 'name' {CONTROL}"),
        ('{"name": "a\\u0001b"}', "Anna", f"the value of 'name' {CONTROL}"),
        ('{"a\\u0001": "x"}', "Anna", f"the key 'a\\x01' {CONTROL}"),
        ('{"n": 1e999}', "Anna", "the number 1e999 is too large for JSON"),
        ('{"n": -1E400}', "Anna", "the number -1E400 is too large for JSON"),
        ('{"n": NaN}', "Anna", "NaN is not a JSON number"),
        ('{"n": -Infinity}', "Anna", "-Infinity is not a JSON number"),
        (
            '{"n": 0.10000000000000000001}',
            "Anna",
            "the number 0.10000000000000000001 cannot be sent exactly (write it in quotes, as text)",
        ),
        ('{"n": 1, "n": 2}', "Anna", "the key 'n' appears twice"),
        ('{"n": 1, "\\u006e": 2}', "Anna", "the key 'n' appears twice"),
        ('{"n": {"m": 1, "m": 2}}', "Anna", "the key 'm' appears twice"),
        ('{"n": ' + "[" * 100_000 + "]" * 100_000 + "}", "Anna", "nested too deeply (a parameter's value is text or a number)"),
        ('{"n": ' + "9" * 5000 + "}", "Anna", "a number has too many digits"),
        ('{"n": [[1]]}', "Anna", "the value of 'n' must be text or a number"),
        ('{"n": {"m": "x"}}', "Anna", "the value of 'n' must be text or a number"),
        ('{"n": true}', "Anna", "the value of 'n' must be text or a number"),
        ('{"n": null}', "Anna", "the value of 'n' must be text or a number"),
        ('"text"', "Anna", "must be a JSON object of the template's parameters"),
        ("[]", "Anna", "must be a JSON object of the template's parameters"),
        ("null", "Anna", "must be a JSON object of the template's parameters"),
        ("12", "Anna", "must be a JSON object of the template's parameters"),
    ],
)  # fmt: skip
def test_hostile_template_data_is_a_row_problem_naming_the_rule(data, name, rule):
    found = tsf.problems(vk_plan(data, name))
    assert found.to_dict("records") == [{"row": 0, "column": "templateData", "rule": rule}]


@pytest.mark.parametrize(
    ("data", "name", "sent"),
    [
        ('{"T": "a\\tb\\r\\nc"}', "Anna", {"T": "a\tb\r\nc"}),
        ('{"T": "{name}"}', "a\tb\nc", {"T": "a\tb\nc"}),
        ('{"T": "\\u00e9 {{x}}"}', "Anna", {"T": "é {x}"}),  # doubled braces: literal ones
        ('{"T": "{{{name}}}"}', "Anna", {"T": "{Anna}"}),
        (
            '{"n": 10000000000000000000000000000001, "f": 0.1, "e": 1.5e300, "z": -0.0}',
            "Anna",
            {"n": 10**31 + 1, "f": 0.1, "e": 1.5e300, "z": -0.0},
        ),
        ("{}", "Anna", {}),
    ],
)
def test_template_data_that_can_be_sent_is_sent_exactly(data, name, sent):
    plan = vk_plan(data, name)
    assert plan["problem"].isna().all()
    (doc,) = tsf.documents(plan)
    (block,) = doc["message"]
    assert block["templateData"] == sent
    assert json.dumps(block["templateData"], allow_nan=False)  # what the provider can read
