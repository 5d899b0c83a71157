"""Round 3 fast paths (issue 14) give exactly what the careful, one-row paths give.

Hostile values throughout: quotes, backslashes, emoji (astral characters), non-ASCII
digits, empty and missing values, duplicates, multi-chunk columns and slices.
"""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames.arrow_text import concat_rows

HOSTILE = st.one_of(
    st.none(),
    st.text(st.sampled_from('ab"\\/\n\tЫ😀٣0{}é '), max_size=12),
    st.sampled_from(["", "Анна", '"q"', "\\", "😀😀", "١٢٣", "x" * 200]),
)


@given(st.lists(HOSTILE, min_size=1, max_size=30), st.data())
@settings(max_examples=300, deadline=None)
def test_rows_made_of_pieces_are_the_pieces_joined(values, data):
    pieces = pa.array(values, pa.large_string())
    start = data.draw(st.integers(0, len(values) - 1))
    pieces = pieces.slice(start)  # an offset into the buffers, as a plan's slices have
    counts = np.array(data.draw(st.lists(st.integers(0, 4), max_size=12)), dtype=np.int64)
    at = np.array(
        data.draw(
            st.lists(
                st.integers(0, len(pieces) - 1),
                min_size=int(counts.sum()),
                max_size=int(counts.sum()),
            )
        ),
        dtype=np.int64,
    )
    got = concat_rows(pieces, at, counts).to_pylist()
    cells = pieces.to_pylist()
    expected, k = [], 0
    for c in counts.tolist():
        expected.append("".join(cells[i] or "" for i in at[k : k + c]) if c else None)
        k += c
    assert got == expected


TEMPLATE_TEXTS = st.sampled_from(
    [
        "{name}, скидка {discount}% по коду {code}!",
        '"{code}" \\ {name}',
        "{name}{code}",
        "😀{discount}",
        "plain {{braces}} only",
        "no placeholders",
        "{name} and {missing_column}",
        "{name:>5}|{code!r}",
        "{broken",
        "",
    ]
)


def _expected_text(template, row):
    """One row's text rendered in Python (None where it cannot be)."""
    if not template:
        return None
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return None
    out = []
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        value = row.get(name)
        if value is None or value == "":
            return None
        value = {"r": repr, "a": ascii}.get(conversion or "s", str)(value)
        out.append(format(value, spec or ""))
    return "".join(out) or None


@given(
    st.lists(st.tuples(HOSTILE, HOSTILE, HOSTILE, st.integers(0, 2)), min_size=1, max_size=25),
    st.lists(TEMPLATE_TEXTS, min_size=3, max_size=3),
    st.integers(1, 4),
    st.integers(0, 3),
)
@settings(max_examples=150, deadline=None)
def test_rendered_texts_are_each_rows_text_formatted_in_python(rows, texts, chunks, skip):
    names, discounts, codes, which = zip(*rows, strict=True)
    n = len(rows)
    templates = pd.DataFrame(
        {
            "template": ["a", "b", "c"],
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": texts,
            "send_viber": "1",
            "sender_viber": "Shop",
            "text_viber": list(reversed(texts)),
        }
    )
    phones = [f"7980{1000000 + i}" for i in range(n + skip)]
    table = pa.table(
        {
            "phone": pa.chunked_array(np.array_split(np.array(phones, dtype=object), chunks)),
            "template": ["abc"[w] for w in which] + ["a"] * skip,
            # Typed: a column of None alone would be Arrow's null type, which pandas 2.2
            # cannot read as text.
            "name": pa.array([*names, *["x"] * skip], pa.large_string()),
            "discount": pa.array([*discounts, *["1"] * skip], pa.large_string()),
            "code": pa.array([*codes, *["c"] * skip], pa.large_string()),
        }
    )
    # Arrow-backed text columns, several chunks, and a slice of a larger frame.
    frame = table.to_pandas(types_mapper=lambda t: pd.StringDtype("pyarrow")).iloc[skip:]
    plan = tsf.plan(frame, templates, campaign="c")
    for field in ("text_sms", "text_viber"):
        for k, (_, row) in enumerate(frame.iterrows()):
            template = templates[field].iloc["abc".index(row["template"])]
            cells = {c: None if pd.isna(row[c]) else row[c] for c in ("name", "discount", "code")}
            expected = _expected_text(template, cells)
            got = plan[field].iloc[k]
            got = None if pd.isna(got) else got
            if expected is None:
                # A row that cannot be rendered has a problem naming the field (or no text).
                assert got is None or got == template or field in str(plan["problem"].iloc[k])
            else:
                assert got == expected, (field, template, dict(row))


@given(st.lists(st.integers(0, 2**64 - 1) | st.sampled_from([0, 1, 2**63, 2**20, 2**20 + 1])))
@settings(max_examples=300, deadline=None)
def test_numbered_keys_are_the_keys_factorized(keys):
    from targetsms_frames.seen import numbered

    keys = np.array(keys, dtype=np.uint64)
    assert numbered(keys).tolist() == pd.factorize(keys)[0].tolist()


GSM_AND_NOT = st.text(
    st.sampled_from("aZ09 @£$¥èéùìòÇ\nØøΔ_ΦΓ€^{}[]~|\x0c`\x7f\\Пр😀— é\u00a0¤§¿ÄÖÑÜàßÉΞ\t\r\x00"),
    max_size=12,
)


@given(st.lists(st.none() | GSM_AND_NOT, max_size=30), st.integers(0, 3), st.integers(1, 3))
@settings(max_examples=300, deadline=None)
def test_not_gsm_by_bytes_is_not_gsm_by_search(values, skip, chunks):
    from targetsms_frames.segments import _searched, encoding, not_gsm

    array = pa.array([*["x"] * skip, *values], pa.large_string()).slice(skip)
    pieces = np.array_split(np.arange(len(values)), chunks)
    chunked = pa.chunked_array(
        [array.slice(int(p[0]), len(p)) for p in pieces if len(p)], pa.large_string()
    )
    expected = [v is not None and encoding(v) == "UCS-2" for v in values]
    assert not_gsm(array).tolist() == expected
    assert not_gsm(chunked).tolist() == expected
    assert _searched(array).tolist() == expected
    assert not_gsm(array.cast(pa.string())).tolist() == expected


@given(st.lists(HOSTILE, max_size=30), st.integers(0, 3), st.integers(1, 3))
@settings(max_examples=200, deadline=None)
def test_present_from_offsets_is_a_nonempty_text(values, skip, chunks):
    import pyarrow.compute as pc

    from targetsms_frames.grouping import _present

    array = pa.array([*["x"] * skip, *values], pa.large_string()).slice(skip)
    pieces = np.array_split(np.arange(len(values)), chunks)
    chunked = pa.chunked_array(
        [array.slice(int(p[0]), len(p)) for p in pieces if len(p)], pa.large_string()
    )
    expected = np.asarray(pc.binary_length(array).fill_null(0)) > 0
    assert _present(array).tolist() == expected.tolist()
    assert _present(chunked).tolist() == expected.tolist()
    assert _present(array.cast(pa.string())).tolist() == expected.tolist()


@given(st.lists(HOSTILE, min_size=1, max_size=40), st.data(), st.integers(1, 3))
@settings(max_examples=300, deadline=None)
def test_a_batch_read_near_its_rows_is_its_rows(values, data, chunks):
    from targetsms_frames.arrow_text import window

    array = pa.array(values, pa.large_string())
    pieces = np.array_split(np.arange(len(values)), chunks)
    chunked = pa.chunked_array(
        [array.slice(int(p[0]), len(p)) for p in pieces if len(p)], pa.large_string()
    )
    # Rows as a batch has them: a run in plan order, with some later rows among them.
    run = sorted(data.draw(st.sets(st.integers(0, len(values) - 1), min_size=1)))
    later = data.draw(st.lists(st.integers(0, len(values) - 1), max_size=5))
    rows = np.array(run + later, dtype=np.int64)
    for column in (array, chunked):
        got, at = window(column, rows.copy())
        assert got.take(pa.array(at)).to_pylist() == [values[i] for i in rows.tolist()]
