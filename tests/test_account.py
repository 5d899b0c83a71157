"""The account gate: balance, tariffs, senders, stop list, lookup, clock, schedule — over HTTP."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames import fields as F
from targetsms_frames.errors import AuthError, ProviderError

PASSWORD = "Gate-Secret-42"


def sms_plan(phones, *, sender="Shop", text="Hi", time_send=None, campaign="acct"):
    frame = pd.DataFrame({"phone": phones, "send_sms": "1", "sender_sms": sender, "text_sms": text})
    if time_send is not None:
        frame["time_send"] = time_send
    return tsf.plan(frame, campaign=campaign)


def is_text(series) -> bool:
    return pd.api.types.is_string_dtype(series)


def test_gate_url_is_next_to_the_send_url_unless_given():
    client = tsf.Client("me", "pw", url="https://host.example:8443/api/sendmessagejson.php")
    assert client.gate_url == "https://host.example:8443/api/sendsmsjson.php"
    other = tsf.Client("me", "pw", url=F.DEFAULT_URL, gate_url="https://b.example/sendsmsjson.php")
    assert other.gate_url == "https://b.example/sendsmsjson.php"


def test_balance_is_exact_and_follows_the_ledger():
    with tsf.sandbox(balance="15000", tariffs={"viber": "1.15", "sms": "2.37"}) as sb:
        client = sb.client()
        before = tsf.balance(client)
        tsf.send(sms_plan(["79801234567", "79801234568"]), client, progress=False)
        after = tsf.balance(client)
        ledger = sb.ledger
    assert before.attrs == {"currency": "RUR", "value": Decimal("15000.00")}
    assert after.attrs["value"] == ledger.balance == Decimal("15000") - 2 * Decimal("2.37")
    assert list(before.columns) == [
        "area",
        "number",
        "price",
        "type_sms",
        "type_text",
        "MCC",
        "MNC",
    ]
    assert str(before["number"].dtype) == "Int64"
    for column in ("area", "type_sms", "type_text", "MCC", "MNC"):
        assert is_text(before[column]), column
    sms = before[before.type_sms == "sms"]
    assert set(sms["price"]) == {Decimal("2.37")}
    assert set(sms["number"]) == {15000 * 100 // 237}
    assert set(before["area"]) == {"МТС", "МегаФон", "Билайн", "Tele2"}


def test_tariffs_price_by_operator_through_the_name_table_else_the_highest():
    directions = pd.DataFrame(
        {
            "area": ["Билайн", "МТС", "МегаФон", "Билайн"],
            "price": [Decimal("2.10"), Decimal("2.90"), Decimal("3.30"), Decimal("4.00")],
            "type_sms": ["sms", "sms", "sms", "sms"],
            "type_text": ["Сервисные", "Рекламные", "Рекламные", "Рекламные"],
        }
    )
    prices = tsf.tariffs(directions)
    assert prices["operator"].tolist() == ["beeline", "mts", "megafon", "beeline"]
    assert prices["price"].tolist()[-1] == Decimal("4.00")  # dearest last per channel
    service = tsf.tariffs(directions, type_text="Сервисные")
    assert service["price"].tolist() == [Decimal("2.10")]
    plan = sms_plan(["79031234567", "79131234567", "79991234567"], text="Ы" * 80)  # 2 parts
    # def says "BeeLine" and "MTS"; the balance says "Билайн" and "МТС".
    lookup = pd.DataFrame({"phone": ["79031234567", "79131234567"], "operator": ["BeeLine", "MTS"]})
    costs = tsf.row_costs(plan, prices, lookup)
    assert costs["most_cost"].tolist() == [Decimal("8.00"), Decimal("5.80"), Decimal("8.00")]
    assert costs["priced_by"].tolist() == ["operator", "operator", "highest"]
    assert tsf.row_costs(plan, service, lookup)["unpriced"].isna().all()
    assert tsf.row_costs(plan, prices)["priced_by"].eq("highest").all()


def test_senders_and_their_states():
    with tsf.sandbox(
        any_originator=False, senders={"Shop": "completed", "New": "order", "BadShop": "rejected"}
    ) as sb:
        closed = tsf.senders(sb.client())
    with tsf.sandbox() as sb:
        open_ = tsf.senders(sb.client())
    assert closed.attrs["any_originator"] is False
    assert dict(zip(closed.originator, closed.state, strict=True)) == {
        "Shop": "completed",
        "New": "order",
        "BadShop": "rejected",
    }
    assert is_text(closed["originator"]) and is_text(closed["state"])
    assert open_.attrs["any_originator"] is True and open_.empty


def test_the_provider_refuses_an_unapproved_sender_with_the_documented_texts():
    plan = pd.concat(
        [sms_plan(["79801234567"], sender=s, campaign=s) for s in ("Shop", "BadShop", "Nobody")],
        ignore_index=True,
    )
    with tsf.sandbox(
        any_originator=False, senders={"Shop": "completed", "BadShop": "rejected"}
    ) as sb:
        sent = tsf.send(plan, sb.client(), progress=False, preflight=False)
    assert sent["outcome"].tolist() == ["accepted", "rejected", "rejected"]
    assert sent["error"].tolist()[1:] == [
        "Отправитель не прошел модерацию.",
        "Такого отправителя Нет.",
    ]


def test_stop_list():
    with tsf.sandbox(stop_list=["79000000002", "79000000001"]) as sb:
        frame = tsf.stop_list(sb.client())
    assert sorted(frame["phone"]) == ["79000000001", "79000000002"] and is_text(frame["phone"])


def test_lookup_one_row_per_input_in_order_batched_and_cached():
    phones = pd.Series(
        [
            "+7 913 123-45-67",
            "79141234567",
            "not a phone",
            "8 (913) 123 45 67",
            "79801234567",
            "79551234567",
            "79031234567",
        ],
        index=list("abcdefg"),
    )
    with tsf.sandbox() as sb:
        frame = tsf.lookup(phones, sb.client(), batch=2, progress=False)
        asked = sb.gate_requests
    assert frame.index.tolist() == list("abcdefg")
    assert frame["phone"].tolist()[:2] == ["79131234567", "79141234567"]
    assert frame.loc["d", "phone"] == "79131234567"  # the same phone: asked once
    assert asked == 3  # five distinct phones, two per document
    assert frame["operator"].fillna("?").tolist() == [
        "MTS",
        "MTS",
        "?",
        "MTS",
        "MTS",
        "?",
        "BeeLine",
    ]
    assert frame["time_zone"].tolist() == [4, 7, pd.NA, 4, 0, pd.NA, 0]
    assert str(frame["time_zone"].dtype) == "Int64"
    assert all(is_text(frame[c]) for c in ("phone", "operator", "region"))
    assert pd.isna(frame.loc["c", "phone"]) and frame.loc["e", "region"].startswith("Москва")


def test_account_time_knows_the_zone():
    with tsf.sandbox(zone=4) as sb:
        clock = tsf.account_time(sb.client())
    assert clock.offset_hours == 4
    assert abs(clock.moscow - datetime.now(F.MSK)) < timedelta(minutes=1)


def test_scheduled_reads_every_page():
    tomorrow = (datetime.now(F.MSK) + timedelta(days=1)).strftime(F.TIME_SEND_FORMAT)
    phones = [f"7980123450{i}" for i in range(5)]
    with tsf.sandbox() as sb:
        sb.provider.gate_page_size = 2
        client = sb.client()
        sent = tsf.send(sms_plan(phones, time_send=tomorrow), client, progress=False)
        before = sb.gate_requests
        frame = tsf.scheduled(client)
        pages = sb.gate_requests - before
    assert pages == 3
    assert sorted(frame["id_sms"]) == sorted(sent["id_sms"])
    assert sorted(frame["phone"]) == phones
    assert frame["time_send"].dt.strftime(F.TIME_SEND_FORMAT).eq(tomorrow).all()
    assert str(frame["count_sms"].dtype) == "Int64" and frame["originator"].eq("Shop").all()
    assert is_text(frame["id_sms"]) and frame["id_sms"].str.fullmatch(r"\d+").all()


@pytest.mark.parametrize(
    "call",
    [
        tsf.balance,
        tsf.senders,
        tsf.stop_list,
        tsf.account_time,
        tsf.scheduled,
        lambda client: tsf.lookup(["79801234567"], client),
        lambda client: tsf.cancel_scheduled(["1"], client),
    ],
)
def test_wrong_credentials_raise_auth_error_without_the_password(call):
    with tsf.sandbox() as sb:
        client = tsf.Client(sb.login, PASSWORD, url=sb.url)
        with pytest.raises(AuthError) as caught:
            call(client)
    assert caught.value.text == F.ERR_BAD_LOGIN and PASSWORD not in repr(caught.value.args)


def raw_gate(sb, doc: dict | None, *, raw: bytes | None = None, headers=None) -> dict:
    body = raw if raw is not None else json.dumps(doc, ensure_ascii=False).encode()
    response = requests.post(sb.gate_url, data=body, headers=headers or {}, timeout=10)
    assert response.status_code == 200
    return response.json()


def test_gate_errors_use_the_documented_texts():
    with tsf.sandbox() as sb:
        security = {"login": sb.login, "password": sb.password}
        with pytest.raises(ProviderError) as caught:
            sb.client().post_gate({"type": "no_such_type"})
        assert caught.value.text == F.ERR_BAD_JSON
        assert raw_gate(sb, None, raw=b"") == {"error": F.ERR_NO_POST}
        assert raw_gate(sb, None, raw=b"{nope") == {"error": F.ERR_BAD_JSON}
        assert raw_gate(sb, {"type": "time"}) == {"error": F.ERR_BAD_LOGIN}
        for bad in (
            {"type": "def", "phones": "79801234567"},
            {"type": "list_scheduled", "page": "0"},
            {"type": "scheduled", "delete_schedule": [{"id_sms": 5}]},
        ):
            assert raw_gate(sb, {"security": security, **bad}) == {"error": F.ERR_BAD_JSON}
        sb.block_account()
        assert raw_gate(sb, {"security": security, "type": "time"}) == {"error": F.ERR_BLOCKED}


def test_a_token_account_is_answered_through_the_bearer_header():
    with tsf.sandbox(zone=2) as sb:
        sb.provider.add_token("tok-123", sb.login)
        answer = raw_gate(sb, {"type": "time"}, headers={"Authorization": "Bearer tok-123"})
        wrong = raw_gate(sb, {"type": "time"}, headers={"Authorization": "Bearer tok-999"})
    assert set(answer) == {"time"} and wrong == {"error": F.ERR_BAD_LOGIN}


def test_cancel_a_campaign_scheduled_for_tomorrow():
    phones = ["79801234561", "79801234562", "79801234563"]
    tomorrow = (datetime.now(F.MSK) + timedelta(days=1)).strftime(F.TIME_SEND_FORMAT)
    plan = sms_plan(phones, time_send=tomorrow)
    with tsf.sandbox(balance="100", rates={"sms": {"deliver": 1.0}}) as sb:
        client = sb.client()
        sent = tsf.send(plan, client, progress=False)
        assert tsf.balance(client).attrs["value"] == Decimal("92.50")
        assert len(tsf.scheduled(client)) == 3
        cancelled = tsf.cancel_scheduled(sent, client)
        again = tsf.cancel_scheduled(sent["id_sms"].tolist(), client)
        money_back = tsf.balance(client).attrs["value"]
        assert tsf.scheduled(client).empty
        sb.advance(hours=48)
        states = tsf.fetch_states(sent, client, progress=False)
        ledger = sb.ledger
    assert cancelled["id_sms"].tolist() == sent["id_sms"].tolist()
    assert cancelled["action"].tolist() == ["delete"] * 3 and is_text(cancelled["action"])
    assert again["action"].eq("not_found").all()
    assert money_back == ledger.balance == Decimal("100.00") and ledger.total_charged == 0
    assert ledger.delivered["sms"] == 0 and ledger.delivered["viber"] == 0
    assert states["state"].eq("not_deliver").all() and states["price_sms"].eq(0).all()


def test_recipients_in_three_zones_get_ten_o_clock_local():
    phones = ["79801234567", "79131234567", "79141234567"]  # Moscow, +4, +7
    plan = sms_plan(phones)
    with tsf.sandbox(zone=2, rates={"sms": {"deliver": 1.0}}) as sb:
        client = sb.client()
        clock = tsf.account_time(client)
        zones = tsf.lookup(plan["phone"], client)
        timed = tsf.schedule_local(plan, zones, at="10:00", tz=clock, now=clock)
        sent = tsf.send(timed, client, progress=False)
        sb.advance(hours=49)
        states = tsf.fetch_states(sent, client, progress=False)
    assert timed["time_send"].nunique() == 3 and sent["outcome"].eq("accepted").all()
    for phone, zone, delivered in zip(
        phones, zones["time_zone"], states["time_change_state"], strict=True
    ):
        local = delivered + pd.Timedelta(hours=int(zone))  # the sandbox reports Moscow time
        assert local.strftime("%H:%M") == "10:00", phone
        assert local > pd.Timestamp(clock.moscow.replace(tzinfo=None)) + pd.Timedelta(hours=zone)


def test_schedule_local_rules():
    now = datetime(2026, 3, 1, 22, 30, tzinfo=F.MSK)
    plan = sms_plan(["79801234567", "79141234567", "79991234567"])
    zones = pd.DataFrame(
        {"phone": ["79801234567", "79141234567"], "time_zone": pd.array([0, 7], dtype="Int64")}
    )
    out = tsf.schedule_local(plan, zones, "10:00", now=now)
    assert out["time_send"].tolist()[:2] == ["2026-03-02 10:00", "2026-03-02 03:00"]
    assert out.loc[2, "problem"].startswith("time_send: the phone's time zone is unknown")
    assert plan["problem"].isna().all()  # the caller's plan is not touched
    fallback = tsf.schedule_local(plan, zones, "10:00", now=now, default_zone=0, tz=2)
    assert fallback["time_send"].tolist() == [
        "2026-03-02 12:00",
        "2026-03-02 05:00",
        "2026-03-02 12:00",
    ]
    soonest = tsf.schedule_local(plan, zones, None, now=now, default_zone=-2)
    # 22:30 in Moscow is after 21:00: tomorrow at 09:00; in +7 it is 05:30, before 09:00;
    # in -2 it is 20:30, within the hours: it goes now (no time_send).
    assert soonest["time_send"].tolist()[:2] == ["2026-03-02 09:00", "2026-03-02 02:00"]
    assert pd.isna(soonest.loc[2, "time_send"]) and soonest["problem"].isna().all()
    with pytest.raises(tsf.errors.InputError, match="outside the hours"):
        tsf.schedule_local(plan, zones, "23:00", now=now)
    past = tsf.schedule_local(plan, zones, "2026-03-01 10:00", now=now, default_zone=0)
    assert past["problem"].str.contains("is in the past").all()


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_money_reads_the_providers_amounts_exactly(value):
    from targetsms_frames.account import money
    from targetsms_frames.sandbox.provider import rubles, to_kopecks

    assert money(str(value)) == value
    assert money(rubles(to_kopecks(value))) == value
    assert money(str(value).replace(".", ",")) == value


@given(
    st.sampled_from(["МТС", "MTS", "Билайн", "BeeLine", "МегаФон", "MegaFon", "Tele2", "Теле2"]),
    st.sampled_from(["", "ПАО ", "пао "]),
    st.sampled_from(["", " ", '"']),
    st.booleans(),
)
def test_operator_key_ignores_case_quotes_spaces_and_legal_form(name, legal, pad, upper):
    written = f"{legal}{pad}{name.upper() if upper else name}{pad}"
    assert tsf.operator_key(written) == tsf.operator_key(name)
    assert tsf.operator_key(name) in {"mts", "beeline", "megafon", "tele2"}
