"""The fifth round's shortcuts in the documents' bytes give what the careful paths give:
groups kept when a later personal text splits nothing, a one-text field read from the
periodicity of its bytes, a batch's phones and ids taken from the joined column, texts
viewed as bytes, and the escape check on slices."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_encoding_slices import check

import targetsms_frames as tsf
from targetsms_frames import grouping
from targetsms_frames import json_pieces as J

HOSTILE = st.one_of(
    st.none(),
    st.text(st.sampled_from('ab"\\/\n\t\x00\x1fЫ😀0{} '), max_size=12),
    st.sampled_from(["", "Анна", '"q"', "\\", "😀😀", "x" * 200]),
)
# Two personal texts from two placeholders: rows that agree in the first may differ in
# the second (a split) or not, and either may be hashed first.
TWO = pd.DataFrame(
    {
        "template": ["v"],
        "send_viber": ["1"],
        "send_sms": ["2"],
        "sender_viber": ["Shop"],
        "text_viber": ["{a} viber"],
        "sender_sms": ["Shop"],
        "text_sms": ["{b} sms"],
    }
)
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    st.lists(st.tuples(st.sampled_from("xyz"), st.sampled_from("pq")), min_size=1, max_size=40),
    st.integers(1, 4),
    st.booleans(),
)
def test_a_later_personal_text_splits_groups_exactly_where_it_differs(pairs, max_phones, flip):
    people = pd.DataFrame(
        {
            "phone": [str(79801234000 + i) for i in range(len(pairs))],
            "template": "v",
            "a": [a for a, _ in pairs] if not flip else [b for _, b in pairs],
            "b": [b for _, b in pairs] if not flip else [a for a, _ in pairs],
        }
    )
    plan = tsf.plan(people, TWO, campaign="two")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grouping, "_is_personal", lambda values: True)
        check(plan, max_phones, [1, 2])


def test_a_second_text_that_splits_nothing_sorts_once_and_one_that_splits_sorts_again():
    # text_viber ({a}: 4 distinct) is hashed first; it leaves rows 0-1 and 4-5 together.
    a = ["1", "1", "2", "3", "4", "4"]
    for b, expected, sorts in (
        (["x", "x", "y", "y", "w", "w"], [0, 0, 1, 2, 3, 3], 1),  # the same within them
        (["x", "y", "y", "y", "w", "w"], [0, 1, 2, 3, 4, 4], 2),  # rows 0 and 1 differ
    ):
        people = pd.DataFrame(
            {"phone": [str(79801234000 + i) for i in range(6)], "template": "v", "a": a, "b": b}
        )
        plan = tsf.plan(people, TWO, campaign="two")
        calls: list = []
        real = grouping.numbered
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(grouping, "_is_personal", lambda values: True)
            patch.setattr(grouping, "_sample", lambda values: values)
            patch.setattr(
                grouping,
                "numbered",
                lambda keys, calls=calls, real=real: calls.append(1) or real(keys),
            )
            group, _ = grouping.message_groups(plan, np.arange(len(plan)))
        assert group.tolist() == expected
        assert len(calls) == sorts


@settings(max_examples=300, deadline=None)
@given(st.lists(HOSTILE, min_size=1, max_size=30), st.integers(0, 30), st.booleans())
def test_one_text_codes_equal_arrow_codes(values, cut, repeat):
    if repeat:  # one text (or missing): the case the shortcut takes
        values = [values[0] if v is not None else None for v in values]
    array = pa.array(values, pa.large_string())
    cut = min(cut, len(values))
    for texts in (array, pa.chunked_array([array.slice(0, cut), array.slice(cut)])):
        quick = grouping._one_text_codes(texts)
        codes, uniques = grouping._arrow_codes(texts)
        if quick is None:  # declined: more than one text, or none
            assert len(uniques) != 1
            continue
        assert quick[0].tolist() == codes.tolist()
        assert quick[1].to_pylist() == uniques.to_pylist()


def test_texts_of_one_length_that_differ_are_not_one_text():
    for values in (["ab", "ab", "ba"], ["abab", "abab", "abab", "baba"], ["aa", "aa", "ab"]):
        array = pa.array(values, pa.large_string())
        assert grouping._one_text_codes(array) is None
        assert grouping._one_text_codes(pa.chunked_array([array[:1], array[1:]])) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(HOSTILE, min_size=1, max_size=30), st.data())
def test_escapes_and_as_bytes_read_only_a_slice_own_bytes(values, data):
    start = data.draw(st.integers(0, len(values) - 1))
    size = data.draw(st.integers(0, len(values) - start))
    for kind in (pa.large_string(), pa.string()):
        array = pa.array(values, kind).slice(start, size)
        own = [v for v in values[start : start + size] if v is not None]
        assert J.escapes(array) == any(re.search(r'["\\\x00-\x1f]', v) for v in own)
        assert J.as_bytes(array).to_pylist() == array.cast(J.BYTES).to_pylist()
        assert J.as_bytes(array).type == J.BYTES


def test_a_plan_of_many_chunks_with_duplicates_in_other_chunks():
    """A batch's phones and ids are taken from the joined column: rows of one message
    far apart (other chunks) sit together in a block, a missing id is a JSON null."""
    n = 900
    people = pd.DataFrame(
        {
            "phone": [str(79801000000 + i) for i in range(n)],
            "template": "v",
            "a": [str(i % 350) for i in range(n)],  # rows i, i+350, i+700 share a message
            "b": [str(i % 350) for i in range(n)],
        }
    )
    plan = tsf.plan(people, TWO, campaign="chunks")
    parts = [plan.iloc[a:b] for a, b in ((0, 100), (100, 420), (420, 421), (421, n))]
    check(pd.concat(parts), 7, [1, 3, 10, 40])
    ids = plan["client_id_message"].to_numpy(dtype=object, na_value=None).copy()
    ids[[5, 355]] = None
    hand = plan.assign(client_id_message=pd.array(ids, dtype="str"))
    check(pd.concat([hand.iloc[:300], hand.iloc[300:]]), 50, [2])
