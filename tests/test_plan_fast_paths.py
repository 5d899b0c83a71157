"""The planner's column fast paths give exactly what the careful, one-value paths give."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from targetsms_frames import client_ids
from targetsms_frames import fields as F
from targetsms_frames._columns import Coded, blank, coded_texts, per_value, texts
from targetsms_frames.client_ids import content_keys, content_keys_of, digests
from targetsms_frames.digit_automaton import DigitAutomaton
from targetsms_frames.phones import (
    _national_patterns,
    _valid_ru,
    _valid_ru_array,
    _valid_ru_regex,
    normalize_phone,
    normalize_phone_column,
)
from targetsms_frames.segments import GSM_BASIC, GSM_EXTENSION, sms_parts, sms_parts_arrays

# Texts near the part boundaries, with extension characters and surrogate pairs.
CHARS = "".join(sorted(GSM_BASIC))[:20] + "".join(GSM_EXTENSION) + "ПрЫ😀\U0001f600é"
TEXTS = st.one_of(
    st.none(),
    st.text(st.sampled_from(CHARS), max_size=400),
    st.builds(lambda a, n: a * n, st.sampled_from(["a", "[", "€", "П", "😀"]), st.integers(0, 330)),
)


@given(st.lists(TEXTS, max_size=40))
@settings(max_examples=300, deadline=None)
def test_sms_parts_arrays_agree_with_sms_parts(values):
    encodings, parts = sms_parts_arrays(pa.array(values, pa.large_string()))
    expected = [sms_parts(v) if v is not None else (None, None) for v in values]
    assert list(zip(encodings.to_pylist(), parts.to_pylist(), strict=True)) == expected


CELLS = st.sampled_from(["a", "b", " ", "", "  x ", None, "Ы", "\u3000"])


@given(st.lists(CELLS, max_size=30), st.sampled_from(["str", object]))
@settings(max_examples=200, deadline=None)
def test_a_coded_column_reads_and_maps_like_its_values(cells, dtype):
    series = pd.Series(cells, dtype=dtype)
    coded, plain = coded_texts(series), texts(series)
    assert coded.array().tolist() == plain.tolist()
    assert [coded[i] for i in range(len(plain))] == plain.tolist()
    assert blank(coded).tolist() == blank(plain).tolist()
    assert pa.array(coded.array(), pa.large_string()).equals(coded.arrow())
    for rule in (lambda v: (v or "0").strip(), lambda v: v.upper() if v else None):
        assert per_value(coded, rule).array().tolist() == per_value(plain, rule).tolist()
    assert per_value(coded, bool, bool).tolist() == per_value(plain, bool, bool).tolist()
    other = Coded.of(np.array(["t"] * len(plain), dtype=object))
    mask = ~blank(plain)
    assert coded.where(mask, other).array().tolist() == np.where(mask, plain, "t").tolist()


PHONES = st.one_of(
    st.sampled_from(["79801234567", "8 (980) 123-45-67", "+7 980 123 45 67", "9801234567"]),
    st.sampled_from(["79801234567.0", "+8 980 1234567", "380442589632", "12", "", None, "x"]),
    st.text(st.sampled_from("0123456789 +-.()/78"), max_size=16),
)


@given(
    st.lists(PHONES, max_size=30), st.sampled_from(["str", object]), st.sampled_from(["RU", "UA"])
)
@settings(max_examples=200, deadline=None)
def test_the_phone_column_agrees_with_one_phone_at_a_time(phones, dtype, region):
    digits, problems = normalize_phone_column(pd.Series(phones, dtype=dtype), region)
    expected = [normalize_phone(p if p is not None else None, region) for p in phones]
    assert list(zip(digits.to_pylist(), problems.tolist(), strict=True)) == expected


# The phone rule as one automaton over the bytes: the same answers as the regexes.
NATIONAL_TEXT = st.one_of(
    st.text(st.sampled_from("0123456789"), min_size=10, max_size=10),
    st.builds(
        lambda p, r: (p + r)[:10],
        st.sampled_from(["930", "9300", "93000", "800", "336"]),
        st.text(st.sampled_from("0123456789"), min_size=10, max_size=10),
    ),
    st.text(st.sampled_from("0123456789a٣ \n"), max_size=12),
)


@given(st.lists(st.one_of(st.none(), NATIONAL_TEXT, NATIONAL_TEXT.map(lambda t: "7" + t))))
@settings(max_examples=300, deadline=None)
def test_the_phone_automaton_agrees_with_the_phone_regexes(cells):
    array = pa.array(cells, pa.large_string())
    for prefix in ("", "7"):
        expected = [
            c is not None and c.startswith(prefix) and _valid_ru(c[len(prefix) :]) for c in cells
        ]
        assert _valid_ru_array(array, prefix.encode()).tolist() == expected
        assert _valid_ru_regex(array, prefix).tolist() == expected
        assert _valid_ru_array(array.slice(1), prefix.encode()).tolist() == expected[1:]


@pytest.mark.parametrize("region", ["DE", "US", "GB", "UA", "KZ", "CN", "IN", "BR"])
@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_the_digit_automaton_is_the_regexes_for_every_region(region, data):
    length = data.draw(st.integers(6, 12))
    patterns = _national_patterns(region, length)
    if patterns is None:
        return
    rule = DigitAutomaton.compile(
        [(patterns[0], False), (patterns[1], True), (patterns[2], True)], length
    )
    assert rule is not None
    numbers = data.draw(
        st.lists(
            st.text(st.sampled_from("0123456789"), min_size=length, max_size=length),
            min_size=1,
            max_size=50,
        )
    )
    got = rule.matches(
        np.frombuffer("".join(numbers).encode(), np.uint8),
        np.arange(0, length * len(numbers), length),
    )
    expected = [
        bool(
            re.match(patterns[0], x)
            and re.fullmatch(patterns[1], x)
            and re.fullmatch(patterns[2], x)
        )
        for x in numbers
    ]
    assert got.tolist() == expected


def test_the_digit_automaton_refuses_what_it_does_not_understand():
    assert DigitAutomaton.compile([("(?=1)[0-9]", True)], 1) is None  # a lookahead
    assert DigitAutomaton.compile([("(?i)1", True)], 1) is None  # a flag
    assert DigitAutomaton.compile([("1*2+", True)], 4).matches(
        np.frombuffer(b"11212222x222", np.uint8), np.array([0, 4, 8])
    ).tolist() == [False, True, False]


FIELD_VALUES = st.sampled_from([None, "", "0", "1", "a\x1fb", "Привет", "x" * 30])


@st.composite
def key_columns(draw):
    """Plan columns as _plan builds them: per-row, coded (a template's) or empty."""
    n = draw(st.integers(1, 12))
    shared = np.array(draw(st.lists(st.integers(-1, 2), min_size=n, max_size=n)), dtype=np.intp)
    columns = {
        "phone": pa.array(draw(st.lists(FIELD_VALUES, min_size=n, max_size=n)), pa.large_string())
    }
    coded = {}
    legacy_only = draw(st.booleans())  # most campaigns: the newer channels' fields unused
    for field in F.MESSAGE_FIELDS:
        kind = draw(st.sampled_from(["empty", "coded", "shared", "rows"]))
        if legacy_only and field not in F.LEGACY_FIELDS:
            kind = "unused" if field in F.ORDER_FIELDS else "empty"
        if kind == "unused":  # an order field saying "not this channel"
            columns[field] = pa.array(
                draw(st.lists(st.sampled_from(["0", None]), min_size=n, max_size=n)),
                pa.large_string(),
            )
            if draw(st.booleans()):
                coded[field] = Coded(np.zeros(n, dtype=np.intp), np.array(["0"], dtype=object))
                columns[field] = coded[field].arrow()
            continue
        if kind == "empty":
            columns[field] = pa.nulls(n, pa.large_string())
        elif kind == "rows":
            cells = draw(st.lists(FIELD_VALUES, min_size=n, max_size=n))
            columns[field] = pa.array(cells, pa.large_string())
        else:
            uniques = np.array(draw(st.lists(FIELD_VALUES, min_size=3, max_size=3)), dtype=object)
            codes = (
                shared
                if kind == "shared"
                else np.array(
                    draw(st.lists(st.integers(-1, 2), min_size=n, max_size=n)), dtype=np.intp
                )
            )
            coded[field] = Coded(codes, uniques)
            columns[field] = coded[field].arrow()
    return columns, coded


@given(key_columns())
@settings(max_examples=300, deadline=None)
def test_content_keys_joined_by_runs_are_the_content_keys(case):
    columns, coded = case
    assert content_keys_of(columns, coded).equals(content_keys(columns))


@given(key_columns(), st.integers(1, 5))
@settings(max_examples=100, deadline=None)
def test_digests_a_few_rows_at_a_time_are_the_digests_of_the_content_keys(case, rows):
    columns, coded = case
    expected = digests("c", content_keys(columns))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(client_ids, "KEY_ROWS", rows)
        assert client_ids.row_digests("c", columns, coded).tolist() == expected.tolist()


@given(
    st.lists(st.sampled_from(["0", "1", "2", "абв", None]), min_size=1, max_size=40),
    st.data(),
)
@settings(max_examples=200, deadline=None)
def test_if_else_on_a_slice_is_if_else_on_its_values(values, data):
    # pyarrow 15-17 give NUL bytes here for a sliced string column; plans are sliced.
    from targetsms_frames.arrow_compat import if_else

    start = data.draw(st.integers(0, len(values) - 1))
    column = pa.array(values, pa.large_string()).slice(start)
    got = if_else(pc.equal(column, "0"), pa.scalar(None, pa.large_string()), column)
    assert got.to_pylist() == [None if v == "0" else v for v in values[start:]]
