"""The client id derivation of 0.x: pinned values, NumPy equal to its definition, and a
journal of another derivation refused before anything is posted (so never sent twice)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import targetsms_frames as tsf
from targetsms_frames import client_ids as C
from targetsms_frames import content_hash as H
from targetsms_frames import fields as F
from targetsms_frames.errors import JournalError
from targetsms_frames.journal import Journal

KEYS = ["", "79801234567", "12345678", "Привет, {name}!", "x" * 100]


def test_known_answers():
    # The derivation is part of the contract: a re-run must give the ids of the first run.
    # These values pin it; they change only with DERIVATION (and a guard, see below).
    assert H.DERIVATION == "tsf-wordmix-64"
    assert H.campaign_words("spring") == (862208295119562351, 15243600134482313605)
    expected = [
        13834670874982785113,
        10613880410402729383,
        3413101034579126859,
        2755775262306718312,
        4909468051249751517,
    ]
    assert H.hashes("spring", KEYS).tolist() == expected
    assert [H.reference("spring", k) for k in KEYS] == expected
    assert C.derive_client_ids("spring", KEYS) == [
        "8620018955363929",
        "3399688317841986",
        "8379716287032262",
        "8579489610716058",
        "544457415911423",
    ]
    assert C.derive_client_ids("autumn", KEYS[:2]) == ["871751495454578", "8605256656047266"]


def test_reference_is_the_documented_definition():
    # Written out again from the module docstring, independently of both implementations.
    def fmix(x):
        for mult in (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53):
            x = ((x ^ (x >> 33)) * mult) % 2**64
        return x ^ (x >> 33)

    digest = hashlib.blake2b(b"c", digest_size=16, person=b"tsf-client-ids").digest()
    seed, step = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little") | 1
    data = "ab\x1fц".encode()
    words = [int.from_bytes((data + bytes(8))[0:8], "little")]
    total = sum(fmix(w ^ fmix((seed + (j + 1) * step) % 2**64)) for j, w in enumerate(words))
    assert H.reference("c", "ab\x1fц") == fmix(
        (total + len(data) * 0x9E3779B97F4A7C15 + seed) % 2**64
    )


texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    campaign=st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=80),
    keys=st.lists(texts, max_size=30),
    skip=st.integers(0, 3),
    large=st.booleans(),
    chunked=st.booleans(),
)
def test_numpy_equals_the_definition(campaign, keys, skip, large, chunked):
    # Any key (empty, a multiple of 8 bytes, non-ASCII) and any Arrow shape (a slice with
    # an offset, string or large_string, chunked) gives the value of the definition.
    array = pa.array(["pad"] * skip + keys, pa.large_string() if large else pa.string())
    array = array.slice(skip)
    if chunked:
        array = pa.chunked_array([array.slice(0, len(keys) // 2), array.slice(len(keys) // 2)])
    expected = [H.reference(campaign, k) for k in keys]
    assert H.hashes(campaign, array).tolist() == expected
    assert H.hashes(campaign, keys).tolist() == expected


columns_strategy = st.fixed_dictionaries(
    {
        "phone": st.lists(st.from_regex(r"7980\d{7}", fullmatch=True), min_size=1, max_size=40),
        "text_sms": st.lists(st.none() | texts, min_size=40, max_size=40),
        "sender_sms": st.lists(
            st.sampled_from([None, "", "Shop", "Магазин"]), min_size=40, max_size=40
        ),
        "send_sms": st.lists(st.sampled_from([None, "1", "2"]), min_size=40, max_size=40),
        "text_whatsapp": st.lists(st.none() | st.just("Hi"), min_size=40, max_size=40),
        "send_whatsapp": st.lists(st.sampled_from([None, "0", "1"]), min_size=40, max_size=40),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=columns_strategy, key_rows=st.sampled_from([1, 3, 8192]))
def test_row_digests_equal_the_hash_of_the_content_keys(data, key_rows):
    # The fast path (key pieces joined with their padding in one pass, coded fields a run
    # at a time) gives the hash of content_keys, the careful definition of a row's key.
    n = len(data["phone"])
    columns = {f: pa.nulls(n, pa.large_string()) for f in F.MESSAGE_FIELDS}
    coded = {}
    for name, values in data.items():
        values = values[:n]
        columns[name] = pa.array(values, pa.large_string())
        if name in ("sender_sms", "send_sms"):
            codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
            coded[name] = C.Coded(codes.astype(np.int64), np.asarray(uniques, dtype=object))
    old = C.KEY_ROWS
    C.KEY_ROWS = key_rows
    try:
        fast = C.row_digests("camp", columns, coded)
    finally:
        C.KEY_ROWS = old
    assert fast.tolist() == C.digests("camp", C.content_keys(columns)).tolist()


def people(n=6, start=0):
    return pd.DataFrame(
        {
            "phone": [str(79801234500 + start + i) for i in range(n)],
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": [f"Hi {i}" for i in range(n)],
        }
    )


def legacy_ids(campaign, plan):
    """The ids 0.1 derived (keyed BLAKE2b of the content key), as an old plan holds them."""
    columns = {
        c: pa.array(plan[c].to_numpy(dtype=object, na_value=None), pa.large_string())
        for c in ("phone", *F.MESSAGE_FIELDS)
    }
    keys = C.content_keys(columns).to_pylist()
    out = []
    for key in keys:
        h = hashlib.blake2b(key.encode(), digest_size=8, key=campaign.encode()).digest()
        out.append(str(int.from_bytes(h, "big") % C.MAX_CLIENT_ID + 1))
    return out


def old_plan(campaign="c", n=6):
    """A plan as 0.1 made it: its ids the BLAKE2b ones, no derivation named."""
    plan = tsf.plan(people(n), campaign=campaign)
    plan = plan.assign(
        client_id_message=pd.array(
            legacy_ids(campaign, plan), dtype=plan["client_id_message"].dtype
        )
    )
    plan.attrs.clear()
    return plan


def test_the_pinned_legacy_id_is_what_legacy_ids_gives():
    # The value 0.1 pinned (tests/test_planning.py before this change), from legacy_ids.
    plan = tsf.plan(
        pd.DataFrame(
            {
                "phone": ["79801234567"],
                "send_sms": ["1"],
                "sender_sms": ["Shop"],
                "text_sms": ["Hello"],
            }
        ),
        campaign="spring-2026",
    )
    assert legacy_ids("spring-2026", plan) == ["4687503495447257"]


def test_a_plan_names_its_derivation_only_when_it_derived_ids():
    assert tsf.plan(people(), campaign="c").attrs[H.ATTR] == H.DERIVATION
    own = people().assign(client_id_message=[str(i + 1) for i in range(6)])
    assert H.ATTR not in tsf.plan(own, campaign="c").attrs
    some = own.assign(client_id_message=["1", "2", "3", None, "5", "6"])
    assert tsf.plan(some, campaign="c").attrs[H.ATTR] == H.DERIVATION
    chunks = list(tsf.plan_chunks([own.iloc[:3], people(3, 3)], campaign="c"))
    assert H.ATTR not in chunks[0].attrs and chunks[1].attrs[H.ATTR] == H.DERIVATION


def test_a_big_plan_names_it_whatever_slice_derived(monkeypatch):
    from targetsms_frames import planning

    monkeypatch.setattr(planning, "SLICE_ROWS", 2)
    own = people().assign(client_id_message=["1", "2", "3", "4", None, "6"])
    assert tsf.plan(own, campaign="c").attrs[H.ATTR] == H.DERIVATION
    mine = own.assign(client_id_message=["1", "2", "3", "4", "5", "6"])
    assert H.ATTR not in tsf.plan(mine, campaign="c").attrs


def test_an_old_journal_refuses_a_plan_of_new_ids_and_posts_nothing(tmp_path):
    # 0.1 sent half the campaign and was killed; after the upgrade the campaign is
    # planned again (new ids): sending it must not post the first half again.
    journal = tmp_path / "c.journal"
    old = old_plan()
    with tsf.sandbox() as sb:
        tsf.send(old.iloc[:3], sb.client(), journal=journal, progress=False)
        with Journal(journal) as book:  # as 0.1 left it: no derivation recorded
            book._db.execute("DELETE FROM meta WHERE key = 'client_ids'")
        posted = sb.requests
        new = tsf.plan(people(), campaign="c")
        with pytest.raises(JournalError, match=r"blake2b-64.*tsf-wordmix-64.*sent again"):
            tsf.send(new, sb.client(), journal=journal, progress=False)
        assert sb.requests == posted
        # Resumed with the plan that started it, every row is sent once.
        sent = tsf.send(old, sb.client(), journal=journal, progress=False)
        assert sent["outcome"].eq("accepted").all()
        assert set(sb.ledger.phones.values()) == {1} and len(sb.ledger.phones) == 6
        assert set(sb.ledger.accepted) == set(old["client_id_message"])


def test_a_new_journal_records_the_derivation_and_resumes(tmp_path):
    journal = tmp_path / "c.journal"
    plan = tsf.plan(people(), campaign="c")
    with tsf.sandbox() as sb:
        tsf.send(plan.iloc[:3], sb.client(), journal=journal, progress=False)
        with Journal(journal) as book:
            assert book._meta()["client_ids"] == H.DERIVATION
        again = tsf.plan(people(), campaign="c")
        sent = tsf.send(again, sb.client(), journal=journal, progress=False)
        assert sent["outcome"].eq("accepted").all()
        assert set(sb.ledger.phones.values()) == {1} and len(sb.ledger.phones) == 6
        # A plan of another derivation (a newer or older version) is refused.
        other = again.copy()
        other.attrs[H.ATTR] = "some-other-derivation"
        with pytest.raises(JournalError, match="some-other-derivation"):
            tsf.send(other, sb.client(), journal=journal, progress=False)


def test_own_client_ids_are_never_refused(tmp_path):
    # Ids the user gave do not depend on any derivation: an old journal takes them.
    journal = tmp_path / "c.journal"
    mine = tsf.plan(
        people().assign(client_id_message=[str(100 + i) for i in range(6)]), campaign="c"
    )
    assert H.ATTR not in mine.attrs
    with tsf.sandbox() as sb:
        tsf.send(old_plan().iloc[:3], sb.client(), journal=journal, progress=False)
        with Journal(journal) as book:
            book._db.execute("DELETE FROM meta WHERE key = 'client_ids'")
        sent = tsf.send(mine, sb.client(), journal=journal, progress=False)
        assert sent["outcome"].eq("accepted").all()


def test_an_empty_old_journal_takes_the_new_derivation(tmp_path):
    # A journal 0.1 made (and bound) but posted nothing in: nothing can be sent twice.
    journal = tmp_path / "c.journal"
    with tsf.sandbox() as sb:
        with Journal(journal) as book:
            book.bind(sb.client().account, sb.client().url)
            assert "client_ids" not in book._meta()
        plan = tsf.plan(people(), campaign="c")
        sent = tsf.send(plan, sb.client(), journal=journal, progress=False)
        assert sent["outcome"].eq("accepted").all()
        with Journal(journal) as book:
            assert book._meta()["client_ids"] == H.DERIVATION


def test_send_file_resumes_across_chunks_with_the_guard(tmp_path):
    # send_file plans chunk by chunk: the first chunk binds the journal, a resume passes.
    source = tmp_path / "people.csv"
    people(10).to_csv(source, index=False)
    journal = tmp_path / "c.journal"
    with tsf.sandbox() as sb:
        for _ in range(2):
            counts = tsf.send_file(
                source,
                tmp_path / "sent.csv",
                sb.client(),
                campaign="c",
                journal=journal,
                chunk_rows=4,
                progress=False,
            )
            assert counts == {"accepted": 10}
        assert set(sb.ledger.phones.values()) == {1} and len(sb.ledger.phones) == 10


def test_a_journal_killed_before_any_answer_still_refuses(tmp_path):
    # 0.1 recorded a document and was killed before its answer: the provider may have it.
    journal = tmp_path / "c.journal"
    old = old_plan()
    with tsf.sandbox() as sb:
        with Journal(journal) as book:
            book.bind(sb.client().account, sb.client().url)
            book.record_document(
                {"client_id_message": c, "phone": p, "name_delivery": "c"}
                for c, p in zip(old["client_id_message"], old["phone"], strict=True)
            )
        with pytest.raises(JournalError, match="use a new journal file only for a campaign"):
            tsf.send(tsf.plan(people(), campaign="c"), sb.client(), journal=journal, progress=False)
        assert sb.requests == 0


def test_a_journal_of_own_ids_takes_a_later_plan_of_derived_ids(tmp_path):
    # Own ids depend on no derivation: a journal that holds only them must not be taken
    # for an old one, and the first derived plan names the journal's derivation.
    journal = tmp_path / "c.journal"
    mine = tsf.plan(people(3).assign(client_id_message=["101", "102", "103"]), campaign="c")
    with tsf.sandbox() as sb:
        tsf.send(mine, sb.client(), journal=journal, progress=False)
        with Journal(journal) as book:
            assert book._meta()["client_ids"] == ""
        derived = tsf.plan(people(3, 3), campaign="c")
        sent = tsf.send(derived, sb.client(), journal=journal, progress=False)
        assert sent["outcome"].eq("accepted").all()
        with Journal(journal) as book:
            assert book._meta()["client_ids"] == H.DERIVATION
        assert set(sb.ledger.phones.values()) == {1} and len(sb.ledger.phones) == 6


def test_every_chunk_is_checked_not_only_the_first(tmp_path):
    # A chunk of own ids first, then one whose ids another derivation made: the second is
    # refused before it posts anything, and the first chunk's results are kept.
    journal = tmp_path / "c.journal"
    with tsf.sandbox() as sb:
        tsf.send(tsf.plan(people(3), campaign="c"), sb.client(), journal=journal, progress=False)
        mine = tsf.plan(people(2, 10).assign(client_id_message=["201", "202"]), campaign="c")
        other = tsf.plan(people(2, 20), campaign="c")
        other.attrs[H.ATTR] = "some-other-derivation"
        chunks = tsf.send_chunks(iter([mine, other]), sb.client(), journal=journal, progress=False)
        first = next(chunks)
        assert first["outcome"].eq("accepted").all()
        posted = sb.requests
        with pytest.raises(JournalError, match="some-other-derivation"):
            next(chunks)
        assert sb.requests == posted
        with Journal(journal) as book:
            assert book._meta()["client_ids"] == H.DERIVATION
        assert len(sb.ledger.phones) == 5
