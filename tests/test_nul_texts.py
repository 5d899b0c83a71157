"""Texts that are equal up to a NUL character stay apart (pandas 2 hashed object strings
as C strings, so such rows showed, and were keyed by, another row's text)."""

from __future__ import annotations

import pandas as pd

import targetsms_frames as tsf


def test_each_problem_row_keeps_its_own_text_and_id():
    texts = ["Hi\x001", "Hi\x002", "Hi", "Hi\x00\x003", "Hi\x001"]
    people = pd.DataFrame(
        {
            "phone": [str(79801234500 + i) for i in range(len(texts))],
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": texts,
        }
    )
    plan = tsf.plan(people, campaign="c")
    assert plan["text_sms"].tolist() == texts
    with_nul = [i for i, t in enumerate(texts) if "\0" in t]
    assert plan["problem"].iloc[with_nul].str.contains("control character").all()
    assert plan["problem"].iloc[2] is pd.NA or pd.isna(plan["problem"].iloc[2])
    assert plan["client_id_message"].nunique() == len(texts)
