"""send's preflight, fifth round: the gate's documents asked at once, the plan prepared while
they are on their way, and still nothing posted before the verdict allows it; the rows
priced by groups, equal to pricing each row."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames.errors import AuthError, BalanceError, InputError, ProviderError
from targetsms_frames.preflight import Facts, judge
from targetsms_frames.sending import _tasks
from targetsms_frames.tariffs import PRICED_AT_HIGHEST, PRICED_BY_OPERATOR, price_table, row_costs

PASSWORD = "s3cret-pw"


def campaign(n: int, *, sender: str = "Shop", **extra) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "phone": [str(79801234500 + i) for i in range(n)],
            "send_sms": "1",
            "sender_sms": sender,
            "text_sms": "Hi",
            **extra,
        }
    )
    return tsf.plan(frame, campaign="round5")


class Watch:
    """A client's gate and send documents, timed: how many gate documents were in flight
    at once, and when each send document was posted."""

    def __init__(self, client, *, delay: float = 0.0, fail: dict | None = None) -> None:
        self.lock = threading.Lock()
        self.in_flight = self.most = 0
        self.gate_done: list[float] = []
        self.began: dict[str, float] = {}  # each gate document's start and end, by type
        self.ended: dict[str, float] = {}
        self.posted: list[float] = []
        gate, send = client.post_gate, client.send_encoded

        def post_gate(payload: dict) -> dict:
            with self.lock:
                self.in_flight += 1
                self.most = max(self.most, self.in_flight)
                self.began[payload.get("type")] = time.perf_counter()
            try:
                time.sleep(delay)
                if fail and payload.get("type") in fail:
                    raise fail[payload["type"]]
                return gate(payload)
            finally:
                with self.lock:
                    self.in_flight -= 1
                    self.gate_done.append(time.perf_counter())
                    self.ended[payload.get("type")] = self.gate_done[-1]

        def send_encoded(document):
            with self.lock:
                self.posted.append(time.perf_counter())
            return send(document)

        client.post_gate = post_gate
        client.send_encoded = send_encoded


def test_the_gate_documents_are_asked_at_once_and_answered_before_any_send_document():
    plan = campaign(3000, time_send="2099-01-01 10:00")
    with tsf.sandbox(any_originator=False, senders={"Shop": "completed"}) as sb:
        client = sb.client()
        watch = Watch(client, delay=0.3)
        started = time.perf_counter()
        sent = tsf.send(plan, client, progress=False, max_phones=500)
        asked = sb.gate_requests
    assert sent["outcome"].eq("accepted").all()
    # The balance alone (one refused login if the password is wrong), then senders, stop
    # list and clock together.
    others = [watch.began[kind] for kind in watch.began if kind != "balance"]
    assert asked == 4 and watch.most == 3 and min(others) >= watch.ended["balance"]
    # Two rounds of 0.3 s: well under the 1.2 s of four documents one after another.
    assert max(watch.gate_done) - started < 1.0
    assert len(watch.posted) == 6 and min(watch.posted) > max(watch.gate_done)


def test_a_refused_preflight_posts_no_send_document_while_the_gate_is_asked_at_once():
    plan = campaign(40)
    with tsf.sandbox(balance="10", tariffs={"sms": "2.50"}) as sb:
        client = sb.client()
        watch = Watch(client, delay=0.1)
        with pytest.raises(BalanceError, match=r"^not sent: the campaign needs 100\.00 ₽"):
            tsf.send(plan, client, progress=False)
        posted, ledger = sb.requests, sb.ledger
    assert watch.most == 2 and not watch.posted  # the balance, then senders and stop list
    assert posted == 0 and not ledger.submitted and ledger.balance == Decimal("10.00")


@pytest.mark.parametrize(
    ("kind", "named"),
    [
        ("balance", "asked for the balance"),
        ("originator", "asked for the SMS senders"),
        ("list_stop", "asked for the stop list"),
    ],
)
def test_a_failing_gate_document_is_named_and_nothing_is_posted(kind, named):
    plan = campaign(10)
    refusal = ProviderError(f"the provider refused the document: no {kind} today", "x")
    with tsf.sandbox() as sb:
        client = sb.client()
        watch = Watch(client, fail={kind: refusal})
        with pytest.raises(ProviderError) as caught:
            tsf.send(plan, client, progress=False)
        posted = sb.requests
    text = str(caught.value)
    assert text.startswith(f"preflight: the account gate {client.gate_url} refused or answered")
    assert f"({named}): the provider refused the document: no {kind} today" in text
    assert text.endswith("pass preflight=False to send without it")
    assert posted == 0 and not watch.posted


def test_the_first_failing_document_in_the_old_order_is_the_one_raised():
    plan = campaign(10)
    fail = {
        "list_stop": ProviderError("stop list broken", "x"),
        "balance": ProviderError("balance broken", "y"),
    }
    with tsf.sandbox() as sb:
        client = sb.client()
        Watch(client, fail=fail)
        with pytest.raises(ProviderError, match=r"\(asked for the balance\): balance broken"):
            tsf.send(plan, client, progress=False)


def test_a_wrong_password_is_an_auth_error_from_the_gate_and_never_shown():
    plan = campaign(5)
    with tsf.sandbox() as sb:
        client = tsf.Client(sb.login, PASSWORD, url=sb.url, sleep=lambda seconds: None)
        with pytest.raises(AuthError) as caught:
            tsf.send(plan, client, progress=False)
        posted = sb.requests
    assert PASSWORD not in str(caught.value) and PASSWORD not in repr(caught.value)
    assert posted == 0


def test_a_bad_client_id_on_a_stop_listed_row_does_not_stop_the_send():
    # Prepared before the verdict, the bad id would be refused; the preflight blocks its
    # row, so the plan is prepared again without it, as when it was prepared after.
    plan = campaign(4)
    plan.loc[2, "client_id_message"] = "not-digits"
    with tsf.sandbox(stop_list=[plan.loc[2, "phone"]]) as sb:
        sent = tsf.send(plan, sb.client(), progress=False)
        posted = sb.ledger.submitted
    assert sent["outcome"].tolist() == ["accepted", "accepted", "invalid", "accepted"]
    assert sent.loc[2, "error"] == "phone is on the account's stop list"
    assert len(posted) == 3


def test_the_preflight_refusal_comes_before_a_bad_client_id_and_the_id_error_after():
    plan = campaign(4)
    plan.loc[1, "client_id_message"] = "not-digits"
    with tsf.sandbox(balance="1", tariffs={"sms": "2.50"}) as sb:
        with pytest.raises(BalanceError):
            tsf.send(plan, sb.client(), progress=False)
        assert sb.requests == 0
    with tsf.sandbox() as sb:
        with pytest.raises(InputError, match=r"^row 1 has no client_id_message of digits"):
            tsf.send(plan, sb.client(), progress=False)
        assert sb.requests == 0


# -- the rows priced by groups: equal to pricing each row on its own ------------------------


def _row_by_row(plan: pd.DataFrame, tariffs: pd.DataFrame, lookup) -> list[tuple]:
    """Each row priced on its own, as the documentation says (the reference)."""
    table = price_table(tariffs)
    by_phone = {}
    if lookup is not None:
        by_phone = dict(
            zip(lookup["phone"], map(tsf.operator_key, lookup["operator"]), strict=True)
        )
    channels = [c[5:] for c in plan.columns if c.startswith("send_") and c != "send_at"]
    out: list[tuple] = []
    for i in range(len(plan)):
        row = plan.iloc[i]
        if not (pd.isna(row["problem"]) and pd.notna(row["phone"])):
            out.append((Decimal(0), Decimal(0), None, None))
            continue
        orders = []
        for ch in channels:
            value = pd.to_numeric(pd.Series([row[f"send_{ch}"]], dtype=object), errors="coerce")
            order = 0 if pd.isna(value[0]) else int(value[0])
            if order > 0:
                orders.append((order, ch))
        operator = by_phone.get(row["phone"])
        parts = 0 if pd.isna(row["sms_parts"]) else int(row["sms_parts"])
        costs, missing, exact = [], [], True
        for _, ch in sorted(orders):
            prices = table.get(ch, {})
            price = prices.get(operator) if operator else None
            if price is None:
                price = prices.get(None)
                if price is None:
                    missing.append(ch)
                    price = Decimal(0)
                else:
                    exact = False
            costs.append(price * (parts if ch == "sms" else 1))
        out.append(
            (
                costs[0] if costs else Decimal(0),
                sum(costs, Decimal(0)),
                PRICED_BY_OPERATOR if exact else PRICED_AT_HIGHEST,
                ", ".join(missing) or None,
            )
        )
    return out


OPERATORS = [
    "MTS",
    "BeeLine",
    "Мегафон",
    "Ghost",
    "MTS\x00x",
    None,
]  # (NUL: pandas 2 hashed C strings)
TARIFFS = pd.DataFrame(
    {
        "channel": ["sms", "sms", "sms", "viber"],
        "operator": ["mts", "beeline", None, "mts"],
        "price": [Decimal("2.10"), Decimal("2.90"), Decimal("3.05"), Decimal("1.20")],
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["1", "2", "0", "", None]),  # send_sms
            st.sampled_from(["1", "2", "0", None]),  # send_viber
            st.integers(1, 4),  # SMS length in parts
            st.sampled_from(OPERATORS),
            st.booleans(),  # a phone that is no phone: a problem row
        ),
        min_size=0,
        max_size=25,
    ),
    with_lookup=st.booleans(),
)
def test_priced_groups_equal_pricing_each_row(rows, with_lookup):
    phones = ["12" if bad else str(79801234500 + i) for i, (_, _, _, _, bad) in enumerate(rows)]
    frame = pd.DataFrame(
        {
            "phone": phones,
            "send_sms": [r[0] for r in rows],
            "send_viber": [r[1] for r in rows],
            "sender_sms": "Shop",
            "sender_viber": "Shop",
            "text_sms": ["Ы" * (70 * r[2] - 10) for r in rows],
            "text_viber": "Hi",
        },
        dtype=object,
    )
    plan = tsf.plan(frame, campaign="priced")
    lookup = None
    if with_lookup:
        lookup = pd.DataFrame(
            {"phone": plan["phone"].tolist(), "operator": [r[3] for r in rows]}, dtype=object
        )
    costs = row_costs(plan, TARIFFS, lookup)
    got = list(
        zip(
            costs["first_cost"].tolist(),
            costs["most_cost"].tolist(),
            costs["priced_by"].astype(object).where(costs["priced_by"].notna(), None).tolist(),
            costs["unpriced"].astype(object).where(costs["unpriced"].notna(), None).tolist(),
            strict=True,
        )
    )
    assert got == _row_by_row(plan, TARIFFS, lookup)
    # The preflight's totals: the exact sums of those costs over the rows sent.
    balance = pd.DataFrame(
        {
            "area": ["МТС", "Билайн", "Other", "МТС"],
            "type_sms": ["sms", "sms", "sms", "viber"],
            "type_text": "Рекламные",
            "price": TARIFFS["price"],
        }
    )
    balance.attrs.update(value=Decimal("1000"), currency="RUR")
    senders = pd.DataFrame({"originator": [], "state": []})
    senders.attrs["any_originator"] = True
    facts = Facts(balance=balance, senders=senders, stop_list=frozenset(), clock=None)
    check = judge(plan, facts, lookup)
    ok = (plan["problem"].isna() & plan["phone"].notna()).to_numpy()
    expected = row_costs(plan, tsf.tariffs(balance), lookup)
    assert check.attrs["needed"] == sum(expected["most_cost"][ok].tolist(), Decimal(0))
    assert check.attrs["first_channel"] == sum(expected["first_cost"][ok].tolist(), Decimal(0))
    assert isinstance(check.attrs["needed"], Decimal)
    assert np.array_equal(check["blocking"].to_numpy(), np.zeros(len(plan), dtype=bool))


# -- the workers' tasks end together ---------------------------------------------------------


def _rounds(tasks: list[tuple[int, int]], workers: int) -> int:
    """Round trips until the last document is answered, each task taken by the first free
    worker and its documents posted one after another (each one round trip)."""
    free = [0] * workers
    for d0, d1 in tasks:
        free.sort()
        free[0] += d1 - d0
    return max(free)


def _batches(documents: int, size: int) -> list[tuple[int, int]]:
    """As ``Encoder.batches`` gives them."""
    return [(d0, min(d0 + size, documents)) for d0 in range(0, documents, size)]


@given(st.integers(0, 700), st.sampled_from([2, 4]), st.integers(1, 16))
def test_tasks_cover_every_document_once_in_order_and_end_together(documents, size, workers):
    tasks = _tasks(_batches(documents, size), size, workers)
    assert [d for d0, d1 in tasks for d in range(d0, d1)] == list(range(documents))
    assert all(1 <= d1 - d0 <= size for d0, d1 in tasks)
    assert _rounds(tasks, workers) == -(-documents // workers)  # no worker left behind


def test_a_hundred_documents_in_twos_on_eight_workers_take_thirteen_round_trips():
    whole = [(d, min(d + 2, 100)) for d in range(0, 100, 2)]  # whole tasks to the end
    assert _rounds(whole, 8) == 14 and _rounds(_tasks(whole, 2, 8), 8) == 13
