"""The lean send path gives exactly what the careful path gives: documents' bytes, answer
columns, journal lookups; and its client method keeps the client's safeguards."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames import answers
from targetsms_frames.answer_columns import send_columns
from targetsms_frames.encoding import Encoded, encode_documents
from targetsms_frames.errors import InputError
from targetsms_frames.journal import RESULT_FIELDS, Journal
from targetsms_frames.redact import Scrubber


def personal_plan(n: int = 12) -> pd.DataFrame:
    people = pd.DataFrame(
        {
            "phone": [str(79801234000 + i) for i in range(n)],
            "name": [["Анна", 'Bo"b', "C\\d", "Tab\there", "Ann"][i % 5] for i in range(n)],
            "template": ["a" if i % 3 else "b" for i in range(n)],
        }
    )
    templates = pd.DataFrame(
        {
            "template": ["a", "b"],
            "send_viber": ["1", "0"],
            "send_sms": ["2", "1"],
            "sender_viber": ["Shop", None],
            "text_viber": ["{name}, скидка", None],
            "sender_sms": ["Shop", "Shop"],
            "text_sms": ["{name}, скидка", "Sale"],
        }
    )
    return tsf.plan(people, templates, campaign="lean")


def vk_plan() -> pd.DataFrame:
    people = pd.DataFrame(
        {
            "phone": [str(79801235000 + i) for i in range(5)],
            "name": ["Anna", "Бо", "x", "y", "z"],
            "send_vk": "1",
            "templateId": "100",
            "templateData": '{"Name": "{name}", "Where": "Москва", "n": 5}',
        }
    )
    return tsf.plan(people, campaign="vk")


@pytest.mark.parametrize("make", [personal_plan, vk_plan])
@pytest.mark.parametrize("max_phones", [1, 2, 5, 1000])
def test_encoded_documents_are_the_documents_json(make, max_phones):
    plan = make()
    docs = tsf.documents(plan, max_phones=max_phones)
    encoded = list(encode_documents(plan, max_phones=max_phones))
    assert len(encoded) == len(docs)
    for doc, enc in zip(docs, encoded, strict=True):
        assert enc.payload == json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
        assert enc.sizes == [len(b["phones"]) for b in doc["message"]]
        assert enc.blocks() == [
            {k: v for k, v in b.items() if k in ("name_delivery", "phones")} for b in doc["message"]
        ]
        assert plan["client_id_message"].to_numpy()[enc.rows].tolist() == enc.client_ids


# -- answers: the column path agrees with send_rows on any answer -------------------------

DOC = Encoded(
    (b'{"message":[]}',),
    np.arange(4),
    ["11", "12", "13", "14"],
    ["79800000001", "79800000002", "79800000003", "79800000004"],
    ["A", "A", "", "B"],
    [2, 1, 1],
)
SCALARS = st.one_of(
    st.none(),
    st.sampled_from(["", "0", "00", "7", "0012", "9" * 20, "9" * 21, " 5", "１２", "1.5"]),
    st.integers(-5, 10**25),
    st.floats(allow_nan=True),
    st.booleans(),
    st.text(max_size=5),
)


def good(i: int) -> dict:
    return {
        "id_message": str(100 + i),
        "client_id_message": DOC.client_ids[i],
        "phone": DOC.phones[i],
        "count_message": "1",
        "id_viber": "0",
        "id_sms": str(100 + i),
    }


@st.composite
def send_answers(draw):
    results = [good(i) for i in range(4)]
    for result in results:  # damage some values
        for key in draw(st.lists(st.sampled_from([*result, "error", "id_vk"]), max_size=2)):
            result[key] = draw(SCALARS)
        if draw(st.booleans()) and draw(st.booleans()):
            result["error"] = draw(st.sampled_from(["", " ", "no", tsf.fields.ERR_HELD]))
    items: list = [results[:2], results[2:3], results[3:]]
    shape = draw(st.integers(0, 6))
    if shape == 1:
        items[0] = items[0][::-1]  # reordered
    elif shape == 2:
        items[1] = {"error": draw(st.sampled_from(["blocked", "", None]))}
    elif shape == 3:
        items = items[:2]  # a block short
    elif shape == 4:
        items[2] = items[2] + [good(0)]  # an extra result
    elif shape == 5:
        items[0] = [draw(SCALARS), items[0][1]]
    return draw(st.sampled_from([{"message": items}, {"message": items, "x": 1}, {"message": 5}]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(send_answers())
def test_answer_columns_agree_with_send_rows(answer):
    rows = answers.send_rows(DOC.blocks(), answer)
    careful = {name: [row[name] for row in rows] for name in answers.SENT_COLUMNS}
    assert send_columns(DOC, answer) == careful
    called = []
    assert send_columns(DOC, answer, scrubbed=lambda: called.append(1) or answer) == careful


def test_the_common_answer_takes_the_fast_path_and_scrubs_nothing():
    answer = {"message": [[good(0), good(1)], [good(2)], [good(3)]]}
    columns = send_columns(DOC, answer, scrubbed=lambda: pytest.fail("scrubbed"))
    assert columns["outcome"] == ["accepted"] * 4 and columns["id_viber"] == [None] * 4
    assert columns["count_message"] == [1] * 4 and columns["name_delivery"] == DOC.names


def test_an_error_echoing_the_password_is_scrubbed():
    scrub = Scrubber(["Pa55-word"])
    answer = {"message": [[good(0), good(1) | {"error": "bad Pa55-word"}], [good(2)], [good(3)]]}
    columns = send_columns(DOC, answer, scrub=scrub, scrubbed=lambda: scrub.deep(answer))
    assert columns["outcome"][1] == "rejected" and "Pa55-word" not in columns["error"][1]


# -- the client's method for encoded documents --------------------------------------------


def test_post_encoded_refuses_what_is_not_a_send_document():
    client = tsf.Client("me", "pw", url="http://127.0.0.1:9/sendmessagejson.php")
    for payload in (b'{"login":"x","message":[]}', b"[]", b'{"message":[]'):
        with pytest.raises(InputError, match="encoded document"):
            client.post_encoded(payload)


def test_a_wrong_password_is_refused_without_showing_it():
    plan = personal_plan(3)
    with tsf.sandbox() as sb:
        client = tsf.Client(sb.login, "Wrong-Pa55", url=sb.url)
        (doc,) = encode_documents(plan)
        with pytest.raises(tsf.errors.AuthError) as caught:
            client.send_encoded(doc)
    assert "Wrong-Pa55" not in str(caught.value)


def test_send_encoded_gives_the_rows_of_send_document():
    plan = personal_plan(6)
    with tsf.sandbox() as sb:
        (doc,) = encode_documents(plan)
        columns = sb.client().send_encoded(doc)
        again = sb.client().send_document(json.loads(doc.payload)["message"])
    assert columns["client_id_message"] == [r["client_id_message"] for r in again]
    assert columns["outcome"] == ["accepted"] * 6
    assert [r["error"] for r in again] == [answers.NO_ID] * 6 or all(
        r["outcome"] == "accepted" for r in again
    )


# -- the journal: column lookups agree with the row-by-row replay --------------------------


def _record(journal: Journal, rows: list[dict], answered: bool = True) -> None:
    columns = {f: [r.get(f) for r in rows] for f in RESULT_FIELDS}
    (doc_id,) = journal.record_documents(
        [(columns["client_id_message"], columns["phone"], columns["name_delivery"])]
    )
    if answered:
        journal.record_answers([(doc_id, columns, "x")])


def _row(client_id: str, outcome: str, **values) -> dict:
    return {"client_id_message": client_id, "phone": "7980", "name_delivery": "n"} | {
        "outcome": outcome,
        **values,
    }


def test_lookup_agrees_with_the_replay_of_every_document(tmp_path):
    with Journal(tmp_path / "j") as journal:
        _record(journal, [_row("1", "unknown"), _row("2", "rejected", error="no")])
        _record(journal, [_row("1", "accepted", id_message="55", count_message=2)])
        _record(journal, [_row("1", "accepted"), _row("3", "held", error="money")])
        _record(journal, [_row("3", "rejected"), _row("4", "accepted", id_message="9")])
        _record(journal, [_row("5", "accepted")], answered=False)
        wanted = ["1", "2", "3", "4", "5", "6", None, "1"]
        columns, known = journal.lookup(wanted)
        replay = journal.results()
        first_two, _ = journal.lookup(wanted, before=3)
    assert known.tolist() == [True] * 5 + [False, False, True]
    for i, client_id in enumerate(wanted):
        expected = replay.get(client_id) if client_id else None
        got = {name: columns[name][i] for name in answers.SENT_COLUMNS}
        assert got == (expected or dict.fromkeys(answers.SENT_COLUMNS))
    assert first_two["outcome"][0] == "accepted" and first_two["id_message"][0] == "55"
    assert first_two["outcome"][2] is None  # document 3 and after are left out


def test_a_journal_written_by_version_2_json_still_resumes(tmp_path):
    """Records as the earlier writer made them (json.dumps with spaces)."""
    plan = personal_plan(4)
    path = tmp_path / "old.journal"
    with tsf.sandbox() as sb:
        first = tsf.send(plan, sb.client(), journal=path, progress=False)
        db = sqlite3.connect(path)
        with db:
            for doc_id, phones, results in db.execute("SELECT id, phones, results FROM documents"):
                db.execute(
                    "UPDATE documents SET phones = ?, results = ? WHERE id = ?",
                    (
                        json.dumps(json.loads(phones), ensure_ascii=False),
                        json.dumps(json.loads(results), ensure_ascii=False),
                        doc_id,
                    ),
                )
        db.close()
        posted = sb.requests
        second = tsf.send(plan, sb.client(), journal=path, progress=False)
        assert sb.requests == posted
    pd.testing.assert_frame_equal(first, second)


# -- send_chunks ----------------------------------------------------------------------------


def test_send_chunks_sends_each_chunk_once_and_resumes_from_the_journal(tmp_path):
    people = pd.DataFrame(
        {"phone": [str(79801236000 + i) for i in range(30)], "name": "Anna", "template": "a"}
    )
    templates = pd.DataFrame(
        {"template": ["a"], "send_sms": ["1"], "sender_sms": ["Shop"], "text_sms": ["{name}"]}
    )

    def chunks():
        for start in range(0, 30, 10):
            yield tsf.plan(people.iloc[start : start + 10], templates, campaign="chunks")

    journal = tmp_path / "c.journal"
    with tsf.sandbox() as sb:
        client = sb.client()
        sb.inject("drop_after")  # the first document's answer is lost: unknown, then resent
        first = list(
            tsf.send_chunks(
                chunks(), client, journal=journal, max_phones=4, workers=2, progress=False
            )
        )
        again = list(tsf.send_chunks(chunks(), client, journal=journal, progress=False))
        ledger = sb.ledger
    assert [len(s) for s in first] == [10, 10, 10]
    assert [s.index.tolist() for s in first] == [list(range(k, k + 10)) for k in (0, 10, 20)]
    whole = pd.concat(again)
    assert whole["outcome"].eq("accepted").all() and whole["id_message"].notna().all()
    assert set(ledger.accepted.values()) == {1} and len(ledger.accepted) == 30
    done = pd.concat(first)
    accepted = done["outcome"].eq("accepted")
    pd.testing.assert_series_equal(done["id_message"][accepted], whole["id_message"][accepted])


def test_send_chunks_of_nothing_opens_nothing(tmp_path):
    assert list(tsf.send_chunks([], None, journal=tmp_path / "j")) == []  # type: ignore[arg-type]
    assert not (tmp_path / "j").exists()


def test_a_hand_made_plan_with_numbers_is_encoded_as_documents_makes_it():
    plan = personal_plan(4).assign(validity_period_viber=pd.Series([30] * 4, dtype=object))
    docs = tsf.documents(plan)
    encoded = list(encode_documents(plan))
    assert [e.payload for e in encoded] == [
        json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode() for d in docs
    ]


def test_the_index_finds_the_documents_of_a_chunk(tmp_path):
    with Journal(tmp_path / "j") as journal:
        _record(journal, [_row("1", "unknown"), _row("2", "rejected")])
        _record(journal, [_row("3", "accepted", id_message="7"), _row("0001", "held")])
        _record(journal, [_row("1", "accepted", id_message="8")], answered=False)
        _record(journal, [_row("9", "accepted", id_message="9")])
        index = journal.index(before=4)
        assert index.documents(["1"]) == [1, 2, 3]  # "0001" shares the key: a candidate
        assert index.documents(["2"]) == [1]
        assert index.documents(["1", "3", None, "x"]) == [1, 2, 3]
        assert index.documents(["5"]) == []
        wanted = ["1", "0001", "3", "9", "4"]
        assert journal.lookup(wanted, before=4, index=index)[1].tolist() == [
            True,
            True,
            True,
            False,
            False,
        ]
        full, _ = journal.lookup(wanted, before=4)
        fast, _ = journal.lookup(wanted, before=4, index=index)
    for name in answers.SENT_COLUMNS:
        assert full[name].tolist() == fast[name].tolist()
