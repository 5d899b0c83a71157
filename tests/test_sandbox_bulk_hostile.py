"""Hostile campaign documents get from the bulk path exactly what the careful path gives.

A campaign's documents (the benchmark's two templates interleaved, a few phones per
block) are spoiled in one or more places: a field of the wrong type (a number, a
float, a boolean, a list, an integer too long for 64 bits), odd Unicode in the
texts, client ids repeated within a document or from an earlier one, blocks equal
by value but not by type, keys in another order, missing or unknown keys. Whatever
the bulk path does with them (take them, or leave them to the careful path), the
answers, charges, balance, ledger and states must be the careful path's.
"""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sandbox_bulk import LOGIN, PASSWORD, assert_same_books, mixed_document, pair, spying

_FIELDS = [
    "send_viber",
    "send_sms",
    "send_whatsapp",
    "name_delivery",
    "sender_viber",
    "sender_sms",
    "text_viber",
    "text_sms",
    "button_text",
    "button_url",
    "validity_period_sms",
    "unknown_field",
]
_WRONG = st.sampled_from(
    [1, 2, 0, True, False, 1.0, 2.5, None, [], ["1"], {}, {"a": 1}, 10**20, -(10**19), ""]
)
_ODD_TEXTS = st.sampled_from(
    [
        "Привет 😀",  # beyond the BMP: two UTF-16 units
        "e\u0301",  # a combining accent
        "\u2028line\u2029",
        "nul\x00",
        "\ud800",  # a lone surrogate (sent escaped: only json reads it)
        " ",
        "",
        "ш" * 70,
        "ш" * 71,
        "x" * 1001,
        "[]{}^~|€\\" * 8,
    ]
)


def _entry(block, k: int) -> dict:
    """One of the block's phone entries (a stand-in if an earlier change spoilt them)."""
    phones = block.get("phones") if isinstance(block, dict) else None
    if isinstance(phones, list) and phones and isinstance(phones[k % len(phones)], dict):
        return phones[k % len(phones)]
    return {"client_id_message": "0"}


@st.composite
def spoilt(draw, first: int) -> dict:
    """A mixed campaign document with a few hostile changes."""
    doc = copy.deepcopy(
        mixed_document(first, draw(st.integers(2, 30)), draw(st.sampled_from([1, 2])))
    )
    blocks = doc["message"]
    for _ in range(draw(st.integers(0, 3))):
        k = draw(st.integers(0, len(blocks) - 1))
        block = blocks[k]
        if not isinstance(block, dict):
            continue
        kind = draw(st.integers(0, 9))
        if kind == 0:  # a field of the wrong type
            block[draw(st.sampled_from(_FIELDS))] = draw(_WRONG)
        elif kind == 1:  # odd Unicode in a text
            block[draw(st.sampled_from(["text_sms", "text_viber", "button_text"]))] = draw(
                _ODD_TEXTS
            )
        elif kind == 2:  # a client id repeated within the document
            _entry(block, k)["client_id_message"] = _entry(blocks[0], 0).get("client_id_message")
        elif kind == 3:  # a client id of an earlier document (ids 1 to 40 come first)
            _entry(block, k)["client_id_message"] = str(draw(st.integers(1, 40)))
        elif kind == 4:  # equal by value, not by type
            block["send_sms"] = draw(st.sampled_from([1, True, 1.0, "1", 2, "2"]))
        elif kind == 5:  # the same keys in another order
            items = list(block.items())
            blocks[k] = dict(draw(st.permutations(items)))
        elif kind == 6:  # a key missing
            block.pop(draw(st.sampled_from(["text_sms", "phones", "sender_sms", "send_sms"])), None)
        elif kind == 7:  # as many keys, one of them another
            name = draw(st.sampled_from([n for n in block if n != "phones"]))
            block["image_url" if name != "image_url" else "unknown"] = block.pop(name)
        elif kind == 8:  # a phone entry spoilt
            entry = _entry(block, k)
            field = draw(st.sampled_from(["phone", "client_id_message"]))
            if draw(st.booleans()):
                entry.pop(field, None)
            else:
                entry[field] = draw(st.sampled_from([79001234567, "7900123456 ", "٣٣", 12.0, None]))
        else:  # a block that is not an object
            blocks[k] = draw(st.sampled_from(["block", 1, None, []]))
    return doc


def post_raw(provider, doc: dict, ascii_only: bool) -> dict:
    body = json.dumps({"login": LOGIN, "password": PASSWORD, **doc}, ensure_ascii=ascii_only)
    return provider.handle(body.encode("utf-8", "surrogatepass"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), balance=st.sampled_from(["1000000", "3.00"]), ascii_only=st.booleans())
def test_spoilt_campaign_documents_get_the_careful_answers_and_books(data, balance, ascii_only):
    fast, careful = pair(balance=balance)
    clean = mixed_document(1, 40)  # client ids 1 to 40, taken in bulk
    assert post_raw(fast, clean, ascii_only) == post_raw(careful, clean, ascii_only)
    for first in (1000, 2000, 3000):
        doc = data.draw(spoilt(first))
        assert post_raw(fast, doc, ascii_only) == post_raw(careful, doc, ascii_only)
        assert fast.accounts[LOGIN].charges == careful.accounts[LOGIN].charges
        assert fast.accounts[LOGIN].balance == careful.accounts[LOGIN].balance
        assert fast._next_channel_id == careful._next_channel_id
        fast.t = careful.t = fast.t + data.draw(st.sampled_from([0, 5, 3700]))
    assert_same_books(fast, careful)


def test_a_long_integer_in_a_field_is_read_as_json_reads_it():
    """orjson reads 10**20 as a float, json as an int: the careful path must get json's."""
    fast, careful = pair()
    doc = mixed_document(1, 6)
    doc["message"][2]["send_sms"] = 10**20  # a number, but not an order 0-9
    doc["message"][3]["phones"][0]["client_id_message"] = 10**20  # an id given as a number
    taken: list[bool] = []
    with spying(taken):
        answer = post_raw(fast, doc, True)
    assert taken == [False]
    assert answer == post_raw(careful, doc, True)
    row = answer["message"][3][0]
    assert row.get("client_id_message") == str(10**20)  # not "1e+20"
    assert_same_books(fast, careful)


def test_campaign_documents_of_either_kind_are_taken_whole():
    """One phone per block and a few per block, both templates: the bulk path takes them."""
    fast, careful = pair(balance="1000000")
    taken: list[bool] = []
    with spying(taken):
        for first, per_block in ((1, 1), (1001, 2), (2001, 3)):
            doc = mixed_document(first, 300, per_block)
            assert post_raw(fast, doc, False) == post_raw(careful, doc, False)
    assert taken == [True, True, True]
    assert_same_books(fast, careful)
