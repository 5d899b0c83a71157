"""The bulk path's helpers give what the plain Python they stand for gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from targetsms_frames.sandbox.replies import _digits, _text
from targetsms_frames.sandbox.shapes import scatter, take


@given(
    start=st.integers(1000, 10**12),
    size=st.integers(0, 3000),
    step=st.integers(1, 5),
)
def test_the_text_of_a_range_is_each_number_as_str(start, size, step):
    numbers = range(start, start + size * step, step)
    thousands, last3 = _digits(numbers)
    assert [a + b for a, b in zip(thousands, last3, strict=True)] == list(map(str, numbers))


@given(start=st.integers(0, 1200), size=st.integers(0, 50))
def test_small_numbers_are_text_too(start, size):
    numbers = range(start, start + size)
    assert [a + b for a, b in zip(*_text(numbers), strict=True)] == list(map(str, numbers))


@given(st.lists(st.integers(), min_size=1, max_size=50), st.data())
def test_take_and_scatter_are_indexing(values, data):
    where = data.draw(st.lists(st.integers(0, len(values) - 1), max_size=60))
    assert take(values, where) == [values[i] for i in where]
    out = [None] * len(values)
    expected = list(out)
    scatter(out, where, range(len(where)))
    for k, i in enumerate(where):
        expected[i] = k
    assert out == expected
