"""Round-4 review: the word-mix client ids, the derivation guard and the checkpoint thread,
attacked (hostile keys, structured campaigns, slice boundaries, chdir, kills)."""

from __future__ import annotations

import os
import random
import sys
import textwrap
import threading
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from killing import send_and_kill

import targetsms_frames as tsf
from targetsms_frames import client_ids as C
from targetsms_frames import content_hash as H
from targetsms_frames import fields as F
from targetsms_frames import planning
from targetsms_frames.journal import Journal
from targetsms_frames.sandbox import SandboxProcess

# -- 1. the hash: NumPy equals the definition on hostile keys ---------------------------

_ALPHABET = ["a", "\0", "я", "😀", "\x1f", "€", "Z", "\x1e"]


def _hostile_keys() -> list[str]:
    rng = random.Random(4)
    keys = [""]
    for length in range(1, 41):  # every length around the multiples of 8
        keys += ["".join(rng.choice(_ALPHABET) for _ in range(length)) for _ in range(4)]
    keys += ["x" + "\0" * k for k in range(17)] + ["\0" * k for k in range(17)]
    keys += ["12345678" * 2, "8765432112345678"]  # two words swapped
    return keys


@pytest.mark.parametrize("campaign", ["", "\0", "c", "😀", "a" * 200])
@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_numpy_hash_equals_the_reference_on_hostile_keys_and_slices(campaign, kind):
    keys = _hostile_keys()
    want = [H.reference(campaign, k) for k in keys]
    array = pa.array(keys, kind)
    assert H.hashes(campaign, array).tolist() == want
    assert H.hashes(campaign, keys).tolist() == want
    for start in (1, 3, 7, 13, 64):
        assert H.hashes(campaign, array.slice(start, 50)).tolist() == want[start : start + 50]
    chunked = pa.chunked_array([array.slice(0, 33), array.slice(33, 1), array.slice(34)])
    assert H.hashes(campaign, chunked).tolist() == want
    # Null hashes as the empty key, as the content key joins a missing field.
    assert H.hashes(campaign, pa.array([None], kind)).tolist() == [H.reference(campaign, "")]


def _keys_of(phones: pa.Array, texts: pa.Array) -> pa.Array:
    n = len(phones)
    columns = {f: pa.nulls(n, pa.large_string()) for f in F.MESSAGE_FIELDS}
    columns["phone"] = phones
    columns[F.LEGACY_FIELDS[0]] = texts
    return C.content_keys(columns)


def test_no_repeated_ids_in_structured_campaigns():
    # 300k consecutive phones, one text (the full 2M was checked by hand: none either).
    n = 300_000
    phones = pa.array(
        (np.arange(n, dtype=np.int64) + 79000000000).astype(str).astype(object),
        pa.large_string(),
    )
    keys = _keys_of(phones, pa.array(["Здравствуйте! Ваш заказ готов."] * n, pa.large_string()))
    numbers = C._numbers(H.hashes("spring", keys))
    assert len(np.unique(numbers)) == n
    # One phone, texts differing by one character at every position (and a NUL in or out).
    base = "Hello, order 12345 is ready. Привет 😀 " * 2
    alts = [chr(c) for c in range(32, 127)] + ["я", "\0", "😀"]
    texts = {base[:i] + a + base[i + 1 :] for i in range(len(base)) for a in alts}
    texts |= {base[:i] + base[i + 1 :] for i in range(len(base))}
    texts |= {base + "\0" * k for k in range(1, 17)}
    texts = sorted(texts)
    phones = pa.array(["79001234567"] * len(texts), pa.large_string())
    keys = _keys_of(phones, pa.array(texts, pa.large_string()))
    assert len(np.unique(C._numbers(H.hashes("spring", keys)))) == len(texts)


def test_same_ids_across_slice_and_key_boundaries_and_chunks(monkeypatch):
    people = pd.DataFrame(
        {
            "phone": [str(79801234500 + i) for i in range(53)],
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": [("Привет 😀 " * (i % 5)) + "\0" * (i % 3) + str(i) for i in range(53)],
        }
    )
    whole = tsf.plan(people, campaign="c")
    monkeypatch.setattr(planning, "SLICE_ROWS", 7)
    monkeypatch.setattr(C, "KEY_ROWS", 3)
    sliced = tsf.plan(people, campaign="c")
    chunks = pd.concat(
        list(tsf.plan_chunks((people.iloc[i : i + 10] for i in range(0, 53, 10)), campaign="c"))
    )
    assert sliced["client_id_message"].tolist() == whole["client_id_message"].tolist()
    assert chunks["client_id_message"].tolist() == whole["client_id_message"].tolist()
    assert sliced.attrs[H.ATTR] == H.DERIVATION


# -- 3. the checkpoint thread -------------------------------------------------------------


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "targetsms-journal-checkpoint"]


def test_the_thread_checkpoints_the_journal_opened_not_one_in_a_new_working_dir(
    tmp_path, monkeypatch
):
    # A journal opened by a relative path, then the process changes directory (a notebook
    # cell, a script's chdir): the thread opened "c.journal" in the new folder, leaving
    # an empty stray file there (which a later send to that name refuses) while this
    # journal's log grew unchecked.
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)
    book = Journal("c.journal")
    monkeypatch.chdir(second)
    try:
        rows = [
            {"client_id_message": str(i), "phone": str(79000000000 + i), "name_delivery": "x" * 50}
            for i in range(200)
        ]
        for _ in range(600):  # about 10 MB of records: over twice the checkpoint step
            book.record_document(rows)
        deadline = time.monotonic() + 20
        while os.path.getsize(first / "c.journal") < 1 << 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert os.listdir(second) == []
        assert os.path.getsize(first / "c.journal") >= 1 << 20  # copied back while writing
    finally:
        book.close()


def test_close_from_another_thread_while_writing_leaves_no_thread(tmp_path):
    before = len(_threads())
    for _ in range(20):
        book = Journal(tmp_path / "j.journal")
        stop = threading.Event()

        def write(book=book, stop=stop):
            while not stop.is_set():
                try:
                    book.record_documents([(["1"], ["79801234567"], ["x" * 100_000])])
                except Exception:
                    return

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.02)
        book.close()
        stop.set()
        writer.join()
    time.sleep(0.1)
    assert len(_threads()) == before


CHILD = textwrap.dedent(
    """
    import sys, pandas as pd, targetsms_frames as tsf
    from targetsms_frames import journal
    sys.path.insert(0, {tests!r})
    from test_sending import make_plan
    # Checkpoints and restarts all the time: the thread is busy when the kill comes.
    journal._WAL_BYTES, journal._RESTART_BYTES = 4096, 65536
    url, login, password, path = sys.argv[1:5]
    client = tsf.Client(login, password, url=url, timeout=(2, 0.5))
    tsf.send(make_plan(12_000), client, journal=path, workers=2, max_phones=20, progress=False)
    print("finished")
    """
)


def test_killed_while_the_thread_checkpoints_resumes_every_row_once(tmp_path):
    with SandboxProcess("--balance", "10000000", "--fault-rate", "0.1") as remote:
        journal = tmp_path / "campaign.journal"
        assert 3000 <= send_and_kill(remote, CHILD, journal, at_least=3000) < 12_000
        sys.path.insert(0, os.path.dirname(__file__))
        from test_sending import make_plan

        plan = make_plan(12_000)
        client = remote.client(
            timeout=(2, 0.5), retry=tsf.default_retry(attempts=10, sleep=lambda s: None)
        )
        sent = tsf.send(plan, client, journal=journal, workers=2, max_phones=20, progress=False)
        ledger = remote.ledger()
    assert sent["outcome"].eq("accepted").all()
    assert len(ledger["accepted"]) == 12_000 and set(ledger["accepted"].values()) == {1}
    assert set(ledger["phones"].values()) == {1}


def test_send_file_chunks_send_the_ids_plan_gives_the_whole_file(tmp_path, monkeypatch):
    # The same file planned whole and sent a chunk at a time (chunks across the slice
    # and key-join boundaries) posts the ids of the whole plan.
    monkeypatch.setattr(planning, "SLICE_ROWS", 4)
    monkeypatch.setattr(C, "KEY_ROWS", 3)
    source = tmp_path / "people.csv"
    pd.DataFrame(
        {
            "phone": [str(79801234500 + i) for i in range(23)],
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": [f'Привет 😀 "{i}", 007' + "x" * (i % 9) for i in range(23)],
        }
    ).to_csv(source, index=False)
    whole = tsf.plan(tsf.read_table(source), campaign="c")
    with tsf.sandbox() as sb:
        counts = tsf.send_file(
            source,
            tmp_path / "sent.csv",
            sb.client(),
            campaign="c",
            journal=tmp_path / "c.journal",
            chunk_rows=5,
            progress=False,
        )
        accepted = set(sb.ledger.accepted)
    assert counts == {"accepted": 23}
    assert accepted == set(whole["client_id_message"])


def test_a_journal_opened_and_written_many_times_leaves_no_thread(tmp_path):
    before = len(_threads())
    for i in range(40):
        with Journal(tmp_path / "j.journal") as book:
            book.record_documents([([str(i)], ["79801234567"], [""])])
            assert len(_threads()) == before + 1
    assert len(_threads()) == before
    with Journal(tmp_path / "j.journal") as book:
        assert book.last_document() == 40


# -- 2. the derivation guard ----------------------------------------------------------------


def test_a_journal_of_derived_ids_is_one_that_0_1_refuses(tmp_path):
    # 0.1 reads journal formats up to 2 and knows no derivation: resuming a campaign 0.2
    # started (after a downgrade) it planned its BLAKE2b ids and posted every row again
    # (seen with 9340b0b's code against the sandbox: 3 phones twice). A journal holding
    # derived ids says format 3, which 0.1 refuses; this version reads and resumes it.
    import sqlite3

    from targetsms_frames import journal_file

    people = pd.DataFrame(
        {
            "phone": [str(79801234500 + i) for i in range(6)],
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": [f"Hi {i}" for i in range(6)],
        }
    )
    mine = tsf.plan(people.iloc[:2].assign(client_id_message=["7", "8"]), campaign="c")
    journal = tmp_path / "c.journal"

    def version() -> int:
        with sqlite3.connect(journal) as db:
            (value,) = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return int(value)

    with tsf.sandbox() as sb:
        tsf.send(mine, sb.client(), journal=journal, progress=False)
        assert version() == 2  # own ids only: any version may resume it
        plan = tsf.plan(people.iloc[2:], campaign="c")
        tsf.send(plan.iloc[:2], sb.client(), journal=journal, progress=False)
        assert version() > 2  # what 0.1 reads up to
        assert version() <= journal_file.DERIVED_VERSION
        sent = tsf.send(plan, sb.client(), journal=journal, progress=False)
        assert sent["outcome"].eq("accepted").all()
        assert set(sb.ledger.phones.values()) == {1} and len(sb.ledger.phones) == 6


def test_campaign_keys_differing_by_trailing_nuls_or_swapped_words_give_other_ids():
    campaigns = ["", "\0", "\0\0", "c", "c\0", "c\0\0\0\0\0\0\0", "12345678abcdefgh"]
    campaigns += ["abcdefgh12345678", "a" * 64, "a" * 64 + "\0", "a" * 65]
    words = {H.campaign_words(c) for c in campaigns}
    assert len(words) == len(campaigns)
    ids = {tuple(C.derive_client_ids(c, ["79801234567", ""])) for c in campaigns}
    assert len(ids) == len(campaigns)
