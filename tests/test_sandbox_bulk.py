"""Documents accepted in bulk get exactly what the careful path gives them.

The bulk path (sandbox/bulk.py) checks a document column by column and leaves its
messages' fates to be drawn when due. The reference here is the behaviour before it:
the careful path block by block and phone by phone, every fate drawn on acceptance.
Both providers see the same documents at the same sandbox times; their answers,
charges (in order), balances, ledgers, states and schedules must be equal.
"""

from __future__ import annotations

import json
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from targetsms_frames import fields as F
from targetsms_frames.sandbox import bulk, wire
from targetsms_frames.sandbox import provider as P
from targetsms_frames.sandbox.gate import handle as gate_handle

LOGIN, PASSWORD = "bulk", "bulk-test"
T0 = 1_800_000_000.0


class Clocked(P.Provider):
    """A provider on a clock the test moves (so two providers agree on every time)."""

    t = T0

    def now(self) -> float:
        return self.t


class Careful(Clocked):
    """The careful path only, each document's fates drawn at once (the earlier behaviour)."""

    def _respond(self, body, headers=None):
        with mock.patch.object(P, "accept", lambda *args: None):
            answer = super()._respond(body, headers)
        with self._lock:
            self._drawn()
        return answer


def pair(balance="100000", stop_list=(), seed=3, zone=0, senders=None):
    """A provider taking the bulk path and a careful one, with the same account."""
    made = []
    for kind in (Clocked, Careful):
        provider = kind(seed=seed)
        account = provider.add_account(LOGIN, PASSWORD, balance=balance, stop_list=stop_list)
        account.zone = zone
        if senders is not None:  # the SMS senders the account may use (the gate's rules)
            account.any_originator = False
            account.originators = dict(senders)
        made.append(provider)
    return made


def post(provider, doc) -> dict:
    body = json.dumps({"login": LOGIN, "password": PASSWORD, **doc}, ensure_ascii=False)
    return provider.handle(body.encode())


def assert_same_books(fast, careful):
    """Ledgers, every state and the SMS schedule: equal (this draws every fate)."""
    a, b = fast.ledger(LOGIN), careful.ledger(LOGIN)
    assert a.to_dict() == b.to_dict()
    assert list(a.phones) == list(b.phones)  # booked in the same order (the JSON's order)
    assert a.charges == b.charges
    ids = [str(i) for i in range(1_000_000, fast._next_id + 2)]
    states = {"state": [{"id_message": i} for i in ids]}
    assert post(fast, states) == post(careful, states)
    schedule = json.dumps(
        {"security": {"login": LOGIN, "password": PASSWORD}, "type": "list_scheduled"}
    ).encode()
    assert gate_handle(fast, schedule) == gate_handle(careful, schedule)


VIBER_SMS = {
    "send_viber": "1",
    "send_sms": "2",
    "name_delivery": "bench",
    "sender_viber": "Shop",
    "sender_sms": "Shop",
}


def campaign_document(first: int, size: int) -> dict:
    """One phone per block, personal texts: what a personalised campaign posts."""
    blocks = []
    for k in range(first, first + size):
        text = f"Клиент {k}, скидка {k % 97}% для вас" + "!" * (k % 60)
        blocks.append(
            VIBER_SMS
            | {
                "text_viber": text,
                "text_sms": text,
                "phones": [{"phone": str(79_000_000_000 + k), "client_id_message": str(k)}],
            }
        )
    return {"message": blocks}


def spying(taken: list):
    """bulk.accept, noting whether it took each document."""
    real = bulk.accept

    def spy(*args):
        answer = real(*args)
        taken.append(answer is not None)
        return answer

    return mock.patch.object(P, "accept", spy)


def test_a_large_one_phone_per_block_document_gets_the_careful_answers():
    fast, careful = pair(balance="1000000")
    taken: list[bool] = []
    with spying(taken):
        for first in (1, 2001):
            doc = campaign_document(first, 2000)
            assert post(fast, doc) == post(careful, doc)
            assert fast.accounts[LOGIN].charges == careful.accounts[LOGIN].charges
    assert taken == [True, True]  # both went the bulk way
    for step in (5, 60, 3600, 86_400):  # the fallbacks fall due, are drawn and charged
        fast.t = careful.t = fast.t + step
        again = campaign_document(1, 3)  # repeated client ids: the careful path
        assert post(fast, again) == post(careful, again)
        assert fast.accounts[LOGIN].charges == careful.accounts[LOGIN].charges
    assert_same_books(fast, careful)


# The campaign benchmark's two templates (benchmarks/campaign.py), as send posts them.
PROMO = {
    "send_viber": "1",
    "send_whatsapp": "0",
    "send_sms": "2",
    "send_vk": "0",
    "name_delivery": "Распродажа",
    "sender_viber": "ShopBench",
    "button_text": "Открыть",
    "button_url": "https://example.org/sale",
    "sender_sms": "ShopBench",
}
ORDER = {
    "send_viber": "0",
    "send_whatsapp": "0",
    "send_sms": "1",
    "send_vk": "0",
    "name_delivery": "Orders",
    "sender_sms": "ShopBench",
}


def mixed_document(first: int, size: int, per_block: int = 1) -> dict:
    """A campaign's document of two templates interleaved (a few phones a block, if asked)."""
    blocks = []
    for k in range(first, first + size, per_block):
        phones = [
            {"phone": str(79_000_000_000 + j), "client_id_message": str(j)}
            for j in range(k, min(k + per_block, first + size))
        ]
        if k % 5 < 3:  # promo: Viber then SMS of one or two parts
            text = f"Клиент {k}, скидка {k % 97}%" + "!" * (k % 60)
            block = PROMO | {"text_viber": text, "text_sms": text}
        else:  # order: SMS only, priced by its parts
            block = ORDER | {
                "text_sms": f"Dear {k}, your order [C{k:06d}] is ready" + "." * (k % 140)
            }
        blocks.append(block | {"phones": phones})
    return {"message": blocks}


@pytest.mark.parametrize("per_block", [1, 3])
def test_a_document_of_two_templates_interleaved_gets_the_careful_answers(per_block):
    fast, careful = pair(balance="1000000")
    taken: list[bool] = []
    with spying(taken):
        for first in (1, 1001):
            doc = mixed_document(first, 1000, per_block)
            assert post(fast, doc) == post(careful, doc)
            assert fast.accounts[LOGIN].charges == careful.accounts[LOGIN].charges
            assert fast._next_channel_id == careful._next_channel_id
    assert taken == [True, True]  # both went the bulk way
    for step in (5, 60, 3600, 86_400):
        fast.t = careful.t = fast.t + step
        again = mixed_document(1, 4)  # repeated client ids: the careful path
        assert post(fast, again) == post(careful, again)
        assert fast.accounts[LOGIN].charges == careful.accounts[LOGIN].charges
    assert_same_books(fast, careful)


def test_a_mixed_document_short_of_money_books_nothing_in_bulk():
    fast, careful = pair(balance="30")  # enough for some of the phones only
    doc = mixed_document(1, 40)
    taken: list[bool] = []
    with spying(taken):
        assert post(fast, doc) == post(careful, doc)
    assert taken == [False]
    assert_same_books(fast, careful)


# -- documents of every kind, good and bad, in any order --------------------------------

_TEMPLATES = [
    VIBER_SMS,
    {"send_sms": "1", "sender_sms": "Shop"},  # the price depends on the parts
    {"send_sms": 1, "sender_sms": "Shop", "name_delivery": " "},  # a JSON number
    {"send_sms": True, "sender_sms": "Shop", "name_delivery": " "},  # equal to 1, not alike
    VIBER_SMS | {"finale_viber_read": "1", "validity_period_viber": "1"},
    {"send_whatsapp": "1", "send_sms": "2", "sender_sms": "Shop"},
    {"send_vk": "1", "send_viber": "2", "templateId": "100", "sender_viber": "Shop"},
    VIBER_SMS | {"time_send": "2027-01-15 10:00"},
    VIBER_SMS | {"send_whatsapp": "3"},  # no text_whatsapp: an error block
    PROMO,
    ORDER,
    ORDER | {"name_delivery": "Other"},  # the same keys, another fixed value
    {"send_viber": "1", "sender_viber": "Shop", "button_text": "Go", "button_url": "u"},
]
_POOL = [str(79_001_000_000 + k) for k in range(12)]
_texts = st.sampled_from(["Hi", "Привет", "", " ", "Скидка " * 12, "x" * 1001, "a" * 161])
_good_texts = st.sampled_from(["Hi", "Привет", "Скидка " * 12, "a" * 161, "Ω" * 71])
_phones = st.one_of(st.sampled_from(_POOL), st.sampled_from(["123", "", None, 79001, "7900\n"]))
_entry = st.fixed_dictionaries(
    {"phone": _phones},
    optional={"client_id_message": st.one_of(st.integers(1, 40).map(str), st.just(""))},
)


@st.composite
def documents(draw) -> dict:
    # A document of one template, or of a few mixed block by block (as a campaign's).
    templates = draw(st.lists(st.sampled_from(_TEMPLATES), min_size=1, max_size=3))
    clean = draw(st.booleans())
    blocks = []
    for _ in range(draw(st.integers(1, 5))):
        text = draw(_good_texts if clean else _texts)
        block = dict(draw(st.sampled_from(templates)))
        for name in ("text_viber", "text_sms", "text_whatsapp"):
            block[name] = text if draw(st.booleans()) or not text.strip() else text + "!"
        if clean:  # phones and client ids the bulk path takes
            size = draw(st.integers(1, 3))
            phones = draw(st.lists(st.sampled_from(_POOL), min_size=size, max_size=size))
            ids = draw(st.lists(st.integers(41, 10**6), min_size=size, max_size=size))
            entries = [
                {"phone": p, "client_id_message": str(i)} for p, i in zip(phones, ids, strict=True)
            ]
        else:
            entries = draw(st.lists(_entry, min_size=1, max_size=3))
        block["phones"] = entries
        if not clean and draw(st.integers(0, 9)) == 0:
            block = dict(draw(st.sampled_from(_TEMPLATES)), text_sms="Hi", phones=entries)
        blocks.append(block)
    return {"message": blocks}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(documents(), st.sampled_from([0, 0, 4, 11, 70, 3700, 90_000])),
        min_size=1,
        max_size=12,
    ),
    balance=st.sampled_from(["100000", "9.00"]),
    stop=st.booleans(),
    zone=st.sampled_from([0, 0, 2]),
    senders=st.sampled_from([None, None, {}, {"Shop": F.SENDER_APPROVED}]),
)
def test_any_documents_get_the_careful_answers_and_books(steps, balance, stop, zone, senders):
    stop_list = _POOL[:1] if stop else ()
    fast, careful = pair(balance=balance, stop_list=stop_list, zone=zone, senders=senders)
    for doc, wait in steps:
        assert post(fast, doc) == post(careful, doc)
        assert fast.accounts[LOGIN].charges == careful.accounts[LOGIN].charges
        assert fast.accounts[LOGIN].balance == careful.accounts[LOGIN].balance
        fast.t = careful.t = fast.t + wait
    assert_same_books(fast, careful)


def test_the_bulk_path_takes_only_documents_it_can_answer_whole():
    fast, _ = pair()
    account = fast.accounts[LOGIN]
    good = campaign_document(1, 3)["message"]
    assert bulk.accept(fast, account, good, T0) is not None
    bad_phone = [*good[:1], {**good[1], "phones": [{"phone": "12", "client_id_message": "9"}]}]
    repeated = campaign_document(1, 1)["message"]  # client id 1 was accepted above
    numbers = [{**good[0], "phones": [{"phone": "79001234567", "client_id_message": 77}]}]
    for blocks in (bad_phone, repeated, numbers, [*good[:1], "not a block"]):
        assert bulk.accept(fast, account, blocks, T0) is None


def test_blocks_alike_by_value_but_not_by_type_are_judged_one_by_one():
    """True == 1 (one shape by value), yet the rules may read them apart: the careful path."""
    fast, careful = pair()
    blocks = [
        {"send_sms": value, "sender_sms": "Shop", "text_sms": "Hi", "phones": [entry]}
        for value, entry in zip(
            (1, True, 1),
            ({"phone": p, "client_id_message": str(k)} for k, p in enumerate(_POOL, 1)),
            strict=False,
        )
    ]
    taken: list[bool] = []
    with spying(taken):
        assert post(fast, {"message": blocks}) == post(careful, {"message": blocks})
    assert taken == [False]
    assert_same_books(fast, careful)


def test_the_collector_is_held_only_while_documents_are_answered():
    import gc
    import threading

    from targetsms_frames._speed import gc_paused

    assert gc.isenabled()
    inside, go = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            go.wait(10)

    thread = threading.Thread(target=other)
    with gc_paused():
        assert not gc.isenabled()
        thread.start()
        inside.wait(10)
    assert not gc.isenabled()  # the other answer is still in progress
    go.set()
    thread.join(10)
    assert gc.isenabled()
    gc.disable()  # off before: stays off
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    fast, _ = pair()
    assert "message" in post(fast, campaign_document(1, 3)) and gc.isenabled()


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 123456789012345678901234567890}',  # orjson would read a float
        b'{"a": -9223372036854775809}',
        b'{"a": NaN}',
        b'\xef\xbb\xbf{"a": 1}',
        b'{"a": "\\ud800"}',
        b'{"a": [1, 2.5, "\\u00e9"], "a": {"b": null}}',
    ],
)
def test_the_wire_reads_what_json_reads(body):
    assert repr(wire.loads(body)) == repr(json.loads(body))


def test_the_wire_writes_what_json_writes():
    answer = {"message": [[{"phone": "7900", "error": "Неправильный номер телефона"}]]}
    assert json.loads(wire.dumps(answer)) == answer
    odd = {"phone": "\ud800"}  # orjson refuses a lone surrogate; json's way is kept
    with pytest.raises(UnicodeEncodeError):
        json.dumps(odd, ensure_ascii=False).encode()
    with pytest.raises(UnicodeEncodeError):
        wire.dumps(odd)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from("aZ 1Яж€[]^{}|~\\\f\n😀é\ud800") | st.characters(),
            max_size=200,
        ),
        max_size=6,
    )
)
def test_sms_parts_of_many_texts_are_sms_parts_of_each(texts):
    from targetsms_frames.sandbox.bulk import _sms_parts
    from targetsms_frames.segments import sms_parts

    assert _sms_parts(texts) == [sms_parts(t)[1] for t in texts]
    for text in texts:  # each alone, and a campaign's many alike
        assert _sms_parts([text] * 3) == [sms_parts(text)[1]] * 3
