"""The second round's fast paths against the careful ones they replace."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from targetsms_frames.answer_columns import _digits
from targetsms_frames.sending import _scatter
from targetsms_frames.sent_frames import empty_columns


def careful_digits(values, width: int) -> bool:
    """Every value a str of 1..width ASCII digits, one value at a time."""
    return bool(values) and all(
        isinstance(v, str) and 1 <= len(v) <= width and all(c in "0123456789" for c in v)
        for v in values
    )


_TEXT = st.text(alphabet=st.sampled_from("0123456789,٣ a\n"), max_size=24)
_VALUE = st.one_of(_TEXT, st.from_regex(r"[0-9]{1,22}", fullmatch=True), st.none(), st.integers())


@settings(max_examples=400, deadline=None)
@given(st.lists(_VALUE, max_size=8), st.sampled_from([3, 18, 20]))
def test_digits_agrees_with_the_careful_check(values, width):
    assert _digits(values, width) == careful_digits(values, width)
    assert _digits(tuple(values), width) == careful_digits(values, width)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_scatter_puts_each_value_at_its_row(data):
    n = data.draw(st.integers(0, 12))
    rows = data.draw(st.permutations(range(n)))
    cut = data.draw(st.integers(0, n))  # some rows may have no answer
    rows = rows[:cut]
    sizes = data.draw(st.lists(st.integers(1, 3), max_size=len(rows)))
    spans, start = [], 0
    for size in sizes:
        if start < len(rows):
            spans.append(np.array(rows[start : start + size], dtype=np.int64))
            start += size
    if start < len(rows):
        spans.append(np.array(rows[start:], dtype=np.int64))
    taken = [r for span in spans for r in span.tolist()]
    values = {
        "id_message": [str(r) for r in taken],
        "count_message": [r % 3 or None for r in taken],
        "error": [(r,) if r % 2 else None for r in taken],  # a tuple stays one value
    }
    new, has_new = empty_columns(n), np.zeros(n, dtype=bool)
    _scatter(new, has_new, spans, values)
    expected = empty_columns(n)
    for name, column in values.items():
        for row, value in zip(taken, column, strict=True):
            expected[name][row] = value
    for name in expected:
        assert new[name].tolist() == expected[name].tolist(), name
        assert new[name].dtype == object and len(new[name]) == n
    assert has_new.tolist() == [i in set(taken) for i in range(n)]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(-(2**63), 2**63 - 1),
            st.integers(0, 999),
            st.integers(),
            st.booleans(),
            st.floats(allow_nan=True),
        ),
        max_size=8,
    )
)
def test_int64_column_agrees_with_pandas(values):
    import pandas as pd

    from targetsms_frames.sent_frames import _int64

    array = np.array([*values, None], dtype=object)[:-1]  # an object array, whatever in it
    index = pd.RangeIndex(len(values)) + 5
    try:
        expected = pd.Series(array, index=index, dtype="Int64")
    except (TypeError, ValueError, OverflowError) as exc:
        try:
            _int64(array, index)
        except type(exc):
            return
        raise AssertionError("the fast path took what pandas refuses") from exc
    got = _int64(array, index)
    assert got.dtype == "Int64" and got.index.equals(index)
    assert got.equals(expected)
