"""plan_chunks: a campaign planned frame by frame equals the campaign planned at once."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames import planning
from targetsms_frames.errors import InputError
from targetsms_frames.seen import SortedRuns, id_keys, stable_order

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TEMPLATES = pd.DataFrame(
    {
        "template": ["a", "b"],
        "send_sms": ["1", "1"],
        "sender_sms": ["Shop", "Shop"],
        "text_sms": ["Hi {name}", "Bye"],
    }
)
PHONES = ["79801234567", "8 980 123-45-68", "+7 980 123 45 69", None, "bad", "79801234570"]
NAMES = ["Anna", "Борис", None]


def _derived(phone: str, text: str) -> str:
    one = pd.DataFrame({"phone": [phone], "send_sms": "1", "sender_sms": "Shop", "text_sms": text})
    return tsf.plan(one, campaign="chunks", now=NOW).loc[0, "client_id_message"]


# Own ids that repeat, that differ only by leading zeros, that are not ids, and one that
# is another row's derived id.
OWN_IDS = [None, "", "5", "05", " 7 ", "7", "x1", "1" * 19, _derived("79801234567", "Hi Anna")]


@st.composite
def campaigns(draw):
    n = draw(st.integers(0, 24))
    rows = {
        "phone": draw(st.lists(st.sampled_from(PHONES), min_size=n, max_size=n)),
        "name": draw(st.lists(st.sampled_from(NAMES), min_size=n, max_size=n)),
    }
    with_templates = draw(st.booleans())
    if with_templates:
        rows["template"] = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    else:
        rows["send_sms"] = ["1"] * n
        rows["sender_sms"] = ["Shop"] * n
        rows["text_sms"] = [f"Hi {name}" if name else "Hi Anna" for name in rows["name"]]
    if draw(st.booleans()):
        rows["client_id_message"] = draw(st.lists(st.sampled_from(OWN_IDS), min_size=n, max_size=n))
    frame = pd.DataFrame(rows, dtype=draw(st.sampled_from(["str", object])))
    labels = draw(st.sampled_from(["range", "shuffled", "text"]))
    if labels == "shuffled":
        frame.index = draw(st.permutations(range(100, 100 + n)))
    elif labels == "text":
        frame.index = [f"r{i}" for i in range(n)]
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=5)))
    pieces = [frame.iloc[a:b] for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    return frame, pieces, TEMPLATES if with_templates else None


@given(campaigns())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_chunked_plan_is_the_whole_plan(case):
    frame, pieces, templates = case
    whole = tsf.plan(frame, templates, campaign="chunks", now=NOW)
    chunked = list(tsf.plan_chunks(pieces, templates, campaign="chunks", now=NOW))
    assert len(chunked) == len(pieces)
    for piece, planned in zip(pieces, chunked, strict=True):
        assert planned.index.equals(piece.index)
    together = pd.concat(chunked) if chunked else whole.iloc[:0]
    pd.testing.assert_frame_equal(together, whole, check_index_type=False)
    # plan() itself works a slice of rows at a time (bounded memory): the same plan.
    with patch.object(planning, "SLICE_ROWS", 4):
        sliced = tsf.plan(frame, templates, campaign="chunks", now=NOW)
        rechunked = list(tsf.plan_chunks(pieces, templates, campaign="chunks", now=NOW))
    pd.testing.assert_frame_equal(sliced, whole, check_index_type=False)
    if rechunked:
        pd.testing.assert_frame_equal(pd.concat(rechunked), whole, check_index_type=False)


def test_a_duplicate_in_a_later_frame_names_the_first_row():
    people = pd.DataFrame(
        {"phone": ["79801234567", "79801234568", "8 980 123-45-67"], "send_sms": "1"},
        index=["a", "b", "c"],
    ).assign(sender_sms="Shop", text_sms="Hi")
    first, second = tsf.plan_chunks([people.iloc[:2], people.iloc[2:]], campaign="c")
    assert first["problem"].isna().all()
    assert second.loc["c", "problem"] == "phone: duplicate of row 'a' (same phone, same message)"
    assert second.loc["c", "client_id_message"] == first.loc["a", "client_id_message"]


def test_a_repeated_own_id_in_a_later_frame_is_a_problem():
    people = pd.DataFrame(
        {"phone": ["79801234567", "79801234568"], "client_id_message": ["42", "42"]}
    ).assign(send_sms="1", sender_sms="Shop", text_sms="Hi")
    _, second = tsf.plan_chunks([people.iloc[:1], people.iloc[1:]], campaign="c")
    assert second.loc[1, "problem"] == (
        "client_id_message: 42 is also the id of row 0 (each message needs its own)"
    )


def test_plan_chunks_is_lazy_and_checks_its_call_at_once():
    def frames():
        raise AssertionError("read before the first plan frame was asked for")
        yield

    tsf.plan_chunks(frames(), campaign="c")  # nothing read yet
    with pytest.raises(InputError, match="campaign is required"):
        tsf.plan_chunks([], campaign=" ")
    with pytest.raises(InputError, match="tz must be"):
        tsf.plan_chunks([], campaign="c", tz="Moscow")
    with pytest.raises(InputError, match="iterable of recipients frames"):
        tsf.plan_chunks(pd.DataFrame({"phone": ["79801234567"]}), campaign="c")
    with pytest.raises(InputError, match="no 'phone' column"):
        next(tsf.plan_chunks([pd.DataFrame({"tel": ["1"]})], campaign="c"))


@given(st.lists(st.lists(st.integers(0, 50), max_size=30), max_size=12))
@settings(max_examples=100, deadline=None)
def test_sorted_runs_find_the_first_position_of_every_key(batches):
    runs, first, position = SortedRuns(), {}, 0
    for batch in batches:
        keys = np.array(batch, dtype=np.uint64)
        found = runs.find(keys)
        assert found.tolist() == [first.get(k, -1) for k in batch]
        new = {}
        for k in batch:
            if k not in first and k not in new:
                new[k] = position
            position += 1
        runs.add(np.array(list(new), dtype=np.uint64), np.array(list(new.values())))
        first.update(new)
    assert len(runs) == len(first)


def test_id_keys_tell_leading_zeros_apart_and_fit_eighteen_digits():
    keys = id_keys(np.array([7, 7, 10**18 - 1, 1], dtype=np.uint64), np.array([1, 2, 18, 18]))
    assert len(set(keys.tolist())) == 4
    assert id_keys(np.array([9, 10, 2**53 - 1], dtype=np.uint64)).tolist() == [
        9,
        10**18 + 10,
        15 * 10**18 + 2**53 - 1,
    ]


KEYS = st.one_of(st.integers(0, 50), st.integers(0, 2**64 - 1), st.integers(2**40, 2**40 + 8))


@given(st.lists(st.lists(KEYS, max_size=30), max_size=12))
@settings(max_examples=100, deadline=None)
def test_sorted_runs_give_each_row_the_first_position_of_its_key(batches):
    added_with_first_positions(SortedRuns(), batches)


def added_with_first_positions(runs: SortedRuns, batches: list[list[int]]) -> dict[int, int]:
    """Add the batches to ``runs``, each row at the next position, checking that each
    row gets its key's first position; the first position of each key."""
    first: dict[int, int] = {}
    position = 0
    for batch in batches:
        positions = np.arange(position, position + len(batch))
        found = runs.first_positions(np.array(batch, dtype=np.uint64), positions)
        for k, p in zip(batch, positions.tolist(), strict=True):
            first.setdefault(k, p)
        assert found.tolist() == [first[k] for k in batch]
        position += len(batch)
    assert len(runs) == len(first)
    return first


@given(st.lists(KEYS, max_size=60))
@settings(max_examples=300, deadline=None)
def test_stable_order_is_a_stable_argsort(keys):
    array = np.array(keys, dtype=np.uint64)
    assert stable_order(array).tolist() == np.argsort(array, kind="stable").tolist()
