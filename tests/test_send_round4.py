"""Round 4 fast paths of send, each against the careful path it stands in for."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from targetsms_frames.send_checks import _distinct_numbers

DIGITS = st.from_regex(r"[0-9]{1,19}", fullmatch=True)
TEXTS = st.one_of(DIGITS, st.sampled_from(["07", "7", "+7", "-7", " 7", "", "x", "1e3"]))


@settings(max_examples=500, deadline=None)
@given(st.lists(TEXTS, max_size=12), st.booleans())
def test_distinct_numbers_says_distinct_only_of_distinct_texts(texts, large):
    array = pa.array(texts, pa.large_string() if large else pa.string())
    if _distinct_numbers(array):
        assert len(set(texts)) == len(texts)
    if len(set(texts)) == len(texts) and all(t.isdigit() and len(t) <= 18 for t in texts):
        # Digit ids of up to 18 digits, no two the same number: the sort decides.
        numbers = [int(t) for t in texts]
        assert _distinct_numbers(array) == (len(set(numbers)) == len(numbers))


def test_distinct_numbers_over_chunks():
    chunks = pa.chunked_array([pa.array(["1", "2"]), pa.array(["3"]), pa.array(["2"])])
    assert not _distinct_numbers(chunks)
    assert _distinct_numbers(chunks[:3])


# -- the journal's log copied back by a thread of its own -------------------------------


def _checkpoint_threads() -> list:
    import threading

    return [t for t in threading.enumerate() if t.name == "targetsms-journal-checkpoint"]


def test_the_log_is_copied_back_while_writing_and_the_thread_ends_at_close(tmp_path):
    import os
    import time

    from targetsms_frames import journal_file
    from targetsms_frames.journal import Journal

    path = tmp_path / "j.journal"
    before = len(_checkpoint_threads())
    journal = Journal(path)
    journal.bind("me", "http://127.0.0.1/x")
    size_at_start = os.path.getsize(path)
    n = 300
    ids = [str(10**15 + i) for i in range(n)]
    columns = {
        "client_id_message": ids,
        "phone": ["7" * 11] * n,
        "name_delivery": ["Shop"] * n,
        "id_message": ids,
        "id_viber": [None] * n,
        "id_whatsapp": [None] * n,
        "id_sms": ids,
        "id_vk": [None] * n,
        "count_message": [1] * n,
        "outcome": ["accepted"] * n,
        "error": [None] * n,
    }
    written = 0
    docs = []
    while written < 3 * journal_file._WAL_BYTES:
        (doc,) = journal.record_documents([(ids, columns["phone"], columns["name_delivery"])])
        journal.record_answers([(doc, columns, f"accepted {n}")])
        docs.append(doc)
        written += 2 * 60 * n
    assert len(_checkpoint_threads()) == before + 1
    deadline = time.monotonic() + 30
    while os.path.getsize(path) <= size_at_start and time.monotonic() < deadline:
        time.sleep(0.05)  # the file grows when the log is copied back into it
    assert os.path.getsize(path) > size_at_start
    journal.close()
    assert len(_checkpoint_threads()) == before
    assert not os.path.exists(f"{path}-wal")  # the last connection closed copied the rest
    with Journal(path) as again:
        results, last = again.results(), again.last_document()
    assert len(results) == n and all(r["outcome"] == "accepted" for r in results.values())
    assert last == docs[-1]


def test_the_log_stays_bounded_while_the_thread_copies_it_back(tmp_path, monkeypatch):
    import os
    import time

    from targetsms_frames import journal
    from targetsms_frames.journal import Journal

    # The same ratio as the defaults (4 MiB and 64 MiB), smaller.
    monkeypatch.setattr(journal, "_RESTART_BYTES", 4 << 20)
    monkeypatch.setattr(journal, "_WAL_BYTES", 1 << 18)
    path = tmp_path / "j.journal"
    peak = 0
    with Journal(path) as book:
        book.bind("me", "http://127.0.0.1/x")
        text = "x" * 50_000
        for i in range(500):  # 25 MB of records, every one of them kept
            (doc,) = book.record_documents([([str(i)], [text], [""])])
            peak = max(peak, os.path.getsize(f"{path}-wal"))
            time.sleep(0.002)  # a send's writes come between posts
        assert doc == 500
    # The log started over: a few restarts' worth, not the 25 MB of records (75 MB of
    # log: each 50 KB record rewrites a 64 KiB page and the tree above it).
    assert peak < 16 << 20, peak


# -- the sent frame's columns of one value ----------------------------------------------

TEXT_VALUES = st.one_of(st.none(), st.sampled_from(["accepted", "", "0", "ошибка"]), st.text())


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.lists(TEXT_VALUES, max_size=6),
        st.tuples(TEXT_VALUES, st.integers(0, 6)).map(lambda vn: [vn[0]] * vn[1]),
    )
)
def test_a_text_column_of_one_value_is_the_column_text_series_makes(values):
    import numpy as np
    import pandas as pd

    from targetsms_frames._speed import text_series
    from targetsms_frames.sent_frames import _text

    column = np.array([*values, None], dtype=object)[:-1]  # an object array, never 2-D
    index = pd.RangeIndex(len(values))
    pd.testing.assert_series_equal(_text(column, index), text_series(column, index))


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.lists(st.one_of(st.none(), st.integers(-3, 3), st.booleans()), max_size=6),
        st.tuples(
            st.one_of(st.integers(-(2**64), 2**64), st.sampled_from([1, 2**63 - 1, -(2**63)])),
            st.integers(1, 6),
        ).map(lambda vn: [vn[0]] * vn[1]),
    )
)
def test_a_count_column_of_one_value_is_the_careful_int64_column(values):
    import numpy as np
    import pandas as pd

    from targetsms_frames.sent_frames import _int64

    column = np.array([*values, None], dtype=object)[:-1]
    index = pd.RangeIndex(len(values))

    def careful():
        return pd.Series(column, index=index, dtype="Int64")

    try:
        expected = careful()
    except (TypeError, ValueError, OverflowError) as exc:
        with pytest.raises(type(exc)):
            _int64(column, index)
        return
    pd.testing.assert_series_equal(_int64(column, index), expected)


# -- journal records bound as UTF-8 bytes, stored as text -------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=4), st.text())
@example(["Магазин", "\ud800"], "x\udfff")  # lone surrogates: json, escaped
def test_journal_records_are_the_same_text_as_before(names, error):
    import json
    import sqlite3
    import tempfile
    from pathlib import Path

    from targetsms_frames.journal import Journal

    n = len(names)
    ids = [str(10**12 + i) for i in range(n)]
    columns = {
        "client_id_message": ids,
        "phone": ["79801234567"] * n,
        "name_delivery": names,
        "id_message": [None] * n,
        "id_viber": [None] * n,
        "id_whatsapp": [None] * n,
        "id_sms": [None] * n,
        "id_vk": [None] * n,
        "count_message": [None] * n,
        "outcome": ["rejected"] * n,
        "error": [error] * n,  # any text, a lone surrogate too (json escapes it)
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "j.journal"
        with Journal(path) as book:
            (doc,) = book.record_documents([(ids, columns["phone"], names)])
            book.record_answers([(doc, columns, f"rejected {n}")])
            results = book.results()
        db = sqlite3.connect(path)
        (phones, results_text, kinds) = db.execute(
            "SELECT phones, results, typeof(phones) || typeof(results) FROM documents"
        ).fetchone()
        db.close()
    assert kinds == "texttext"
    assert json.loads(phones) == [
        list(row) for row in zip(ids, columns["phone"], names, strict=True)
    ]
    assert json.loads(results_text)["rows"] == [
        list(row)
        for row in zip(*(columns[f] for f in json.loads(results_text)["columns"]), strict=True)
    ]
    assert [results[i]["name_delivery"] for i in ids] == names
    assert all(results[i]["error"] == error for i in ids)


def test_a_journal_dropped_without_close_stops_its_thread(tmp_path):
    import gc
    import os

    from targetsms_frames.journal import Journal

    before = len(_checkpoint_threads())
    path = tmp_path / "j.journal"
    book = Journal(path)
    book.record_documents([(["1"], ["79801234567"], [""])])
    assert len(_checkpoint_threads()) == before + 1
    del book
    gc.collect()
    assert len(_checkpoint_threads()) == before
    assert not os.path.exists(f"{path}-wal")  # every connection closed: the log copied back
    with Journal(path) as again:
        assert again.last_document() == 1


# -- bigger tasks when there are many documents -----------------------------------------


@pytest.mark.parametrize("workers, expected", [(1, 4), (2, 2)])
def test_many_documents_go_four_a_task_and_every_row_once(workers, expected, monkeypatch):
    import pandas as pd

    import targetsms_frames as tsf
    from targetsms_frames import encoding

    sizes = []
    real = encoding.Encoder.batches

    def spied(self, size):
        sizes.append(size)
        return real(self, size)

    monkeypatch.setattr(encoding.Encoder, "batches", spied)
    people = pd.DataFrame(
        {"phone": [str(79801234500 + i) for i in range(40)], "send_sms": "1"}
        | {"sender_sms": "Shop", "text_sms": "Hi"}
    )
    plan = tsf.plan(people, campaign="tasks")
    with tsf.sandbox() as sb:  # 40 documents: 32 a worker or more with one worker
        sent = tsf.send(plan, sb.client(), max_phones=1, workers=workers, progress=False)
        ledger = sb.ledger
    assert sizes == [expected]
    assert sent["outcome"].eq("accepted").all() and sent["id_message"].is_unique
    assert set(ledger.accepted.values()) == {1}  # every client id accepted once
    assert set(ledger.accepted) == set(plan["client_id_message"])
