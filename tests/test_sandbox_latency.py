"""The sandbox's latency: each provider request held like one across the internet, in
its own thread, so concurrent requests wait together and the books stay readable."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from cli_run import run

import targetsms_frames as tsf
from targetsms_frames.sandbox import SandboxProcess

DELAY = 0.3


def _document(sb, k: int) -> dict:
    return {
        "login": sb.login,
        "password": sb.password,
        "message": [
            {
                "send_sms": "1",
                "sender_sms": "Shop",
                "text_sms": "Hello",
                "phones": [{"phone": f"7913{k:07d}", "client_id_message": str(k + 1)}],
            }
        ],
    }


def _timed_post(url: str, body: dict) -> tuple[dict, float]:
    started = time.perf_counter()
    answer = requests.post(url, json=body, timeout=30).json()
    return answer, time.perf_counter() - started


def test_a_request_takes_at_least_the_delay_and_is_answered_as_without_it():
    with tsf.sandbox(latency=DELAY) as slow, tsf.sandbox() as quick:
        answer, seconds = _timed_post(slow.url, _document(slow, 1))
        expected, _ = _timed_post(quick.url, _document(quick, 1))
        assert seconds >= DELAY
        assert answer == expected
        gate = {"security": {"login": slow.login, "password": slow.password}, "type": "time"}
        started = time.perf_counter()
        assert "time" in requests.post(slow.gate_url, json=gate, timeout=30).json()
        assert time.perf_counter() - started >= DELAY  # the account gate too
        started = time.perf_counter()
        assert "error" in requests.get(slow.url, timeout=30).json()
        assert time.perf_counter() - started >= DELAY
        assert len(slow.ledger.accepted) == 1


def test_concurrent_requests_wait_together_not_one_after_another():
    n, delay = 8, 0.5
    with tsf.sandbox(latency=delay) as sb:
        results: list = [None] * n

        def post(k: int) -> None:
            results[k] = _timed_post(sb.url, _document(sb, k))

        threads = [threading.Thread(target=post, args=(k,)) for k in range(n)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        assert all(seconds >= delay for _, seconds in results)
        assert all("id_message" in answer["message"][0][0] for answer, _ in results)
        # About one delay (with room for a busy machine): one after another, n delays.
        assert elapsed < n / 2 * delay, elapsed
        assert len(sb.ledger.accepted) == n


def test_a_waiting_request_holds_neither_the_provider_nor_the_books():
    with tsf.sandbox(latency=2.0) as sb:
        waiting = threading.Thread(target=_timed_post, args=(sb.url, _document(sb, 1)))
        waiting.start()
        time.sleep(0.2)  # the request is in the sandbox, waiting
        started = time.perf_counter()
        ledger = sb.ledger  # takes the provider's lock
        assert time.perf_counter() - started < 1.0
        assert not ledger.accepted
        waiting.join()
        assert len(sb.ledger.accepted) == 1


def test_the_process_sandbox_takes_the_delay_and_its_ledger_is_not_held():
    with SandboxProcess(latency=1.5) as remote:
        answer, seconds = _timed_post(remote.url, _document(remote, 1))
        assert seconds >= 1.5 and "id_message" in answer["message"][0][0]
        started = time.perf_counter()
        assert len(remote.ledger()["accepted"]) == 1
        assert time.perf_counter() - started < 1.0  # not part of the provider's API


@pytest.mark.parametrize("bad", [-0.001, float("nan")])
def test_a_negative_latency_is_refused(bad):
    with pytest.raises(ValueError, match="latency must be 0 or more seconds"):
        tsf.sandbox(latency=bad)
    with pytest.raises(ValueError, match="latency must be 0 or more seconds"):
        SandboxProcess(latency=bad)


def test_the_command_refuses_a_negative_delay_in_one_sentence():
    result = run("sandbox", "--latency-ms", "-5")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "-5 is not a delay: give 0 or more milliseconds" in result.stderr
