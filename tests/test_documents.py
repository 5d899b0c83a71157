"""documents(): grouped, chunked, string-valued, credential-free, problem rows left out."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import targetsms_frames as tsf
from targetsms_frames.errors import InputError


def campaign_plan(n: int = 10) -> pd.DataFrame:
    recipients = pd.DataFrame(
        {
            "phone": [str(79801234000 + i) for i in range(n)],
            "template": ["a" if i % 3 else "b" for i in range(n)],
        }
    )
    templates = pd.DataFrame(
        {
            "template": ["a", "b"],
            "send_viber": ["1", "0"],
            "send_sms": ["2", "1"],
            "sender_viber": ["Shop", None],
            "text_viber": ["Скидка", None],
            "sender_sms": ["Shop", "Shop"],
            "text_sms": ["Скидка", "Sale"],
            "validity_period_viber": ["30", None],
        }
    )
    return tsf.plan(recipients, templates, campaign="docs")


def phones_of(docs):
    return [p for d in docs for b in d["message"] for p in b["phones"]]


def test_identical_messages_share_a_block():
    plan = campaign_plan(10)
    (doc,) = tsf.documents(plan)
    assert [len(b["phones"]) for b in doc["message"]] == [4, 6]  # in order of first appearance
    b, a = doc["message"]
    assert a == {
        "send_viber": "1",
        "send_whatsapp": "0",
        "send_sms": "2",
        "send_vk": "0",
        "name_delivery": "docs",
        "sender_viber": "Shop",
        "text_viber": "Скидка",
        "validity_period_viber": "30",
        "sender_sms": "Shop",
        "text_sms": "Скидка",
        "phones": a["phones"],
    }
    assert b["send_viber"] == "0" and "text_viber" not in b  # unused: "0"; empty: left out
    sent = {(p["phone"], p["client_id_message"]) for p in phones_of([doc])}
    assert sent == set(zip(plan["phone"], plan["client_id_message"], strict=True))


@pytest.mark.parametrize("max_phones", [1, 3, 4, 7, 1000])
def test_no_document_carries_more_than_max_phones(max_phones):
    plan = campaign_plan(20)
    docs = tsf.documents(plan, max_phones=max_phones)
    assert all(len(phones_of([d])) <= max_phones for d in docs)
    assert len(docs) == -(-20 // max_phones)
    # Blocks in order of first appearance (row 0 uses "b"), phones in plan order.
    by_block = [
        *plan[plan.template == "b"].client_id_message,
        *plan[plan.template == "a"].client_id_message,
    ]
    assert [p["client_id_message"] for p in phones_of(docs)] == by_block


def test_values_are_strings_and_no_credentials():
    docs = tsf.documents(campaign_plan(5))
    text = json.dumps(docs, ensure_ascii=False)

    def strings(value):
        if isinstance(value, dict):
            return all(strings(v) for v in value.values())
        if isinstance(value, list):
            return all(strings(v) for v in value)
        return isinstance(value, str)

    assert strings(docs)
    assert "login" not in text and "password" not in text


def test_rows_with_problems_are_left_out():
    plan = campaign_plan(6)
    plan_with_bad = tsf.plan(
        pd.DataFrame(
            {
                "phone": ["79801234567", "oops"],
                "send_sms": "1",
                "sender_sms": "Shop",
                "text_sms": "Hi",
            }
        ),
        campaign="c",
    )
    assert [p["phone"] for p in phones_of(tsf.documents(plan_with_bad))] == ["79801234567"]
    assert len(phones_of(tsf.documents(plan))) == 6


def test_documents_is_pure_and_repeatable():
    plan = campaign_plan(8)
    before = plan.copy(deep=True)
    assert tsf.documents(plan) == tsf.documents(plan)
    pd.testing.assert_frame_equal(plan, before)


@pytest.mark.parametrize("max_phones", [0, -1, 2.5, True])
def test_bad_max_phones(max_phones):
    with pytest.raises(InputError, match="max_phones"):
        tsf.documents(campaign_plan(2), max_phones=max_phones)


def test_not_a_plan():
    with pytest.raises(InputError, match="not a plan frame"):
        tsf.documents(pd.DataFrame({"phone": ["79801234567"]}))


def test_the_sandbox_accepts_every_document():
    plan = campaign_plan(30)
    with tsf.sandbox() as sb:
        client = sb.client()
        rows = [
            r
            for doc in tsf.documents(plan, max_phones=7)
            for r in client.send_document(doc["message"])
        ]
    assert {r["outcome"] for r in rows} == {"accepted"} and len(rows) == 30
