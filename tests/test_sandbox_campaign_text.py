"""A campaign's document read from its text (sandbox/campaign_text.py) is orjson's reading.

Whatever the bytes (clean campaign documents in either separator style, or spoilt
ones: a byte inserted, deleted or changed anywhere), the reader either declines
(None: orjson reads the document, as before) or gives exactly the blocks orjson
gives: their keys in order, their values, phones and client ids, per block.
Through the provider, the documents it reads get the careful path's answers and books.
"""

from __future__ import annotations

import json
import re

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sandbox_bulk import (
    LOGIN,
    ORDER,
    PASSWORD,
    PROMO,
    VIBER_SMS,
    assert_same_books,
    mixed_document,
    pair,
    spying,
)

from targetsms_frames.sandbox import campaign_text

_SEPARATORS = [(",", ":"), (", ", ": "), (",", ": "), (", ", ":")]
_CLEAN = [
    "Привет, Анна!",
    "Hi",
    "",
    " ",
    '}]}, {"phone',
    "}]}, {",
    ', "phones": [{',
    "😀 e\u0301",
    "x" * 1001,
    "ш" * 71,
]
_TEXTS = st.one_of(
    st.sampled_from(_CLEAN), st.sampled_from([*_CLEAN, "tab\tin", 'quote " in', "back\\slash"])
)
_TEMPLATES = [PROMO, ORDER, VIBER_SMS, ORDER | {"name_delivery": "Other"}, {"send_sms": "1"}]


@st.composite
def bodies(draw) -> bytes:
    """A campaign's document, as either encoder writes it, perhaps spoilt byte-wise."""
    templates = draw(st.lists(st.sampled_from(_TEMPLATES), min_size=1, max_size=3))
    blocks = []
    texts = _TEXTS if draw(st.integers(0, 4)) == 0 else st.sampled_from(_CLEAN)
    for k in range(draw(st.integers(1, 12))):
        block = dict(draw(st.sampled_from(templates)))
        for name in ("text_viber", "text_sms", "button_text")[: draw(st.integers(0, 3))]:
            block[name] = draw(texts)
        if draw(st.integers(0, 19)) == 0:
            block = dict(reversed(block.items()))  # another key order
        entries = [
            {"phone": str(79_001_000_000 + 10 * k + j), "client_id_message": str(10 * k + j + 1)}
            for j in range(draw(st.sampled_from([1] * 12 + [2, 3])))
        ]
        block["phones"] = entries
        blocks.append(block)
    doc = {"login": LOGIN, "password": PASSWORD, "message": blocks}
    if draw(st.integers(0, 9)) == 0:
        doc = {"message": blocks, "login": LOGIN, "password": PASSWORD}  # not last
    ascii_only = draw(st.integers(0, 9)) == 0
    separators = draw(st.sampled_from(_SEPARATORS[:2] * 4 + _SEPARATORS[2:]))
    text = json.dumps(doc, ensure_ascii=ascii_only, separators=separators)
    body = bytearray(text.encode())
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        at = draw(st.integers(0, len(body) - 1))
        kind = draw(st.integers(0, 2))
        byte = draw(st.sampled_from(b' "\\,:{}[]\x00\n\x1fa5\xd0'))
        if draw(st.booleans()):  # most often in a text: a byte where a value may hold any
            starts = [m.end() for m in re.finditer(rb'"text_sms": ?"', body)]
            at = draw(st.sampled_from(starts)) if starts else at
        if kind == 0:
            body.insert(at, byte)
        elif kind == 1:
            del body[at]
        else:
            body[at] = byte
    return bytes(body)


def rebuilt(text: campaign_text.Text) -> list[dict]:
    """The blocks, in posting order, from what the reader gave."""
    blocks: list = [None] * len(text.counts)
    for where, first, free in zip(text.shapes, text.firsts, text.free, strict=True):
        for j, i in enumerate(where):
            blocks[i] = {k: free[k][j] if k in free else v for k, v in first.items()}
    starts = [0]
    for count in text.counts:
        starts.append(starts[-1] + count)
    for i, block in enumerate(blocks):
        block["phones"] = [
            {"phone": p, "client_id_message": c}
            for p, c in zip(
                text.phones[starts[i] : starts[i + 1]],
                text.client_ids[starts[i] : starts[i + 1]],
                strict=True,
            )
        ]
    return blocks


def _orjson(body: bytes):
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies())
def test_the_text_is_read_as_orjson_reads_it_or_not_at_all(body):
    text = campaign_text.read(body)
    if text is None:
        return
    doc = _orjson(body)
    assert isinstance(doc, dict), body
    blocks = doc["message"]
    assert text.head == {**doc, "message": []}
    assert list(text.head) == list(doc)
    got = rebuilt(text)
    assert got == blocks
    assert [list(b) for b in got] == [list(b) for b in blocks]  # keys in their order
    assert [[list(e) for e in b["phones"]] for b in got] == [
        [list(e) for e in b["phones"]] for b in blocks
    ]
    assert text.doc() == doc


def campaign(first: int, size: int, doubles: bool) -> dict:
    """A campaign's document, one phone per block but (``doubles``) every tenth's two, as
    ``documents`` gives blocks of identical texts."""
    doc = {"login": LOGIN, "password": PASSWORD, **mixed_document(first, size)}
    for block in doc["message"][5::10] if doubles else ():
        (entry,) = block["phones"]
        k = int(entry["client_id_message"]) + 500_000
        block["phones"] = [entry, {"phone": str(79_000_000_000 + k), "client_id_message": str(k)}]
    return doc


def test_clean_campaign_documents_are_read_from_their_text():
    for separators in _SEPARATORS[:2]:
        for doubles in (False, True):
            doc = campaign(1, 200, doubles)
            body = json.dumps(doc, ensure_ascii=False, separators=separators).encode()
            text = campaign_text.read(body)
            assert text is not None
            assert rebuilt(text) == doc["message"]
        many = {"login": LOGIN, "password": PASSWORD, **mixed_document(1, 200, 3)}
        body = json.dumps(many, ensure_ascii=False, separators=separators).encode()
        assert campaign_text.read(body) is None  # blocks of many phones: orjson reads them


def test_texts_that_look_like_json_stay_texts():
    blocks = [
        ORDER
        | {"text_sms": t, "phones": [{"phone": f"7900100000{k}", "client_id_message": str(k)}]}
        for k, t in enumerate(['}]}, {"send_sms": "1"', "}]}, {", ", ", "", "{"], 1)
    ]
    body = json.dumps({"login": LOGIN, "password": PASSWORD, "message": blocks}).encode()
    text = campaign_text.read(body)
    if text is not None:
        assert rebuilt(text) == orjson.loads(body)["message"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.integers(1, 5000),
    size=st.integers(1, 60),
    doubles=st.booleans(),
    separators=st.sampled_from(_SEPARATORS[:2]),
)
def test_documents_read_from_their_text_get_the_careful_answers(first, size, doubles, separators):
    fast, careful = pair(balance="1000000")
    taken: list[bool] = []
    for start in (first, first + 100_000, first):  # the last: repeated client ids
        doc = campaign(start, size, doubles)
        body = json.dumps(doc, ensure_ascii=False, separators=separators).encode()
        # Taken unless more than one block in _FEW has several phones (orjson reads those).
        several = sum(len(block["phones"]) > 1 for block in doc["message"])
        expected = several * campaign_text._FEW <= len(doc["message"])
        assert (campaign_text.read(body) is not None) == expected
        with spying(taken):
            answer = fast.handle(body)
        assert answer == careful.handle(body)
        assert fast.accounts[LOGIN].charges == careful.accounts[LOGIN].charges
        fast.t = careful.t = fast.t + 5
    assert taken == [True, True, False]
    assert_same_books(fast, careful)


def test_a_control_character_or_a_repeated_key_is_read_by_orjson():
    doc = {"login": LOGIN, "password": PASSWORD, **mixed_document(1, 5)}
    clean = json.dumps(doc, ensure_ascii=False).encode()
    assert campaign_text.read(clean) is not None
    for byte in (b"\x00", b"\n", b"\x1f", b"\\"):
        assert campaign_text.read(clean.replace(b"Dear", b"De" + byte + b"ar")) is None
    first = clean.index(b'"text_sms"')  # a block with text_sms twice: the last one wins
    twice = clean[:first] + b'"text_sms": "x", ' + clean[first:]
    text = campaign_text.read(twice)
    assert text is None or rebuilt(text) == orjson.loads(twice)["message"]
    at = clean.index(b'"message"')  # two lists of blocks: the last one wins
    both = clean[:at] + clean[at:-1] + b", " + clean[at:]
    text = campaign_text.read(both)
    assert text is None or rebuilt(text) == orjson.loads(both)["message"]
