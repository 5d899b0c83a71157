"""text_series tries Arrow's plain conversion first: the same Series as pandas' own
(of the package's text dtype: "str" on pandas 3, "string[pyarrow_numpy]" on pandas 2.2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from targetsms_frames._speed import TEXT_DTYPE, text_series

VALUE = st.one_of(
    st.text(max_size=6), st.none(), st.just(float("nan")), st.just(pd.NA), st.just(np.nan)
)


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUE, max_size=20), st.booleans())
def test_text_series_is_pandas_str_series(values, as_list):
    index = pd.RangeIndex(len(values))
    given_values = values if as_list else np.array(values, dtype=object)
    got = text_series(given_values, index)
    expected = pd.Series(np.array(values, dtype=object), index=index, dtype=TEXT_DTYPE)
    assert pd.api.types.is_string_dtype(got)
    pd.testing.assert_series_equal(got, expected)
