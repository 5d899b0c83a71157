"""The documents' bytes made a batch at a time equal the documents, whatever the batches:
against a plain Python reference (rows with the same message share a block, in order of
first appearance, max_phones a document), across every channel, personal and shared
fields, duplicates, chunked plan columns, and the exact path behind the hashed one."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames import fields as F
from targetsms_frames import grouping
from targetsms_frames.arrow_text import take, text_hashes
from targetsms_frames.documents import sendable
from targetsms_frames.encoding import Encoder, encode_documents
from targetsms_frames.template_data import as_object

TEMPLATES = pd.DataFrame(
    {
        "template": ["v", "s", "w", "k", "p"],
        "name_delivery": ["Promo", "{name}", None, "VK", "Promo"],
        "send_viber": ["1", "0", "0", "0", "1"],
        "send_sms": ["2", "1", "0", "2", "0"],
        "send_whatsapp": ["0", "0", "1", "0", "0"],
        "send_vk": ["0", "0", "0", "1", "0"],
        "sender_viber": ["Shop", None, None, None, "Shop"],
        "text_viber": ["{name}, скидка {code}", None, None, None, "Same for all"],
        "sender_sms": ["Shop", "Shop", None, "Shop", None],
        "text_sms": ["{name}: sale {code}", "Sale", None, "{name}", None],
        "sender_whatsapp": [None, None, "Shop", None, None],
        "text_whatsapp": [None, None, "Hi {name}", None, None],
        "templateId": [None, None, None, "100", None],
        "templateData": [None, None, None, '{"Name": "{name}", "n": 5, "c": "{code}"}', None],
    }
)
NAMES = ["Анна", 'Bo"b', "C\\d", "Tab\there", "Ann", "😀", "", "Kate"]


def reference(plan: pd.DataFrame, max_phones: int) -> list[dict]:
    """The documents, made the plain way: one dict per row, grouped by a dict."""
    groups: dict[tuple, list[int]] = {}
    for i in np.flatnonzero(sendable(plan)).tolist():
        row = plan.iloc[i]
        key = tuple(
            ("NA" if pd.isna(row[f]) else row[f])
            if f in F.ORDER_FIELDS
            else (None if pd.isna(row[f]) or row[f] == "" else row[f])
            for f in F.MESSAGE_FIELDS
        )
        groups.setdefault(key, []).append(i)
    rows = [(key, i) for key, members in groups.items() for i in members]
    phones = plan["phone"].to_numpy(dtype=object, na_value=None)
    client_ids = plan["client_id_message"].to_numpy(dtype=object, na_value=None)
    documents = []
    for start in range(0, len(rows), max_phones):
        blocks: list[dict] = []
        last = None
        for key, i in rows[start : start + max_phones]:
            phone = {"phone": phones[i], "client_id_message": client_ids[i]}
            if key == last:
                blocks[-1]["phones"].append(phone)
                continue
            block: dict = {}
            for f, v in zip(F.MESSAGE_FIELDS, key, strict=True):
                if f in F.ORDER_FIELDS:
                    block[f] = "0" if v in ("NA", "") else v
                elif v is not None:
                    block[f] = as_object(v) if f == "templateData" else v
            block["phones"] = [phone]
            blocks.append(block)
            last = key
        documents.append({"message": blocks})
    return documents


def dumped(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@st.composite
def plans(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 30))
    people = pd.DataFrame(
        {
            # few distinct phones and names: duplicate rows and shared messages
            "phone": [str(79801234000 + draw(st.integers(0, 40))) for _ in range(n)],
            "name": [draw(st.sampled_from(NAMES)) for _ in range(n)],
            "code": [str(draw(st.integers(0, 3))) for _ in range(n)],
            "template": [draw(st.sampled_from(TEMPLATES["template"].tolist())) for _ in range(n)],
        }
    )
    plan = tsf.plan(people, TEMPLATES, campaign="slices")
    cut = draw(st.integers(0, n))
    if draw(st.booleans()) and 0 < cut < n:  # columns of two Arrow chunks, as concat makes
        plan = pd.concat([plan.iloc[:cut], plan.iloc[cut:]])
    return plan


def encoded_in_batches(encoder: Encoder, cuts: list[int]) -> list:
    spans = sorted({0, len(encoder), *(c % (len(encoder) + 1) for c in cuts)})
    return [doc for d0, d1 in itertools.pairwise(spans) for doc in encoder.encode(d0, d1)]


def check(plan: pd.DataFrame, max_phones: int, cuts: list[int]) -> None:
    expected = reference(plan, max_phones)
    assert tsf.documents(plan, max_phones=max_phones) == expected
    whole = list(encode_documents(plan, max_phones=max_phones))
    assert [d.payload for d in whole] == [dumped(d) for d in expected]
    encoder = Encoder.of(plan, max_phones=max_phones)
    batches = encoded_in_batches(encoder, cuts) if encoder is not None else []
    assert len(batches) == len(whole)
    for one, other, doc in zip(batches, whole, expected, strict=True):
        assert one.payload == other.payload
        assert one.rows.tolist() == other.rows.tolist()
        assert (one.client_ids, one.phones, one.names, one.sizes) == (
            other.client_ids,
            other.phones,
            other.names,
            other.sizes,
        )
        posted = [p for b in doc["message"] for p in b["phones"]]
        assert one.phones == [p["phone"] for p in posted]
        assert one.client_ids == [p["client_id_message"] for p in posted]
        assert one.sizes == [len(b["phones"]) for b in doc["message"]]
        assert one.names == [
            b.get("name_delivery", "") for b in doc["message"] for _ in b["phones"]
        ]


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(plans(), st.integers(1, 5), st.lists(st.integers(0, 40), max_size=4))
def test_batches_of_any_size_give_the_documents(plan, max_phones, cuts):
    check(plan, max_phones, cuts)


@SETTINGS
@given(plans(), st.integers(1, 4), st.booleans())
def test_hashed_and_coded_personal_texts_give_the_same_documents(plan, max_phones, personal):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grouping, "_is_personal", lambda values: personal)
        check(plan, max_phones, [1, 2])


@SETTINGS
@given(plans(), st.integers(1, 4))
def test_colliding_hashes_fall_back_to_exact_groups(plan, max_phones):
    with pytest.MonkeyPatch.context() as patch:  # every text the same hash: all collide
        patch.setattr(grouping, "_is_personal", lambda values: True)
        patch.setattr(grouping, "text_hashes", lambda values: np.zeros(len(values), np.uint64))
        check(plan, max_phones, [3])


def test_a_big_personal_campaign_in_many_batches():
    n = 3000
    rng = np.random.default_rng(5)
    people = pd.DataFrame(
        {
            "phone": [str(79801000000 + i) for i in range(n)],
            "name": rng.choice(NAMES, n),
            "code": rng.integers(0, 300, n).astype(str),  # some messages repeat
            "template": rng.choice(["v", "s", "k", "p"], n),
        }
    )
    plan = tsf.plan(people, TEMPLATES, campaign="big")
    check(pd.concat([plan.iloc[:1234], plan.iloc[1234:]]), 100, [1, 5, 6, 17, 29])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=60), st.integers(0, 60))
def test_text_hashes_agree_whatever_the_chunks(texts, cut):
    import pyarrow as pa

    values = pa.array(texts, pa.large_string())
    hashes = text_hashes(values)
    cut = min(cut, len(texts))
    chunked = pa.chunked_array([values.slice(0, cut), values.slice(cut)], pa.large_string())
    assert (text_hashes(chunked) == hashes).all()
    by_text: dict = {}
    for text, h in zip(texts, hashes.tolist(), strict=True):
        by_text.setdefault(text or "", set()).add(h)
    assert all(len(h) == 1 for h in by_text.values())  # equal texts, equal hashes
    assert (hashes[[not t for t in texts]] == 0).all()  # missing and empty alike
    rows = np.arange(len(texts))[::-1].copy()
    assert take(chunked, rows).to_pylist() == texts[::-1]


def test_phones_and_client_ids_that_need_json_literals():
    """A hand-made plan: a null client id, a phone with a quote (written as JSON has them)."""
    people = pd.DataFrame(
        {"phone": [str(79801234000 + i) for i in range(6)], "name": "A", "code": "1"}
    )
    plan = tsf.plan(people.assign(template=["v", "v", "s", "s", "p", "p"]), TEMPLATES, campaign="x")
    plan.loc[1, "client_id_message"] = None
    plan.loc[2, "phone"] = '7980"12\\34'
    for max_phones in (1, 2, 4):
        check(plan, max_phones, [1, 2])


@SETTINGS
@given(plans(), st.integers(1, 4), st.data())
def test_rows_with_problems_are_left_out_whatever_they_hold(plan, max_phones, data):
    """Fields are coded on whole columns when most rows are sent (then selected): a
    row with a problem, whatever its fields hold, changes neither blocks nor bytes."""
    n = len(plan)
    bad = data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=max(n // 3, 1)))
    plan = plan.copy()
    junk = data.draw(st.sampled_from(["{not json", "", "Same for all", None]))
    for i in sorted(set(bad) & set(range(n))):
        plan.iloc[i, plan.columns.get_loc("problem")] = "made up for the test"
        for f in ("templateData", "text_viber", "send_sms", "name_delivery"):
            plan.iloc[i, plan.columns.get_loc(f)] = junk
    check(plan, max_phones, [1, 2])
    people = sendable(plan)
    if people.any():  # the same documents from a mask, through either way of coding
        mask = people & (np.arange(n) % 2 == 0)
        expected = reference(plan[mask | ~people], max_phones)
        got = list(encode_documents(plan, max_phones=max_phones, rows=mask))
        assert [d.payload for d in got] == [dumped(d) for d in expected]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=8)), max_size=30),
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(0, 30),
)
def test_rows_that_run_on_are_a_slice_and_escapes_read_only_its_bytes(texts, cut, start, size):
    """A run of rows is taken as a slice (a view, across chunks too); whether it needs a
    JSON escape is read from its own bytes, not from the whole column's."""
    import pyarrow as pa

    from targetsms_frames.json_pieces import escapes

    values = pa.array(texts, pa.large_string())
    cut, start = min(cut, len(texts)), min(start, len(texts))
    size = min(size, len(texts) - start)
    chunked = pa.chunked_array([values.slice(0, cut), values.slice(cut)], pa.large_string())
    rows = np.arange(start, start + size)
    for column in (values, chunked):
        got = take(column, rows)
        assert got.to_pylist() == texts[start : start + size]
        bad = any(c in '"\\' or ord(c) < 0x20 for t in texts[start : start + size] if t for c in t)
        assert escapes(got) == bad
        assert escapes(got.cast(pa.large_binary())) == bad


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=6)), min_size=1, max_size=40),
    st.integers(0, 40),
    st.lists(st.integers(0, 39), max_size=30),
)
def test_a_window_and_its_indices_give_the_rows(texts, cut, picks):
    """window(): a slice from the first row for twice the rows, the rest taken; read
    through its indices it is the rows' texts, whatever the rows and the chunks."""
    import pyarrow as pa

    from targetsms_frames.arrow_text import window

    values = pa.array(texts, pa.large_string())
    cut = min(cut, len(texts))
    chunked = pa.chunked_array([values.slice(0, cut), values.slice(cut)], pa.large_string())
    rows = np.array([p % len(texts) for p in picks], dtype=np.int64)
    for column in (values, chunked):
        array, at = window(column, rows.copy())
        assert array.take(pa.array(at, pa.int64())).to_pylist() == [texts[r] for r in rows]
