"""send's checks of the plan's client ids read Arrow text in C when the plan holds it;
they say exactly what the checks of Python objects say."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from targetsms_frames._speed import TEXT_DTYPE
from targetsms_frames.errors import InputError
from targetsms_frames.sending import _check_client_ids, _summary, _twins

CLIENT_ID = st.one_of(
    st.from_regex(r"[0-9]{1,18}", fullmatch=True),
    st.sampled_from(["", "0", "1", "1" * 19, "12\n", "\n12", "١٢", "１", "1 ", "-1", "1.0"]),
    st.none(),
    st.text(max_size=4),
)


def _outcome(check, plan, rows):
    try:
        return ("ok", check(plan, rows))
    except InputError as exc:
        return ("error", str(exc))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(CLIENT_ID, st.booleans()), max_size=12))
def test_arrow_and_object_plans_get_the_same_answers(cells):
    ids = [c for c, _ in cells]
    rows = np.array([r for _, r in cells], dtype=bool)
    index = pd.Index([f"r{i}" for i in range(len(ids))])
    arrow = pd.DataFrame({"client_id_message": pd.array(ids, dtype=TEXT_DTYPE)}, index=index)
    objects = pd.DataFrame({"client_id_message": pd.Series(ids, dtype=object, index=index)})
    assert isinstance(arrow["client_id_message"].array, pd.arrays.ArrowStringArray)
    checked = _outcome(_check_client_ids, arrow, rows)
    assert checked == _outcome(_check_client_ids, objects, rows)
    if checked[0] == "ok":
        assert _twins(arrow, rows) == _twins(objects, rows)


@pytest.mark.parametrize(
    "outcomes",
    [[], ["accepted"] * 3, ["accepted", "rejected", "accepted"], ["unknown"], ["held", "held"]],
)
def test_summary_counts_each_outcome(outcomes):
    from collections import Counter

    expected = ", ".join(f"{k} {v}" for k, v in sorted(Counter(outcomes).items()))
    assert _summary(outcomes) == expected
