"""The account gate's answers, whatever they hold: checked values, or a ProviderError that
names the gate type (never a raw exception, never a guessed "zero" or "not approved")."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames import account_answers as GA
from targetsms_frames.account import balance_frame, senders_frame
from targetsms_frames.errors import ProviderError

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
# Values a key may hold: the right kind of text, or anything at all.
DIGITS = st.from_regex(r"[0-9]{1,6}", fullmatch=True)
WEIRD = JSON | st.sampled_from(["١٢٣", "１２", "NaN", "Infinity", "1e30", "-5", "", " ", "2,50"])


def answers(fields: dict) -> st.SearchStrategy:
    """Dicts shaped like a documented answer whose values may each be anything."""
    return st.fixed_dictionaries({}, optional={k: v | WEIRD for k, v in fields.items()})


DIRECTION = answers(
    {
        "area": st.sampled_from(["МТС", "Билайн"]),
        "number": DIGITS,
        "price": st.sampled_from(["1.20", "2.5", "0"]),
        "type_sms": st.sampled_from(["sms", "viber", "VK"]),
        "type_text": st.just("Рекламные"),
        "MCC": DIGITS,
        "MNC": DIGITS,
    }
)
BALANCE = answers(
    {
        "money": answers({"currency": st.just("RUR"), "value": st.sampled_from(["15000", "0.5"])}),
        "sms": st.lists(DIRECTION | WEIRD, max_size=3),
    }
)
ORIGINATOR = answers(
    {
        "any_originator": st.sampled_from(["TRUE", "FALSE", "true", True]),
        "list_originator": st.lists(
            answers(
                {
                    "state": st.sampled_from(["order", "completed", "rejected"]),
                    "originator": st.text(max_size=5),
                }
            )
            | WEIRD,
            max_size=3,
        ),
    }
)
SCHEDULED = answers(
    {
        "page": DIGITS,
        "num_pages": DIGITS,
        "scheduled": st.lists(answers({"id_sms": DIGITS, "phone": DIGITS}) | WEIRD, max_size=3),
    }
)


def refused_by(kind: str, call, answer):
    """``call(answer)``: a value, or a ProviderError naming the gate type."""
    try:
        return call(answer)
    except ProviderError as exc:
        assert str(exc).startswith(f"the account gate's {kind} answer is malformed: "), exc
        return None


@settings(max_examples=300)
@given(BALANCE | JSON)
def test_balance_answers(answer):
    frame = refused_by("balance", balance_frame, answer)
    if frame is None:
        return
    assert list(frame.columns) == ["area", "number", "price", "type_sms", "type_text", "MCC", "MNC"]
    value = frame.attrs["value"]
    assert isinstance(value, Decimal) and value.is_finite() and abs(value) < GA.MAX_AMOUNT
    assert all(isinstance(p, Decimal) and 0 <= p < GA.MAX_PRICE for p in frame["price"])
    assert set(frame["type_sms"]) <= set(GA.TYPE_SMS)
    # Every amount came from ASCII digits exactly as written.
    assert str(value) == str(answer["money"]["value"]).strip().replace(",", ".")


@settings(max_examples=300)
@given(ORIGINATOR | JSON)
def test_originator_answers(answer):
    frame = refused_by("originator", senders_frame, answer)
    if frame is None:
        return
    flag = answer["any_originator"]
    assert frame.attrs["any_originator"] is (flag is True or str(flag).upper() == "TRUE")
    assert set(frame["state"]) <= {"order", "completed", "rejected"}


@given(answers({"phones": st.lists(DIGITS | WEIRD, max_size=4)}) | JSON)
def test_stop_list_answers(answer):
    phones = refused_by("list_stop", GA.stop_answer, answer)
    if phones is not None:
        assert all(p.isascii() and p.isdigit() for p in phones)


@given(
    answers(
        {
            "phones": st.lists(
                answers(
                    {
                        "phone": st.sampled_from(["79131234567", "79031234567"]),
                        "operator": st.just("MTS"),
                        "time_zone": st.integers(-12, 12).map(str),
                    }
                )
                | WEIRD,
                max_size=4,
            )
        }
    )
    | JSON
)
def test_def_answers_keep_good_rows_and_explain_bad_ones(answer):
    asked = ["79131234567", "79031234567"]
    found = refused_by("def", lambda a: GA.def_answer(a, asked), answer)
    if found is None:
        return
    assert set(found) <= set(asked)
    for row in found.values():
        zone = row["time_zone"]
        assert zone is None or (isinstance(zone, int) and -12 <= zone <= 12)
        assert row["error"] is None or isinstance(row["error"], str)


@given(SCHEDULED | JSON)
def test_list_scheduled_answers(answer):
    page = refused_by("list_scheduled", GA.scheduled_page, answer)
    if page is not None:
        pages, rows = page
        assert 1 <= pages <= GA.MAX_PAGES
        assert all(r["id_sms"].isascii() and r["id_sms"].isdigit() for r in rows)


@given(
    answers(
        {
            "scheduled": st.lists(
                answers({"id_sms": DIGITS, "action": st.sampled_from(["delete", "not_found"])})
                | WEIRD,
                max_size=3,
            )
        }
    )
    | JSON
)
def test_delete_answers(answer):
    actions = refused_by("scheduled", GA.delete_answer, answer)
    if actions is not None:
        assert set(actions.values()) <= {"delete", "not_found"}


@given(JSON)
def test_time_answers(answer):
    refused_by("time", GA.time_answer, answer)


@pytest.mark.parametrize(
    ("answer", "what"),
    [
        ({"money": {"currency": "RUR", "value": "١٥٠٠٠"}, "sms": []}, "money.value is not an"),
        ({"money": {"currency": "RUR", "value": "1e30"}, "sms": []}, "money.value is not an"),
        ({"money": {"currency": "RUR", "value": float("nan")}, "sms": []}, "not an amount"),
        ({"money": {"currency": "RUR", "value": "9" * 13}, "sms": []}, "out of range"),
        ({"money": {"currency": "RUR"}, "sms": []}, "money.value is not an amount"),
        ({"money": {"currency": "RUR", "value": "5"}}, "'sms' is not a list"),
        ({"money": {"currency": "RUR", "value": "5"}, "sms": ["x"]}, "sms[0] is not an object"),
        ({"money": {"currency": "RUR", "value": "5"}, "sms": [{"type_sms": "sms"}]}, "area"),
    ],
)
def test_malformed_balances_are_named(answer, what):
    with pytest.raises(ProviderError) as caught:
        balance_frame(answer)
    assert str(caught.value).startswith("the account gate's balance answer is malformed")
    assert what in str(caught.value)


def test_a_missing_any_originator_is_not_read_as_not_approved():
    with pytest.raises(ProviderError, match="any_originator is not TRUE or FALSE"):
        senders_frame({"list_originator": []})


def test_a_preflight_on_malformed_gate_answers_says_how_to_skip_it():
    plan = tsf.plan(
        pd.DataFrame(
            {"phone": ["79801234567"], "send_sms": "1", "sender_sms": "Shop", "text_sms": "Hi"}
        ),
        campaign="bad-gate",
    )
    with tsf.sandbox() as sb:
        sb.provider.gate_directions = [{"area": "МТС", "price": "2.50", "type_sms": "pigeon"}]
        client = sb.client()
        with pytest.raises(ProviderError) as caught:
            tsf.send(plan, client, progress=False)
        posted = sb.requests
        sent = tsf.send(plan, client, progress=False, preflight=False)
    message = str(caught.value)
    assert "balance answer is malformed: sms[0].type_sms" in message
    assert "pass preflight=False to send without it" in message and posted == 0
    assert sent["outcome"].tolist() == ["accepted"]


def test_a_bad_def_row_is_na_with_its_reason():
    found = GA.def_answer(
        {
            "phones": [
                {"phone": "79131234567", "operator": "MTS", "time_zone": "٤"},
                {"phone": "79031234567", "operator": "BeeLine", "time_zone": "0"},
                "garbage",
            ]
        },
        ["79131234567", "79031234567"],
    )
    assert found["79131234567"]["time_zone"] is None
    assert found["79131234567"]["operator"] == "MTS"
    assert "time_zone is not whole hours from Moscow" in found["79131234567"]["error"]
    assert found["79031234567"] == {
        "operator": "BeeLine",
        "region": None,
        "time_zone": 0,
        "error": None,
    }
