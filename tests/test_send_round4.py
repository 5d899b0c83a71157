"""Round 4 fast paths of send, each against the careful path it stands in for."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from targetsms_frames.send_checks import _distinct_numbers

DIGITS = st.from_regex(r"[0-9]{1,19}", fullmatch=True)
TEXTS = st.one_of(DIGITS, st.sampled_from(["07", "7", "+7", "-7", " 7", "", "x", "1e3"]))


@settings(max_examples=500, deadline=None)
@given(st.lists(TEXTS, max_size=12), st.booleans())
def test_distinct_numbers_says_distinct_only_of_distinct_texts(texts, large):
    array = pa.array(texts, pa.large_string() if large else pa.string())
    if _distinct_numbers(array):
        assert len(set(texts)) == len(texts)
    if len(set(texts)) == len(texts) and all(t.isdigit() and len(t) <= 18 for t in texts):
        # Digit ids of up to 18 digits, no two the same number: the sort decides.
        numbers = [int(t) for t in texts]
        assert _distinct_numbers(array) == (len(set(numbers)) == len(numbers))


def test_distinct_numbers_over_chunks():
    chunks = pa.chunked_array([pa.array(["1", "2"]), pa.array(["3"]), pa.array(["2"])])
    assert not _distinct_numbers(chunks)
    assert _distinct_numbers(chunks[:3])
