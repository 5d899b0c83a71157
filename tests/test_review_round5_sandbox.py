"""Adversarial review, fifth round: the sandbox's latency (each request held in its own
thread, no lock). Concurrent requests must each get their own answer, the books must
add up as if the documents came one after another, and the faults must still work."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
import requests

import targetsms_frames as tsf
from targetsms_frames.sandbox.server import Faults

DELAY = 0.2


def _document(sb, k: int) -> dict:
    """Document ``k``: a few blocks of its own phones, client ids and texts; some phones
    are not phones, so each answer has a shape of its own."""
    blocks = []
    for b in range(1 + k % 3):
        phones = [
            {
                "phone": "12" if (k + p) % 5 == 0 else f"7913{k:04d}{b}{p:02d}",
                "client_id_message": str(1_000_000 + k * 1000 + b * 100 + p),
            }
            for p in range(1 + (k + b) % 4)
        ]
        blocks.append(
            {
                "send_sms": "1",
                "sender_sms": "Shop",
                "text_sms": f"doc {k} block {b}",
                "phones": phones,
            }
        )
    return {"login": sb.login, "password": sb.password, "message": blocks}


def _post(url: str, body: dict) -> dict:
    return requests.post(url, json=body, timeout=30).json()


def _ids(answer_or_doc: dict) -> list[list[tuple[str, str]]]:
    """Each block's (client id, phone) pairs, from a document or from its answer."""
    out = []
    for block in answer_or_doc["message"]:
        rows = block["phones"] if isinstance(block, dict) else block
        out.append([(r["client_id_message"], r["phone"]) for r in rows])
    return out


def test_concurrent_documents_each_get_their_own_answer_and_the_books_add_up():
    n = 32
    with tsf.sandbox(latency=DELAY) as slow, tsf.sandbox() as quick:
        docs = [_document(slow, k) for k in range(n)]
        with ThreadPoolExecutor(n) as pool:
            answers = list(pool.map(lambda d: _post(slow.url, d), docs))
        for doc, answer in zip(docs, answers, strict=True):
            assert _ids(answer) == _ids(doc)  # its own blocks, phones and ids, in order
        expected = [_post(quick.url, {**d, "password": quick.password}) for d in docs]
        strip = [
            [
                [{k: v for k, v in r.items() if not k.startswith("id_")} for r in b]
                for b in a["message"]
            ]
            for a in answers
        ]
        assert strip == [
            [
                [{k: v for k, v in r.items() if not k.startswith("id_")} for r in b]
                for b in a["message"]
            ]
            for a in expected
        ]
        ids = [
            r["id_message"] for a in answers for b in a["message"] for r in b if "id_message" in r
        ]
        assert len(ids) == len(set(ids))  # no id_message given twice
        was, now = quick.ledger, slow.ledger
        assert now.accepted == was.accepted and now.balance == was.balance
        assert now.submitted == was.submitted and slow.requests == n


def test_the_same_document_posted_at_once_many_times_is_accepted_and_charged_once():
    n = 12
    with tsf.sandbox(latency=DELAY) as slow, tsf.sandbox() as quick:
        doc = _document(slow, 7)
        with ThreadPoolExecutor(n) as pool:
            answers = list(pool.map(lambda _: _post(slow.url, doc), range(n)))
        expected = [_post(quick.url, {**doc, "password": quick.password}) for _ in range(n)]
        ledger, was = slow.ledger, quick.ledger
        assert (
            set(ledger.accepted.values()) == {1} and ledger.accepted.keys() == was.accepted.keys()
        )
        assert ledger.balance == was.balance
        # Each answer names the one message of each client id, as one after another would.
        for answer in answers:
            assert _ids(answer) == _ids(doc)
        first = {
            r["client_id_message"]: r.get("id_message") for b in answers[0]["message"] for r in b
        }
        for answer in answers[1:]:
            assert {
                r["client_id_message"]: r.get("id_message") for b in answer["message"] for r in b
            } == first
        shapes = Counter(str(sorted(r)) for a in answers for b in a["message"] for r in b)
        assert shapes == Counter(str(sorted(r)) for a in expected for b in a["message"] for r in b)


def test_faults_still_strike_with_latency_and_send_still_gets_every_phone_accepted_once():
    kinds = ["http_503", "drop_before", "html", "truncated", "drop_after", "http_500", "http_502"]
    people = pd.DataFrame(
        {
            "phone": [str(79801234500 + i) for i in range(300)],
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": "Hi",
        }
    )
    plan = tsf.plan(people, campaign="faults")
    with tsf.sandbox(latency=0.05, faults=Faults(retry_after=0)) as sb:
        sb.inject(*kinds)
        started = time.perf_counter()
        sent = tsf.send(
            plan, sb.client(sleep=lambda s: None), progress=False, max_phones=20, workers=4
        )
        took = time.perf_counter() - started
        ledger, injected = sb.ledger, sb.faults.injected
    assert sent["outcome"].eq("accepted").all()
    assert set(ledger.accepted.values()) == {1} and len(ledger.accepted) == 300
    assert injected == Counter(kinds)
    # 15 documents and 7 faults on 4 workers: a handful of delays, not one per request.
    assert took < 22 * 0.05 + 3


def test_a_slow_fault_comes_on_top_of_the_latency():
    with tsf.sandbox(latency=DELAY, faults=Faults(slow_seconds=0.5)) as sb:
        sb.inject("slow")
        started = time.perf_counter()
        answer = _post(sb.url, _document(sb, 1))
        assert time.perf_counter() - started >= DELAY + 0.5
        assert _ids(answer) == _ids(_document(sb, 1))


def test_stopping_the_sandbox_does_not_wait_for_requests_held_in_latency():
    sb = tsf.sandbox(latency=3.0).start()
    waiting = threading.Thread(target=_quietly_post, args=(sb.url,), daemon=True)
    waiting.start()
    time.sleep(0.3)  # held in its thread
    started = time.perf_counter()
    sb.stop()
    assert time.perf_counter() - started < 2.0


def _quietly_post(url: str) -> None:
    with contextlib.suppress(requests.RequestException, ValueError):
        _post(url, {})


def test_send_behind_latency_asks_the_gate_at_once_and_its_answers_come_before_any_document():
    people = pd.DataFrame(
        {
            "phone": [str(79801234500 + i) for i in range(2000)],
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": "Hi",
            "time_send": "2099-01-01 10:00",
        }
    )
    plan = tsf.plan(people, campaign="latency")
    delay = 0.4
    with tsf.sandbox(latency=delay, any_originator=False, senders={"Shop": "completed"}) as sb:
        client = sb.client()
        gate, send, events = client.post_gate, client.send_encoded, []
        lock = threading.Lock()

        def post_gate(payload):
            answer = gate(payload)
            with lock:
                events.append(("gate", time.perf_counter()))
            return answer

        def send_encoded(document):
            with lock:
                events.append(("send", time.perf_counter()))
            return send(document)

        client.post_gate, client.send_encoded = post_gate, send_encoded
        started = time.perf_counter()
        sent = tsf.send(plan, client, progress=False, max_phones=500, workers=4)
        took = time.perf_counter() - started
        assert sb.gate_requests == 4 and sb.requests == 4
    assert sent["outcome"].eq("accepted").all()
    kinds = [kind for kind, _ in sorted(events, key=lambda e: e[1])]
    assert kinds == ["gate"] * 4 + ["send"] * 4  # every answer before the first document
    # Two delays for the gate's four documents (the balance, then the other three
    # together), one for the four send documents on four workers (one after another: five
    # delays), with room for a busy machine.
    assert 3 * delay <= took < 4 * delay, took


def test_an_infinite_latency_is_refused_as_the_command_refuses_it():
    with pytest.raises(ValueError, match="latency must be 0 or more seconds"):
        tsf.sandbox(latency=float("inf"))
