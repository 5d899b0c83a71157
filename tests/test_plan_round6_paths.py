"""Round 6 plan paths (issue 14) give exactly what the plain ones give.

Rendered pieces gathered with a filler value; seen's prefix
bits and its merges past sixteen runs; one padding of keys for every hash.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from test_plan_chunks import KEYS, added_with_first_positions

from targetsms_frames import content_hash as H
from targetsms_frames import text_pieces as TP
from targetsms_frames.seen import Prefixes, SortedRuns, _mixed

TEXTS = st.one_of(
    st.none(),
    st.text(st.sampled_from('ab"\\Ы😀٣0{} '), max_size=8),
    st.sampled_from(["", "Анна", "x" * 120]),
)


@st.composite
def joins(draw):
    """Rows of ``n`` split into groups, each with pieces: literals and (array, positions)."""
    n = draw(st.integers(1, 30))
    sources = [
        pa.array(draw(st.lists(TEXTS, min_size=1, max_size=40)), pa.large_string())
        for _ in range(draw(st.integers(1, 4)))
    ]
    # A slice: an offset into the buffers, as a plan's columns have.
    sources = [s.slice(draw(st.integers(0, len(s) - 1))) for s in sources]
    rows = np.array(sorted(draw(st.sets(st.integers(0, n - 1), min_size=1))), dtype=np.int64)
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(rows) - 1)), max_size=3)))
    out = []
    for group in np.split(rows, cuts):
        if not len(group):
            continue
        pieces: list = []
        for _ in range(draw(st.integers(1, 6))):
            if draw(st.booleans()):
                pieces.append(draw(st.sampled_from(["", ", ", "Привет ", "😀", "{x}"])))
            else:
                source = draw(st.sampled_from(sources))
                at = draw(
                    st.lists(
                        st.integers(0, len(source) - 1), min_size=len(group), max_size=len(group)
                    )
                )
                pieces.append((source, np.array(at, dtype=np.int64)))
        if all(isinstance(p, str) for p in pieces):
            pieces.append((sources[0], np.zeros(len(group), dtype=np.int64)))
        out.append((group, pieces))
    return n, out


def _expected(n: int, joins: list) -> list:
    texts: list = [None] * n
    for rows, pieces in joins:
        for k, row in enumerate(rows.tolist()):
            texts[row] = "".join(
                p if isinstance(p, str) else (p[0][int(p[1][k])].as_py() or "") for p in pieces
            )
    return texts


@given(joins())
@settings(max_examples=300, deadline=None)
def test_gathered_texts_are_their_pieces_joined(case):
    n, groups = case
    assert TP.gathered(n, groups).to_pylist() == _expected(n, groups)


@given(st.lists(TEXTS, min_size=1, max_size=30), st.data())
@settings(max_examples=200, deadline=None)
def test_the_filler_leaves_what_is_taken_alone(values, data):
    array = pa.array(values, pa.large_string())
    at = np.array(data.draw(st.lists(st.integers(0, len(values) - 1), max_size=50)), dtype=np.int64)
    lengths = TP._lengths(array)
    filler = TP._filler(lengths, at, len(at))
    assert sum(len(f) for f in filler) <= max(1, len(at))  # never more than the indices
    pool = pa.concat_arrays([array, *filler])
    assert pool.take(pa.array(at, pa.int64())).to_pylist() == [values[i] for i in at.tolist()]
    # The pool's mean length times the indices covers the bytes taken: never regrown.
    need = int(lengths[at].sum()) if len(at) else 0
    offsets = np.frombuffer(pool.buffers()[1], dtype=np.int64)[: len(pool) + 1]
    reserved = int((offsets[-1] - offsets[0]) / len(pool) * len(at))
    assert need <= reserved


def test_few_short_texts_picked_from_long_ones_add_no_more_values_than_are_taken():
    # Rows left out of a long column: a million empty values to lower the mean would be
    # gigabytes of offsets for two texts (found in review: 2.3 GB for 200,000 rows).
    array = pa.array(["x" * 1000] * 200_000 + ["a", "b"], pa.large_string())
    at = np.array([200_000, 200_001], dtype=np.int64)
    assert sum(len(f) for f in TP._filler(TP._lengths(array), at, len(at))) <= 2
    rows = np.array([0, 1])
    assert TP.gathered(2, [(rows, ["Hi ", (array, at), "!"])]).to_pylist() == ["Hi a!", "Hi b!"]


@given(st.lists(st.lists(KEYS, max_size=12), min_size=17, max_size=45), st.integers(0, 3))
@settings(max_examples=60, deadline=None)
def test_sorted_runs_past_sixteen_runs_give_the_first_position(batches, expected):
    runs = SortedRuns(expected * 100)
    first = added_with_first_positions(runs, batches)
    probe = np.array([*first, 51, 2**63 + 1], dtype=np.uint64)
    assert runs.find(probe).tolist() == [first.get(int(k), -1) for k in probe.tolist()]


def test_prefixes_never_miss_a_held_key_as_they_grow():
    rng = np.random.default_rng(3)
    runs = SortedRuns()
    held = []
    for step in range(30):
        keys = np.unique(rng.integers(0, 2**63, 3000, dtype=np.uint64)) * np.uint64(2) + 1
        runs.first_positions(keys, np.arange(len(keys)) + step * 3000)
        held.append(keys)
    every = np.sort(_mixed(np.concatenate(held)))
    assert Prefixes.of([every]).may_hold(every).all()
    assert (runs.find(np.concatenate(held)) >= 0).all()
    assert runs._prefixes.may_hold(every).all()


@given(st.lists(TEXTS, max_size=20), st.sampled_from(["c", "spring"]))
@settings(max_examples=100, deadline=None)
def test_one_padding_serves_keys_given_whole_or_in_pieces(keys, campaign):
    array = pa.array(keys, pa.large_string())
    seed, step = H.campaign_words(campaign)
    whole = H.hashes(campaign, array).tolist()
    assert whole == [H.reference(campaign, k or "") for k in keys]
    if keys:
        parts = [array, pa.scalar("\x1f", pa.large_string()), array]
        doubled = [H.reference(campaign, (k or "") + "\x1f" + (k or "")) for k in keys]
        assert H.padded_hashes(*H.padded(parts), seed, step).tolist() == doubled
