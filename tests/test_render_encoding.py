"""Rendering tells each SMS text's encoding: exactly what searching the rendered text tells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames._columns import Problems
from targetsms_frames.rendering import render
from targetsms_frames.segments import encoding, not_gsm, sms_parts_arrays

# Literals and values: GSM basic and extension characters, Cyrillic, beyond the BMP.
PIECE = st.text(st.sampled_from("ab 1[€ПЖ😀é`\n"), max_size=6)
VALUE = st.one_of(st.none(), PIECE, st.sampled_from(["7", "2.5", "x"]))
PLACEHOLDER = st.sampled_from(["{a}", "{b}", "{a:>3}", "{b!r}", "{a:.1f}", "{c}"])


@st.composite
def campaigns(draw):
    n = draw(st.integers(1, 12))
    templates = draw(
        st.lists(
            st.lists(st.one_of(PIECE, PLACEHOLDER), min_size=1, max_size=5).map("".join),
            min_size=1,
            max_size=3,
        )
    )
    texts = np.array(
        [draw(st.one_of(st.none(), st.sampled_from(templates))) for _ in range(n)], dtype=object
    )
    columns = {name: [draw(VALUE) for _ in range(n)] for name in ("a", "b")}
    return texts, pd.DataFrame(columns, dtype="str")


@given(campaigns())
@settings(max_examples=300, deadline=None)
def test_the_encoding_from_rendering_is_the_searched_encoding(case):
    texts, recipients = case
    values = {"text_sms": texts.copy()}
    ucs: dict[str, np.ndarray] = {}
    render(values, recipients, Problems(len(texts)), {"text_sms"}, ucs)
    if "text_sms" not in ucs:
        return  # not rendered wholly in Arrow: the encoding is searched for as before
    rendered = pa.array(values["text_sms"], pa.large_string())
    valid = np.asarray(rendered.is_valid(), dtype=bool)
    assert ucs["text_sms"][valid].tolist() == not_gsm(rendered)[valid].tolist()
    fast = sms_parts_arrays(rendered, ucs["text_sms"])
    careful = sms_parts_arrays(rendered)
    assert fast[0].equals(careful[0]) and fast[1].equals(careful[1])


@given(st.lists(st.sampled_from(["Anna", "Анна", "J€", "😀", "", None]), min_size=1, max_size=20))
@settings(max_examples=100, deadline=None)
def test_planned_sms_encodings_are_the_texts_encodings(names):
    templates = pd.DataFrame(
        {
            "template": ["latin", "cyrillic"],
            "send_sms": ["1", "1"],
            "sender_sms": ["Shop", "Shop"],
            "text_sms": ["Dear {name} [x]", "{name}, скидка"],
        }
    )
    people = pd.DataFrame(
        {
            "phone": [f"7980{i:07d}" for i in range(len(names))],
            "name": pd.array(names, dtype="str"),
            "template": [("latin", "cyrillic")[i % 2] for i in range(len(names))],
        }
    )
    plan = tsf.plan(people, templates, campaign="encodings")
    for text, found in zip(plan["text_sms"], plan["sms_encoding"], strict=True):
        if isinstance(text, str):
            assert found == encoding(text)
        else:
            assert pd.isna(found)
