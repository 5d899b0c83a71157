"""preflight() and send()'s use of it: refused before posting, reported row by row."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

import targetsms_frames as tsf
from targetsms_frames import fields as F
from targetsms_frames.errors import BalanceError


def campaign(rows: dict[str, tuple[str, str]], **extra) -> pd.DataFrame:
    """A plan indexed by label from {label: (phone, sender_sms)}."""
    frame = pd.DataFrame(
        {
            "phone": [p for p, _ in rows.values()],
            "sender_sms": [s for _, s in rows.values()],
            "send_sms": "1",
            "text_sms": "Ы" * 80,  # two parts
            **extra,
        },
        index=list(rows),
    )
    return tsf.plan(frame, campaign="pre")


def test_an_unaffordable_campaign_is_refused_before_any_document():
    plan = campaign({f"r{i}": (f"7980123456{i}", "Shop") for i in range(10)})
    with tsf.sandbox(balance="10", tariffs={"sms": "2.50"}) as sb:
        client = sb.client()
        with pytest.raises(BalanceError) as caught:
            tsf.send(plan, client, progress=False)
        posted, ledger = sb.requests, sb.ledger
        partial = tsf.send(plan, client, progress=False, allow_partial=True)
    assert str(caught.value).startswith(
        "not sent: the campaign needs 50.00 ₽ at most, the account has 10.00 ₽."
    )
    assert caught.value.needed == Decimal("50.00") and caught.value.available == Decimal("10.00")
    assert posted == 0 and not ledger.submitted and ledger.balance == Decimal("10.00")
    # The documented no-money text: the provider keeps them until a top-up ("held").
    assert partial["outcome"].value_counts().to_dict() == {"accepted": 2, "held": 8}
    assert partial["error"].dropna().eq(F.ERR_HELD).all()


def test_stop_listed_and_unapproved_sender_rows_are_reported_and_not_sent():
    plan = campaign(
        {
            "good": ("79801234561", "Shop"),
            "stopped": ("79801234562", "Shop"),
            "rejected": ("79801234563", "BadShop"),
            "pending": ("79801234564", "NewShop"),
            "unknown": ("79801234565", "Ghost"),
            "both": ("79801234562", "BadShop"),
        }
    )
    senders = {"Shop": "completed", "BadShop": "rejected", "NewShop": "order"}
    with tsf.sandbox(any_originator=False, senders=senders, stop_list=["79801234562"]) as sb:
        client = sb.client()
        check = tsf.preflight(plan, client)
        sent = tsf.send(plan, client, progress=False)
        ledger = sb.ledger
    assert check.index.equals(plan.index) and pd.api.types.is_string_dtype(check["preflight"])
    assert check["preflight"].fillna("").to_dict() == {
        "good": "",
        "stopped": "phone is on the account's stop list",
        "rejected": "sender_sms BadShop is not approved (rejected)",
        "pending": "sender_sms NewShop is not approved (order)",
        "unknown": "sender_sms Ghost is not approved (not in the account's sender list)",
        "both": "phone is on the account's stop list; "
        "sender_sms BadShop is not approved (rejected)",
    }
    assert check["blocking"].tolist() == [False, True, True, True, True, True]
    assert check.attrs["verdict"] == "needs 5.00 ₽ at most, the account has 100,000.00 ₽: enough"
    assert sent["outcome"].tolist() == ["accepted"] + ["invalid"] * 5
    assert sent["error"].iloc[1:].tolist() == check["preflight"].iloc[1:].tolist()
    assert set(ledger.submitted) == {plan.loc["good", "client_id_message"]}


def test_warnings_do_not_stop_the_send_and_each_kind_is_asked_once():
    soon = (datetime.now(F.MSK) + timedelta(hours=1)).strftime(F.TIME_SEND_FORMAT)
    plan = campaign(
        {"a": ("79801234561", "Shop"), "b": ("79801234562", "Shop")},
        time_send=soon,
    )
    with tsf.sandbox(zone=4) as sb:
        client = sb.client()
        check = tsf.preflight(plan, client)
        asked = sb.gate_requests
        sent = tsf.send(plan, client, progress=False)
        asked_by_send = sb.gate_requests - asked
        tsf.send(plan, client, progress=False, preflight=False)
        asked_without = sb.gate_requests - asked - asked_by_send
    # An hour from now in Moscow is three hours ago on the account's (+4) clock.
    assert check["preflight"].str.startswith(f"time_send {soon} is in the past").all()
    assert not check["blocking"].any() and sent["outcome"].eq("accepted").all()
    assert asked == asked_by_send == 4  # balance, originator, list_stop, time
    assert asked_without == 0


def test_unknown_operators_and_unpriced_channels_are_warnings():
    recipients = pd.DataFrame(
        {
            "phone": ["79131234567", "79551234567"],
            "send_viber": "1",
            "send_sms": "2",
            "sender_viber": "Shop",
            "text_viber": "Hi",
            "sender_sms": "Shop",
            "text_sms": "Hi",
        }
    )
    plan = tsf.plan(recipients, campaign="ops")
    directions = [
        {"area": "МТС", "price": "2.00", "type_sms": "sms", "type_text": "Рекламные"},
        {"area": "Билайн", "price": "3.00", "type_sms": "sms", "type_text": "Рекламные"},
    ]
    with tsf.sandbox() as sb:
        sb.provider.gate_directions = [d | {"MCC": "250", "MNC": "1"} for d in directions]
        client = sb.client()
        zones = tsf.lookup(plan["phone"], client)
        check = tsf.preflight(plan, client, lookup=zones)
    assert check["preflight"].tolist() == [
        "no tariff on the account for viber: its cost is not counted",
        "no tariff on the account for viber: its cost is not counted; "
        "operator unknown: priced at the account's highest tariff",
    ]
    assert not check["blocking"].any()
    assert check.attrs["needed"] == Decimal("5.00")  # MTS 2.00 by operator + highest 3.00
    assert check.attrs["priced_at_highest"] == 1


def test_the_journal_wins_over_a_stop_list_that_changed_between_runs(tmp_path):
    plan = campaign({"a": ("79801234561", "Shop"), "b": ("79801234562", "Shop")})
    journal = tmp_path / "run.journal"
    with tsf.sandbox() as sb:
        client = sb.client()
        first = tsf.send(plan, client, journal=journal, progress=False)
        sb.account.stop_list = frozenset({"79801234562"})  # b is stop-listed after it was sent
        posted = sb.requests
        check = tsf.preflight(plan, client)
        again = tsf.send(plan, client, journal=journal, progress=False)
        posted_again = sb.requests - posted
    assert first["outcome"].tolist() == ["accepted", "accepted"]
    assert check.loc["b", "preflight"] == "phone is on the account's stop list"
    assert again["outcome"].tolist() == ["accepted", "accepted"]
    for column in ("id_message", "id_sms", "client_id_message"):
        assert again[column].tolist() == first[column].tolist(), column
    assert again.loc["b", "error"].endswith("phone is on the account's stop list")
    assert posted_again == 0  # nothing sent again: a is journaled, b too


def test_a_re_run_or_a_resume_is_judged_on_what_is_left_to_send(tmp_path):
    """Money spent on rows the journal has is not asked for again (the balance check)."""
    recipients = pd.DataFrame(
        {"phone": [f"7980123456{i}" for i in range(4)], "send_sms": "1"}
        | {"sender_sms": "Shop", "text_sms": "Hi"}
    )
    plan = tsf.plan(recipients, campaign="resume")
    whole, half = tmp_path / "whole.journal", tmp_path / "half.journal"
    with tsf.sandbox(balance="10") as sb:  # 4 SMS at 2.50: exactly the balance
        client = sb.client()
        first = tsf.send(plan, client, journal=whole, progress=False)
        assert sb.ledger.balance == Decimal("0")
        again = tsf.send(plan, client, journal=whole, progress=False)
        assert sb.ledger.balance == Decimal("0")
    assert (first["outcome"] == "accepted").all() and (again["outcome"] == "accepted").all()
    assert again["id_message"].tolist() == first["id_message"].tolist()
    with tsf.sandbox(balance="10") as sb:  # killed after two rows: five roubles left
        client = sb.client()
        tsf.send(plan.iloc[:2], client, journal=half, progress=False)
        resumed = tsf.send(plan, client, journal=half, progress=False)
        assert sb.ledger.balance == Decimal("0")
        assert dict(sb.ledger.accepted) == {c: 1 for c in plan["client_id_message"]}
    assert (resumed["outcome"] == "accepted").all()
    with tsf.sandbox(balance="4") as sb:  # still too little for the two rows left
        client = sb.client()
        tsf.send(plan.iloc[:1], client, journal=tmp_path / "short.journal", progress=False)
        with pytest.raises(BalanceError, match=r"needs 7\.50 ₽ at most, the account has 1\.50 ₽"):
            tsf.send(plan, client, journal=tmp_path / "short.journal", progress=False)
