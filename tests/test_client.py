"""Client: retries that never double-send, typed errors, secrets kept."""

from __future__ import annotations

import logging
import threading

import pytest
import requests
from conftest import cascade_block, sms_block

import targetsms_frames as tsf
from targetsms_frames import answers
from targetsms_frames import fields as F
from targetsms_frames.errors import (
    AuthError,
    ConfigError,
    InputError,
    ProviderError,
    TransportError,
)
from targetsms_frames.sandbox import FAULTS, FAULTS_AFTER_EFFECT


class RecordingSession(requests.Session):
    """A real session that remembers what it posted and with which options."""

    def __init__(self):
        super().__init__()
        self.bodies: list[bytes] = []
        self.options: list[dict] = []

    def post(self, url, data=None, **options):
        self.bodies.append(data)
        self.options.append(options)
        return super().post(url, data=data, **options)


@pytest.fixture
def fast_faults():
    return tsf.Faults(retry_after=0, slow_seconds=0.6)


def campaign(n: int, start: int = 0) -> list[dict]:
    phones = [(str(79800000000 + start + i), str(1000 + start + i)) for i in range(n)]
    return [cascade_block(*phones[: n // 2]), sms_block(*phones[n // 2 :])]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("failures", [0, 1, 3])
def test_fails_n_times_then_succeeds_and_each_id_is_accepted_once(fault, failures, fast_faults):
    with tsf.sandbox(faults=fast_faults) as sb:
        sleeps: list[float] = []
        client = sb.client(timeout=(2, 0.3), sleep=sleeps.append)
        sb.inject(*[fault] * failures)
        rows = client.send_document(campaign(6))
        assert [r["outcome"] for r in rows] == ["accepted"] * 6
        ledger = sb.ledger
        assert set(ledger.accepted.values()) == {1} and len(ledger.accepted) == 6
        assert set(ledger.phones.values()) == {1}
        assert len(sleeps) == failures
        if fault in FAULTS_AFTER_EFFECT and failures:
            # The first try took effect; the retries got the earlier ids back.
            assert ledger.submitted["1000"] == failures + 1


@pytest.mark.parametrize("fault", FAULTS)
def test_never_succeeds_raises_transport_error_without_hanging(fault, fast_faults):
    with tsf.sandbox(faults=fast_faults) as sb:
        client = sb.client(
            timeout=(2, 0.3), retry=tsf.default_retry(attempts=3, sleep=lambda s: None)
        )
        sb.inject(*[fault] * 3)
        with pytest.raises(TransportError) as caught:
            client.send_document(campaign(2))
        error = caught.value
        assert error.attempts == 3
        assert error.maybe_received == (fault not in ("http_503",))
        assert "after 3 attempt(s)" in str(error)
        if fault in FAULTS_AFTER_EFFECT:
            assert "sending again with the same client ids is safe" in str(error)
            assert set(sb.ledger.accepted.values()) == {1}
        else:
            assert sb.ledger.accepted == {}


def test_retries_post_byte_identical_documents(fast_faults):
    with tsf.sandbox(faults=fast_faults) as sb:
        session = RecordingSession()
        client = sb.client(session=session, timeout=(2, 0.3))
        sb.inject("drop_after", "http_500", "truncated")
        client.send_document(campaign(4))
        assert len(session.bodies) == 4 and len(set(session.bodies)) == 1


def test_retry_after_is_honoured():
    with tsf.sandbox(faults=tsf.Faults(retry_after=7)) as sb:
        sleeps: list[float] = []
        client = sb.client(sleep=sleeps.append)
        sb.inject("http_503", "http_502")
        client.send_document(campaign(2))
        assert sleeps == [7.0, 7.0]


def test_backoff_grows_without_retry_after(fast_faults):
    with tsf.sandbox(faults=fast_faults) as sb:
        sleeps: list[float] = []
        client = sb.client(sleep=sleeps.append)
        sb.inject("html", "html", "html", "html")
        client.send_document(campaign(2))
        assert len(sleeps) == 4 and all(s > 0 for s in sleeps)
        assert sleeps[3] > sleeps[0]


def test_a_replaced_retry_policy_is_used(sb):
    from tenacity import Retrying, retry_if_exception, stop_after_attempt

    policy = Retrying(
        stop=stop_after_attempt(2),
        retry=retry_if_exception(tsf.should_retry),
        reraise=True,
        sleep=lambda s: None,
    )
    client = sb.client(retry=policy)
    sb.inject("http_500", "http_500")
    with pytest.raises(TransportError) as caught:
        client.send_document(campaign(2))
    assert caught.value.attempts == 2 and sb.requests == 2


def test_a_duplicate_answered_as_text_counts_as_accepted_earlier():
    with tsf.sandbox(duplicate_answer="error") as sb:
        client = sb.client()
        first = client.send_document(campaign(2))
        again = client.send_document(campaign(2))
        assert [r["outcome"] for r in again] == ["accepted", "accepted"]
        assert [r["id_message"] for r in first] != [None, None]
        assert [r["error"] for r in again] == [None, None]
        assert set(sb.ledger.accepted.values()) == {1}


def test_concurrent_workers_share_one_client(fast_faults):
    fast_faults.rate = 0.3
    with tsf.sandbox(faults=fast_faults) as sb:
        client = sb.client(timeout=(2, 0.3), pool_size=8)
        results: list[list[dict]] = []

        def worker(k: int) -> None:
            results.append(client.send_document(campaign(10, start=100 * k)))

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(r["outcome"] == "accepted" for rows in results for r in rows) == 80
        ledger = sb.ledger
        assert len(ledger.accepted) == 80 and set(ledger.accepted.values()) == {1}
        assert client.session.get_adapter(sb.url)._pool_maxsize == 8


# -- typed errors --------------------------------------------------------------------------


def test_wrong_password_is_an_auth_error_and_not_retried(sb):
    client = tsf.Client(sb.login, "wrong", url=sb.url, sleep=lambda s: None)
    with pytest.raises(AuthError) as caught:
        client.send_document(campaign(2))
    assert caught.value.text == F.ERR_BAD_LOGIN and sb.requests == 1


def test_blocked_account_is_an_auth_error(sb):
    sb.block_account()
    with pytest.raises(AuthError, match=F.ERR_BLOCKED):
        sb.client().fetch_state(["1"])


def test_other_document_errors_are_provider_errors_and_not_retried(sb):
    with pytest.raises(ProviderError) as caught:
        sb.client().post({"message": "not a list"})
    assert not isinstance(caught.value, AuthError)
    assert caught.value.text == F.ERR_BAD_JSON and sb.requests == 1


def test_blocks_without_client_ids_are_refused_before_posting(sb):
    block = sms_block(("79801234567", "1"))
    block["phones"].append({"phone": "79801234568"})
    with pytest.raises(InputError, match="block 1, phone 2 has no client_id_message"):
        sb.client().send_document([block])
    assert sb.requests == 0


def test_wrong_path_is_not_retried(sb):
    client = tsf.Client(sb.login, sb.password, url=sb.url.replace(".php", ".asp"))
    with pytest.raises(ProviderError, match="HTTP 404"):
        client.fetch_state(["1"])


def test_connection_refused_is_not_received():
    with tsf.sandbox() as sb:
        url, login, password = sb.url, sb.login, sb.password
    client = tsf.Client(
        login, password, url=url, retry=tsf.default_retry(attempts=2, sleep=lambda s: None)
    )
    with pytest.raises(TransportError) as caught:
        client.fetch_state(["1"])
    assert caught.value.maybe_received is False and "did not receive it" in str(caught.value)


# -- reading answers -----------------------------------------------------------------------


def test_send_rows_of_the_documented_answer_shape():
    blocks = [
        {
            "name_delivery": "A",
            "phones": [
                {"phone": "79801234567", "client_id_message": "111"},
                {"phone": "79800000001", "client_id_message": "112"},
            ],
        },
        {"name_delivery": "B", "phones": [{"phone": "79800000002", "client_id_message": "113"}]},
        {"name_delivery": "C", "phones": [{"phone": "79800000003", "client_id_message": "114"}]},
    ]
    answer = {
        "message": [
            [
                {
                    "id_message": "0000123",
                    "client_id_message": "111",
                    "phone": "79801234567",
                    "count_message": "2",
                    "id_viber": "0",
                    "id_sms": "987",
                },
                {"client_id_message": "112", "phone": "79800000001", "error": F.ERR_STOP_LIST},
            ],
            [
                {
                    "id_message": "124",
                    "client_id_message": "113",
                    "phone": "79800000002",
                    "count_message": "1",
                    "id_viber": "555",
                    "id_sms": "0",
                },
            ],
            {"error": "Текст ошибки"},
        ]
    }
    rows = answers.send_rows(blocks, answer)
    assert [(r["client_id_message"], r["outcome"], r["id_message"], r["error"]) for r in rows] == [
        ("111", "accepted", "0000123", None),
        ("112", "rejected", None, F.ERR_STOP_LIST),
        ("113", "accepted", "124", None),
        ("114", "rejected", None, "Текст ошибки"),
    ]
    assert (rows[0]["id_viber"], rows[0]["id_sms"], rows[0]["count_message"]) == (None, "987", 2)
    assert (rows[2]["id_viber"], rows[2]["id_sms"], rows[2]["name_delivery"]) == ("555", None, "B")


def test_send_rows_for_a_short_or_broken_answer():
    blocks = [
        {
            "phones": [
                {"phone": "79801234567", "client_id_message": "1"},
                {"phone": "79801234568", "client_id_message": "2"},
            ]
        },
        {"phones": [{"phone": "79801234569", "client_id_message": "3"}]},
    ]
    answer = {"message": [[{"id_message": "9", "client_id_message": "1", "phone": "79801234567"}]]}
    rows = answers.send_rows(blocks, answer)
    assert [(r["outcome"], r["error"]) for r in rows] == [
        ("accepted", None),
        ("unknown", answers.NO_PHONE_RESULT),
        ("unknown", answers.NO_BLOCK_RESULT),
    ]


def test_state_rows_of_the_documented_answer_shape():
    answer = {
        "state": [
            {
                "id_message": "111",
                "time_change_state": "2017-11-23 13:15:25",
                "state": "deliver",
                "state_sms": "send",
                "state_viber": "deliver",
                "num_parts_sms": "0",
                "price_sms": "0.00",
                "price_viber": "1.20",
            },
            {
                "id_message": "112",
                "time_change_state": "",
                "state": F.ERR_UNKNOWN_ID,
                "state_sms": "",
                "state_viber": "",
                "num_parts_sms": "",
                "price_sms": "",
                "price_viber": "",
            },
            {
                "id_message": "113",
                "time_change_state": "2017-11-23 13:16:00",
                "state": "send",
                "state_sms": "send",
                "state_viber": "send",
                "num_parts_sms": "2",
                "price_sms": "5.00",
                "price_viber": "0",
            },
        ]
    }
    deliver, unknown, pending = answers.state_rows(answer)
    assert deliver["state"] == "deliver" and deliver["final"] and deliver["error"] is None
    assert deliver["price_viber"] == 1.20 and deliver["num_parts_sms"] == 0
    assert deliver["time_change_state"] == "2017-11-23 13:15:25"
    assert unknown["state"] is None and unknown["final"] and unknown["error"] == F.ERR_UNKNOWN_ID
    assert unknown["time_change_state"] is None and unknown["price_sms"] is None
    assert pending["state"] == "send" and not pending["final"] and pending["num_parts_sms"] == 2


def test_fetch_state_through_the_sandbox(sb):
    client = sb.client()
    rows = client.send_document(campaign(2))
    states = client.fetch_state([rows[0]["id_message"], "1"])
    assert states[0]["id_message"] == rows[0]["id_message"] and states[0]["state"] == "send"
    assert states[1]["error"] == F.ERR_UNKNOWN_ID
    assert client.fetch_state([]) == [] and sb.requests == 2


# -- configuration and secrets -------------------------------------------------------------


def test_plain_http_to_a_remote_host_is_refused():
    with pytest.raises(ConfigError, match="clear text"):
        tsf.Client("me", "pw", url="http://sms.example.com/sendmessagejson.php")
    tsf.Client("me", "pw", url="http://sms.example.com/x.php", allow_http=True)
    tsf.Client("me", "pw", url="http://localhost:8080/x.php")
    tsf.Client("me", "pw", url="http://[::1]:8080/x.php")
    with pytest.raises(ConfigError):
        tsf.Client("me", "pw", url="ftp://sms.example.com/")


def test_tls_verification_is_on_by_default(sb):
    client = tsf.Client("me", "pw")
    assert client.verify is True and client.url == F.DEFAULT_URL
    session = RecordingSession()
    sb.client(session=session).fetch_state(["1"])
    assert session.options[0]["verify"] is True


def test_from_env(monkeypatch, sb):
    monkeypatch.delenv("TARGETSMS_LOGIN", raising=False)
    monkeypatch.delenv("TARGETSMS_PASSWORD", raising=False)
    with pytest.raises(ConfigError) as caught:
        tsf.Client.from_env()
    message = str(caught.value)
    assert "TARGETSMS_LOGIN and TARGETSMS_PASSWORD not set" in message
    assert "Client(login, password)" in message
    monkeypatch.setenv("TARGETSMS_LOGIN", sb.login)
    monkeypatch.setenv("TARGETSMS_PASSWORD", sb.password)
    monkeypatch.setenv("TARGETSMS_URL", sb.url)
    client = tsf.Client.from_env()
    assert client.url == sb.url
    assert client.send_document(campaign(2))[0]["outcome"] == "accepted"


def _reachable_texts(obj, depth: int = 4, seen: set | None = None) -> list[str]:
    """The reprs of every string and bytes value reachable through attributes."""
    seen = set() if seen is None else seen
    if depth < 0 or id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, str | bytes):
        return [obj if isinstance(obj, str) else obj.decode("utf-8", "replace")]
    texts = [repr(obj)]
    if isinstance(obj, dict | list | tuple):
        items = obj.values() if isinstance(obj, dict) else obj
        for item in items:
            texts += _reachable_texts(item, depth - 1, seen)
    attributes = getattr(obj, "__dict__", None)
    if isinstance(attributes, dict):
        for value in attributes.values():
            texts += _reachable_texts(value, depth - 1, seen)
    return texts


def _texts_of(exc: BaseException) -> list[str]:
    """Every text reachable from an exception: message, args, attributes, causes."""
    texts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        texts += [str(exc), *_reachable_texts(exc.args), *_reachable_texts(vars(exc))]
        exc = exc.__cause__ or exc.__context__
    return texts


def test_the_password_never_appears_in_logs_errors_or_reprs(caplog, fast_faults):
    import http.client

    password = "Pa55-very-secret-9417"
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's debug log included
    http.client.HTTPConnection.debuglevel = 0
    texts: list[str] = []
    with tsf.sandbox(password=password, faults=fast_faults) as sb:
        client = sb.client(
            timeout=(2, 0.3), retry=tsf.default_retry(attempts=2, sleep=lambda s: None)
        )
        texts += [repr(client), str(client), repr(vars(client)), repr(client.retry)]
        for fault in FAULTS:
            sb.inject(fault, fault)
            with pytest.raises(TransportError) as caught:
                client.send_document(campaign(2))
            texts += _texts_of(caught.value)
        sb.inject("drop_after")
        client.send_document(campaign(2))
        bad = tsf.Client(sb.login, password + "x", url=sb.url)
        with pytest.raises(AuthError) as caught:
            bad.fetch_state(["1"])
        texts += _texts_of(caught.value)
        with pytest.raises(TypeError) as caught:
            import pickle

            pickle.dumps(client)
        texts += _texts_of(caught.value)
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    assert any("urllib3" in record.name for record in caplog.records)  # the debug log was on
    leaks = [t for t in texts if password in t]
    assert leaks == []
