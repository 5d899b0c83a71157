"""Round 4's fast paths give what the careful ones give (hypothesis)."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import targetsms_frames.grouping  # noqa: F401  (the module, not the package's function)
from targetsms_frames.seen import numbered

G = sys.modules["targetsms_frames.grouping"]

one_of_few = st.sampled_from([None, "", "Shop", "Магазин", "Shop ", "ab\x00", "x" * 300])


@settings(max_examples=400, deadline=None)
@given(
    values=st.lists(one_of_few, max_size=60),
    same=st.booleans(),
    cuts=st.lists(st.integers(0, 60), max_size=4),
    skip=st.integers(0, 3),
    large=st.booleans(),
)
def test_one_text_codes_equal_arrows(values, same, cuts, skip, large):
    # Often one text and missing ones (the fast path's case), else anything: the codes
    # and dictionary are Arrow's, whatever the chunks, slices and offsets.
    if same and values:
        text = next((v for v in values if v is not None), "Shop")
        values = [None if v is None else text for v in values]
    kind = pa.large_string() if large else pa.string()
    array = pa.array(["pad"] * skip + values, kind).slice(skip)
    bounds = sorted({0, len(values), *(min(c, len(values)) for c in cuts)})
    chunked = pa.chunked_array(
        [array.slice(a, b - a) for a, b in itertools.pairwise(bounds)] or [array],
        kind,
    )
    for column in (array, chunked):
        fast = G._dictionary_codes(column)
        careful = G._arrow_codes(column)
        assert fast[0].dtype == careful[0].dtype == np.int32
        assert fast[0].tolist() == careful[0].tolist()
        assert fast[1].equals(careful[1])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=50), st.booleans())
def test_numbered_of_distinct_keys_is_their_order(keys, distinct):
    keys = list(dict.fromkeys(keys)) if distinct else keys
    array = np.array(keys, dtype=np.uint64)
    expected = {}
    assert numbered(array).tolist() == [expected.setdefault(k, len(expected)) for k in keys]


def test_a_missing_text_that_keeps_bytes_is_left_to_arrow():
    # Arrow lets a missing slot keep bytes ("Shop" under a null here): not the fast case.
    offsets = pa.py_buffer(np.array([0, 4, 8], dtype=np.int32).tobytes())
    validity = pa.py_buffer(np.packbits([1, 0], bitorder="little").tobytes())
    array = pa.Array.from_buffers(pa.string(), 2, [validity, offsets, pa.py_buffer(b"ShopShop")])
    assert G._one_text_codes(array) is None
    assert G._dictionary_codes(array)[0].tolist() == [0, -1]
