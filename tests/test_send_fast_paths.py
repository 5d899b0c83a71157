"""The send path's shortcuts against the careful code they replace: answer columns of
well-formed answers (zero ids, counts), the sent frame (refused rows, kept results,
duplicates, the plan's Arrow text), the twins search and the one-time scatter."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames import answers
from targetsms_frames._speed import text_series
from targetsms_frames.answer_columns import send_columns
from targetsms_frames.answers import INVALID, SENT_COLUMNS, UNKNOWN
from targetsms_frames.client_ids import DUPLICATE
from targetsms_frames.contracts import SENT
from targetsms_frames.documents import sendable
from targetsms_frames.encoding import Encoded
from targetsms_frames.sending import _GATHERED, _scatter, _twins
from targetsms_frames.sent_frames import (
    _FILL,
    _PHONE_COLUMNS,
    ACCEPTED_BEFORE,
    NOT_SENT,
    empty_columns,
    kept,
    sent_frame_of,
)

# -- answer columns: well-formed answers take the column path and agree with send_rows -----

ID = st.sampled_from(["0", "00", "000", "0012", "7", "10", "9" * 20, "000000001"])
COUNT = st.sampled_from(["0", "1", "2", "10", "999", "007"])


@st.composite
def well_formed(draw):
    n = draw(st.integers(1, 6))
    sizes, left = [], n
    while left:
        size = draw(st.integers(1, left))
        sizes.append(size)
        left -= size
    client_ids = [str(1000 + i) for i in range(n)]
    doc = Encoded(
        (b'{"message":[]}',),
        np.arange(n),
        client_ids,
        [str(79800000000 + i) for i in range(n)],
        [""] * n,
        sizes,
    )
    same_count = draw(st.booleans())
    one_count = draw(COUNT)
    keys = draw(st.sets(st.sampled_from(["id_viber", "id_sms", "id_whatsapp", "id_vk"])))
    results = []
    for c in client_ids:
        result = {"id_message": draw(ID), "client_id_message": c, "phone": "7"}
        result["count_message"] = one_count if same_count else draw(COUNT)
        for key in sorted(keys):
            result[key] = draw(ID)
        if draw(st.booleans()) and draw(st.booleans()):
            result["error"] = draw(st.sampled_from(["", None]))
        results.append(result)
    items, start = [], 0
    for size in sizes:
        items.append(results[start : start + size])
        start += size
    return doc, {"message": items}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(well_formed())
def test_well_formed_answers_agree_with_send_rows(case):
    doc, answer = case
    rows = answers.send_rows(doc.blocks(), answer)
    careful = {name: [row[name] for row in rows] for name in SENT_COLUMNS}
    assert send_columns(doc, answer) == careful


# -- the sent frame: against the search it skips ------------------------------------------


def _reference_sent_frame(plan, results, has):
    """The sent frame as it was built before the shortcuts (every step, every time)."""
    index, n = plan.index, len(plan)
    ok = sendable(plan)
    columns = empty_columns(n)
    for name in _PHONE_COLUMNS:
        columns[name] = plan[name].to_numpy(dtype=object, na_value=None)
    client_ids = columns["client_id_message"]
    problems = plan["problem"].to_numpy(dtype=object, na_value=None)
    copies = pd.Series(problems, dtype=object).str.startswith(DUPLICATE, na=False).to_numpy()
    keeps = has & kept(results) & ~copies
    candidates = ok | (~ok & keeps)
    first = np.zeros(n, dtype=bool)
    where = np.flatnonzero(candidates)
    first[where] = ~pd.Series(client_ids[where], dtype=object).duplicated().to_numpy()
    before = ~ok & keeps & first & pd.notna(client_ids)
    take = (ok & has) | before
    for name in _FILL:
        columns[name][take] = results[name][take]
    if before.any():
        today = problems[before].tolist()
        columns["error"][before] = [f"{ACCEPTED_BEFORE}{p or 'no phone'}" for p in today]
    invalid = ~ok & ~before
    columns["outcome"][invalid] = INVALID
    columns["error"][invalid] = problems[invalid]
    lost = ok & ~has
    columns["outcome"][lost] = UNKNOWN
    columns["error"][lost] = NOT_SENT
    frame = {
        name: text_series(values, index)
        if SENT[name] == "str"
        else pd.Series(values, index=index, dtype=SENT[name])
        for name, values in columns.items()
    }
    return pd.DataFrame(frame, index=index)


@st.composite
def sent_cases(draw):
    n = draw(st.integers(0, 8))
    client_ids = [draw(st.sampled_from(["1", "2", "3", "4", None])) for _ in range(n)]
    problems = [
        draw(st.sampled_from([None, None, "text_sms: too long", DUPLICATE + "3", None]))
        for _ in range(n)
    ]
    phones = [draw(st.sampled_from(["79800000001", None, "79800000002"])) for _ in range(n)]
    plan = pd.DataFrame(
        {
            "client_id_message": pd.array(client_ids, dtype="str"),
            "phone": pd.array(phones, dtype="str"),
            "name_delivery": pd.array(["x"] * n, dtype="str"),
            "problem": pd.array(problems, dtype="str"),
        },
        index=pd.Index([f"r{i}" for i in range(n)]),
    )
    if draw(st.booleans()):  # a hand-made frame of objects, not Arrow text
        plan = plan.astype(object)
    results = empty_columns(n)
    has = np.array([draw(st.booleans()) for _ in range(n)], dtype=bool)
    for i in np.flatnonzero(has).tolist():
        outcome = draw(st.sampled_from(["accepted", "held", "rejected", "unknown"]))
        results["outcome"][i] = outcome
        results["client_id_message"][i] = client_ids[i]
        results["id_message"][i] = "77" if outcome == "accepted" else None
        results["count_message"][i] = 1 if outcome == "accepted" else None
        results["error"][i] = None if outcome == "accepted" else "why"
    return plan, results, has


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sent_cases())
def test_the_sent_frame_is_the_one_of_every_step(case):
    plan, results, has = case
    got = sent_frame_of(plan, results, has)
    pd.testing.assert_frame_equal(got, _reference_sent_frame(plan, results, has))
    for name in ("client_id_message", "phone", "name_delivery", "outcome", "error"):
        assert pd.api.types.is_string_dtype(got[name])


# -- twins and the scatter --------------------------------------------------------------


@given(st.lists(st.sampled_from(["1", "2", "3", "10", "11"]), max_size=8), st.data())
def test_twins_are_the_repeated_client_ids(ids, data):
    plan = pd.DataFrame({"client_id_message": pd.array(ids, dtype="str")})
    rows = np.array([data.draw(st.booleans()) for _ in ids], dtype=bool)
    chosen = pd.Series(np.asarray(ids, dtype=object)[rows], dtype=object)
    expected = dict.fromkeys(chosen[chosen.duplicated()].unique().tolist())
    assert _twins(plan, rows) == expected


def test_the_scatter_puts_each_documents_values_at_its_rows():
    n = 7
    spans = [np.array([5, 0]), np.array([3]), np.array([6, 1, 2])]
    order = np.concatenate(spans).tolist()
    gathered = {name: [f"{name}{r}" for r in order] for name in _GATHERED}
    new, has_new = empty_columns(n), np.zeros(n, dtype=bool)
    _scatter(new, has_new, spans, gathered)
    for name in SENT_COLUMNS:  # the phone and name posted: the plan's, not put back
        if name in ("phone", "name_delivery"):
            assert new[name].tolist() == [None] * n
            continue
        assert new[name].tolist() == [None if r == 4 else f"{name}{r}" for r in range(n)]
    assert has_new.tolist() == [r != 4 for r in range(n)]
    _scatter(new, has_new, [], {name: [] for name in SENT_COLUMNS})  # nothing: no change
    assert has_new.sum() == 6


def test_send_gives_the_sent_frame_of_its_results(tmp_path):
    """End to end, several documents and workers: the scatter and the sent frame agree
    with the reference frame of the results the journal holds."""
    people = pd.DataFrame({"phone": [str(79801230000 + i) for i in range(40)]})
    people["send_sms"], people["sender_sms"], people["text_sms"] = "1", "Shop", "Hi"
    people.loc[3, "phone"] = "12"  # a refused row
    plan = tsf.plan(people, campaign="fast-paths")
    with tsf.sandbox() as sb:
        sent = tsf.send(
            plan, sb.client(), journal=tmp_path / "j", max_phones=3, workers=3, progress=False
        )
    from targetsms_frames.sending import sent_frame

    with tsf.journal.Journal(tmp_path / "j") as book:
        pd.testing.assert_frame_equal(sent, sent_frame(plan, book.results()))
    assert sent["outcome"].value_counts().to_dict() == {"accepted": 39, "invalid": 1}
