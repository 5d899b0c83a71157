"""Round 5's fast paths give what the careful ones give (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from targetsms_frames import seen

# The inverse of seen's odd multiplier mod 2**64: keys made from it are mixed to chosen values.
_UNMIX = pow(int(seen._MIX), -1, 2**64)


def _keys_mixed_to(values: list[int]) -> np.ndarray:
    return np.array([(v * _UNMIX) % 2**64 for v in values], dtype=np.uint64)


@settings(max_examples=400, deadline=None)
@given(
    high=st.lists(st.integers(0, 7), min_size=1, max_size=40),
    low=st.lists(st.integers(0, 63), min_size=40, max_size=40),
    spread=st.sampled_from([0, 6, 40, 58]),
)
def test_numbered_when_keys_differ_in_the_packed_bits_alone(high, low, spread):
    # Mixed keys that share their high bits but differ in the bits numbered takes for
    # positions (and, with spread 58, keys differing in their high bits alone): the quick
    # "all distinct" answer must be given only when it is true.
    mixed = [(h << spread) | low[i] for i, h in enumerate(high)]
    keys = _keys_mixed_to(mixed)
    assert (seen._mixed(keys).tolist()) == mixed
    assert seen.numbered(keys).tolist() == pd.factorize(keys)[0].tolist()
    assert seen.stable_order(keys).tolist() == np.argsort(keys, kind="stable").tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=0, max_size=300), st.booleans())
def test_numbered_of_many_keys_is_factorize(keys, repeat):
    if repeat and keys:
        keys = keys + keys[: len(keys) // 2]
    array = np.array(keys, dtype=np.uint64)
    assert seen.numbered(array).tolist() == pd.factorize(array)[0].tolist()
