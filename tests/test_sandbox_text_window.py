"""The text reader looks for blocks of many phones in a document's first 64 KB only
(campaign_text._WINDOW); past it, the reading still counts them exactly, so a large
document with them later is read by orjson as before, with the careful answers."""

from __future__ import annotations

import json

from test_sandbox_bulk import LOGIN, PASSWORD, assert_same_books, mixed_document, pair, spying

from targetsms_frames.sandbox import campaign_text


def _body(doc: dict) -> bytes:
    return json.dumps({"login": LOGIN, "password": PASSWORD, **doc}, ensure_ascii=False).encode()


def test_blocks_of_many_phones_past_the_window_are_still_declined():
    singles = mixed_document(1, 600)  # well past the window
    many = mixed_document(10_000, 600, 4)  # every block four phones
    doc = {"message": singles["message"] + many["message"]}
    body = _body(doc)
    assert body.find(b'"phone"', campaign_text._WINDOW) > 0
    assert body[: campaign_text._WINDOW].count(b'"phones"') > 100
    assert campaign_text.read(body) is None  # counted exactly by the reading
    fast, careful = pair(balance="1000000")
    taken: list[bool] = []
    with spying(taken):
        answer = fast.handle(body)
    assert answer == careful.handle(body)
    assert_same_books(fast, careful)


def test_a_large_campaign_document_is_read_and_one_of_many_phones_is_declined_at_once():
    body = _body(mixed_document(1, 900))
    assert len(body) > 2 * campaign_text._WINDOW
    assert campaign_text.read(body) is not None
    assert campaign_text.read(_body(mixed_document(1, 900, 50))) is None
