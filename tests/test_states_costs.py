"""fetch_states, estimate_cost and cost_report against the sandbox's own books."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
import requests

import targetsms_frames as tsf
from targetsms_frames import fields as F
from targetsms_frames.errors import InputError

TARIFFS = pd.DataFrame({"channel": ["viber", "sms"], "price": [1.15, 2.37]})
TEMPLATES = pd.DataFrame(
    {
        "template": ["cascade", "sms"],
        "send_viber": ["1", "0"],
        "send_sms": ["2", "1"],
        "sender_viber": ["Shop", None],
        "text_viber": ["{name}, скидка 10% только сегодня", None],
        "sender_sms": ["Shop", "Shop"],
        "text_sms": [
            "{name}, скидка 10% только сегодня",
            "{name}: your order {order} is ready " + "x" * 140,
        ],
    }
)


def campaign(n: int, campaign_key: str = "autumn") -> pd.DataFrame:
    recipients = pd.DataFrame(
        {
            "phone": [str(79100000000 + i) for i in range(n)],
            "name": [f"Имя{i}" for i in range(n)],
            "order": [str(i) for i in range(n)],
            "template": ["cascade" if i % 4 else "sms" for i in range(n)],
        }
    )
    return tsf.plan(recipients, TEMPLATES, campaign=campaign_key)


class CountingSession(requests.Session):
    def __init__(self):
        super().__init__()
        self.state_ids: list[int] = []

    def post(self, url, data=None, **options):
        doc = json.loads(data)
        if "state" in doc:
            self.state_ids.append(len(doc["state"]))
        return super().post(url, data=data, **options)


def test_a_cascade_campaign_waited_to_final_and_reported_matches_the_sandbox_books():
    plan = campaign(1000)
    with tsf.sandbox(speed=86_400 * 2, seed=3, tariffs={"viber": "1.15", "sms": "2.37"}) as sb:
        session = CountingSession()
        client = sb.client(session=session)
        sent = tsf.send(plan, client, progress=False)
        pauses: list[float] = []
        states = tsf.fetch_states(
            sent,
            client,
            wait=True,
            timeout=60,
            interval=0.05,
            sleep=lambda s: (pauses.append(s), __import__("time").sleep(s)),
            progress=False,
        )
        ledger = sb.ledger
    assert states["final"].all() and states.index.equals(plan.index)
    report = tsf.cost_report(states, estimate=tsf.estimate_cost(plan, TARIFFS))
    total = report.loc["total"]
    assert Decimal(str(total["money_total"])) == ledger.total_charged
    assert int(total["delivered"]) == ledger.states["deliver"]
    assert int(total["delivered_viber"]) == ledger.delivered["viber"]
    assert int(total["delivered_sms"]) == ledger.delivered["sms"]
    assert int(total["messages"]) == 1000
    assert report.loc["autumn", "money_total"] == total["money_total"]
    assert 0 < total["delivery_rate"] <= 1
    # Polling asked only for what was still open, at a growing interval.
    assert session.state_ids[0] == 1000 and all(n < 1000 for n in session.state_ids[1:])
    assert pauses == sorted(pauses)


def test_typed_states_frame_for_ids_and_unknown_ids():
    with tsf.sandbox(rates={"sms": {"deliver": 1.0}}) as sb:
        client = sb.client()
        plan = campaign(4)
        sent = tsf.send(plan, client, progress=False)
        sb.advance(minutes=5)
        ids = pd.Series([*sent["id_message"], "999"], index=list("abcde"))
        states = tsf.fetch_states(ids, client, progress=False)
    assert list(states.columns) == [
        "id_message",
        "time_change_state",
        "state",
        "state_viber",
        "state_whatsapp",
        "state_sms",
        "state_vk",
        "num_parts_sms",
        "price_viber",
        "price_whatsapp",
        "price_sms",
        "price_vk",
        "final",
        "error",
    ]
    assert states.index.tolist() == list("abcde")
    assert str(states["time_change_state"].dtype).startswith("datetime64")
    assert isinstance(states["state"].dtype, pd.CategoricalDtype)
    assert list(states["state"].cat.categories) == list(F.STATES)
    assert str(states["num_parts_sms"].dtype) == "Int64" and states["price_sms"].dtype == "float64"
    parts = int(plan.loc[0, "sms_parts"])  # a long UCS-2 text
    assert parts == 3
    assert states.loc["a", "state"] == "deliver" and states.loc["a", "num_parts_sms"] == parts
    assert states.loc["a", "price_sms"] == pytest.approx(2.5 * parts)
    assert states.loc["e", "error"] == F.ERR_UNKNOWN_ID and bool(states.loc["e", "final"])
    assert pd.isna(states.loc["e", "time_change_state"]) and pd.isna(states.loc["e", "state"])
    assert states.loc[list("abcd"), "error"].isna().all()


def test_the_timeout_returns_what_is_still_open():
    later = (datetime.now(F.MSK) + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    recipients = pd.DataFrame(
        {
            "phone": ["79100000001", "79100000002"],
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": "Hi",
            "time_send": [None, later],
        }
    )
    plan = tsf.plan(recipients, campaign="t")
    with tsf.sandbox(speed=1000, rates={"sms": {"deliver": 1.0}}) as sb:
        client = sb.client()
        sent = tsf.send(plan, client, progress=False)
        states = tsf.fetch_states(
            sent, client, wait=True, timeout=0.5, interval=0.05, progress=False
        )
    assert states["final"].tolist() == [True, False]
    assert states["state"].tolist() == ["deliver", "send"]


def test_rows_without_an_id_pass_through_untouched():
    recipients = pd.DataFrame(
        {
            "phone": ["79100000001", "79100000002", "oops"],
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": "Hi",
        }
    )
    plan = tsf.plan(recipients, campaign="mixed")
    with tsf.sandbox(stop_list=["79100000002"]) as sb:
        client = sb.client()
        sent = tsf.send(plan, client, progress=False, preflight=False)  # the provider refuses
        states = tsf.fetch_states(sent, client, progress=False)
    assert sent["outcome"].tolist() == ["accepted", "rejected", "invalid"]
    pd.testing.assert_frame_equal(states[sent.columns], sent)
    assert states.loc[0, "state"] == "send" and not states.loc[0, "final"]
    assert (
        states.loc[[1, 2], ["state", "time_change_state", "price_sms", "final"]].isna().all().all()
    )
    report = tsf.cost_report(states)
    assert report.loc["total", "messages"] == 1 and report.loc["total", "money_total"] == 2.5


def test_estimate_equals_the_charge_when_every_first_channel_delivers():
    plan = campaign(200)
    with tsf.sandbox(
        rates={"viber": {"deliver": 1.0, "read": 1.0}, "sms": {"deliver": 1.0}},
        tariffs={"viber": "1.15", "sms": "2.37"},
    ) as sb:
        client = sb.client()
        tsf.send(plan, client, progress=False)
        sb.advance(hours=1)
        ledger = sb.ledger
    estimate = tsf.estimate_cost(plan, TARIFFS)
    assert Decimal(str(estimate.attrs["totals"]["expected"])) == ledger.total_charged
    assert estimate["expected_cost"].sum() == pytest.approx(float(ledger.total_charged))


def test_estimate_per_row_and_worst_case():
    recipients = pd.DataFrame(
        {
            "phone": ["79100000001", "79100000002", "79100000003", "bad"],
            "send_viber": ["1", "0", "2", "1"],
            "send_sms": ["2", "1", "1", "0"],
            "sender_viber": "Shop",
            "text_viber": "Hi",
            "sender_sms": "Shop",
            "text_sms": "Ы" * 80,
        }
    )
    estimate = tsf.estimate_cost(tsf.plan(recipients, campaign="e"), {"viber": "1.15", "sms": 2.37})
    assert estimate["first_channel"].tolist()[:3] == ["viber", "sms", "sms"]
    assert estimate["expected_cost"].tolist() == [1.15, 4.74, 4.74, 0.0]
    assert estimate["worst_cost"].tolist() == [5.89, 4.74, 5.89, 0.0]
    assert estimate.loc[3, "cost_note"].startswith("not sent: phone: 'bad'")
    assert estimate.attrs["totals"] == {"messages": 3, "expected": 10.63, "worst": 16.52}


@pytest.mark.parametrize(
    ("tariffs", "message"),
    [
        ({"viber": 1.2}, "tariffs has no price for 'sms'"),
        ({"viber": 1.2, "sms": "abc"}, "the price of sms must be a number ≥ 0"),
        ({"viber": -1, "sms": 2}, "the price of viber must be a number ≥ 0"),
        (
            pd.DataFrame({"name": ["sms"], "price": [1]}),
            "tariffs needs a 'channel' and a 'price' column",
        ),
        ([1.2, 2.5], "tariffs must be a frame"),
    ],
)
def test_bad_tariffs(tariffs, message):
    with pytest.raises(InputError, match=message):
        tsf.estimate_cost(campaign(2), tariffs)


def test_report_sums_exactly_to_the_kopeck():
    n = 10_000
    frame = pd.DataFrame(
        {
            "name_delivery": ["a"] * n,
            "id_message": [str(i) for i in range(n)],
            "state": "deliver",
            "state_viber": "deliver",
            "state_sms": None,
            "num_parts_sms": 0,
            "price_viber": [0.1] * n,
            "price_sms": [0.2] * n,
        }
    )
    report = tsf.cost_report(frame)
    assert report.loc["total", "money_total"] == 3000.0  # float sums would drift
    assert report.loc["total", "cost_per_delivered"] == 0.3


def test_report_needs_states():
    with pytest.raises(InputError, match="cost_report needs the column"):
        tsf.cost_report(pd.DataFrame({"name_delivery": ["a"]}))


def test_waiting_survives_a_failed_poll():
    plan = campaign(50)
    with tsf.sandbox(speed=86_400, faults=tsf.Faults(retry_after=0)) as sb:
        client = sb.client(retry=tsf.default_retry(attempts=2, sleep=lambda s: None))
        sent = tsf.send(plan, client, progress=False)
        sb.inject("http_500", "http_500")  # the first poll fails after every retry
        states = tsf.fetch_states(
            sent, client, wait=True, interval=0.05, timeout=30, progress=False
        )
        assert states["final"].all()
        sb.inject("http_500", "http_500")
        with pytest.raises(tsf.errors.TransportError):
            tsf.fetch_states(sent, client, progress=False)  # without waiting, it says so
