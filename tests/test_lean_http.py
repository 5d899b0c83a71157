"""The lean poster (lean_http) against requests' own path: the same answers, the same
exceptions and texts, for good and hostile servers; and it steps aside whenever
requests would do something it does not (a session passed in or changed, a proxy)."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from functools import partial

import pytest
import requests

import targetsms_frames as tsf
from targetsms_frames.retrying import default_retry
from tests.loopback import Loopback, json_reply

DOC = {
    "message": [
        {
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": "Hi",
            "phones": [{"phone": "79801234567", "client_id_message": "1"}],
        }
    ]
}
OK = {
    "message": [
        [
            {
                "id_message": "7",
                "client_id_message": "1",
                "phone": "79801234567",
                "count_message": "1",
                "id_viber": "0",
                "id_sms": "7",
            }
        ]
    ]
}


def _clients(url: str) -> tuple[tsf.Client, tsf.Client]:
    """(lean: the client's own session, careful: a session passed in), no waiting."""
    options = dict(url=url, timeout=(2, 0.3), retry=default_retry(attempts=2, sleep=lambda s: 0))
    lean = tsf.Client("me", "pw", **options)
    careful = tsf.Client("me", "pw", session=requests.Session(), **options)
    assert lean._lean is not None and careful._lean is None
    return lean, careful


def _outcome(call) -> tuple:
    try:
        return ("answer", call())
    except Exception as exc:
        return (type(exc).__name__, str(exc), getattr(exc, "maybe_received", None))


def _slow(seen):
    time.sleep(0.6)
    return json_reply(OK)


REPLIES = {
    "ok": lambda seen: json_reply(OK),
    "gzip": lambda seen: (200, {"Content-Encoding": "gzip"}, gzip.compress(b'{"a":"1"}')),
    "bad_gzip": lambda seen: (200, {"Content-Encoding": "gzip"}, b"not gzip at all"),
    "redirect": lambda seen: (307, {"Location": "http://127.0.0.1:1/steal"}, b""),
    "relative_redirect": lambda seen: (302, {"Location": "/x.php?password=pw"}, b""),
    "http_500": lambda seen: (500, {"Retry-After": "0"}, seen.body),
    "http_429": lambda seen: (429, {"Retry-After": "nan"}, b""),
    "http_404": lambda seen: (404, {}, seen.body),
    "not_json": lambda seen: (200, {}, b"<pre>" + seen.body),
    "document_error": lambda seen: json_reply({"error": "echo " + seen.body.decode()}),
    "auth": lambda seen: json_reply({"error": "Неправильный логин или пароль"}),
    "slow": _slow,
}


@pytest.mark.parametrize("mode", sorted(REPLIES))
def test_the_lean_path_answers_and_fails_as_requests_does(mode, monkeypatch):
    with Loopback(REPLIES[mode]) as server:
        lean, careful = _clients(server.url())
        monkeypatch.setattr(lean.session, "post", _never)  # the lean path, or it fails
        got = [_outcome(lambda c=c: c.post(DOC)) for c in (lean, careful)]
        rows = [_outcome(lambda c=c: c.send_document(DOC["message"])) for c in (lean, careful)]
        assert got[0] == got[1] and rows[0] == rows[1]
        # Both sent the same request: the same bytes and the same headers.
        first, second = server.seen[0], server.seen[len(server.seen) // 2]
        assert first.body == second.body and first.path == second.path
        assert first.headers == second.headers
        assert "pw" not in repr(got) or mode in ("document_error",)  # masked as ***


class _OwnAdapter(requests.adapters.HTTPAdapter):
    """A transport of the user's own: requests' path calls its send."""


def _never(*args, **kwargs):
    raise AssertionError("session.post was used where the lean path should post")


def _raw_server(reply: bytes, hold: float = 0.0) -> tuple[socket.socket, str]:
    """A server that reads a request and answers ``reply`` (raw bytes), then closes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                while len(body) < length:
                    body += conn.recv(65536)
                conn.sendall(reply)
                time.sleep(hold)

    threading.Thread(target=serve, daemon=True).start()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}/sendmessagejson.php"


@pytest.mark.parametrize(
    "reply, hold",
    [
        (b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"message":', 0.0),  # cut short
        (b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"message":', 1.0),  # body stalls
        (b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\nzz\r\n', 0.0),
        (b"garbage, not HTTP\r\n\r\n", 0.0),
        (b"", 0.0),  # closed without a word
    ],
    ids=["cut_short", "body_stalls", "bad_chunks", "not_http", "closed"],
)
def test_broken_transports_fail_alike(reply, hold, monkeypatch):
    listener, url = _raw_server(reply, hold)
    try:
        lean, careful = _clients(url)
        monkeypatch.setattr(lean.session, "post", _never)
        assert _outcome(lambda: lean.post(DOC)) == _outcome(lambda: careful.post(DOC))
    finally:
        listener.close()


def test_refused_and_tls_to_a_plain_server_fail_alike(monkeypatch):
    with Loopback(lambda seen: json_reply(OK)) as server:
        url = server.url()
    for address in (url, url.replace("http:", "https:")):
        lean, careful = _clients(address)
        monkeypatch.setattr(lean.session, "post", _never)
        assert _outcome(partial(lean.post, DOC)) == _outcome(partial(careful.post, DOC))


def test_the_lean_path_steps_aside_for_what_requests_would_honour(monkeypatch):
    with Loopback(lambda seen: json_reply(OK)) as server:
        lean, _ = _clients(server.url())
        assert lean._lean.usable(server.url(), True) is not None
        # A loopback proxy from the environment: requests would post through it.
        monkeypatch.setenv("HTTP_PROXY", server.url("/"))
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        assert lean._lean.usable(server.url(), True) is None
        monkeypatch.delenv("HTTP_PROXY")
        monkeypatch.delenv("http_proxy", raising=False)
        assert lean._lean.usable(server.url(), True) is not None
        for change in (
            lambda s: s.headers.update({"X-Extra": "1"}),  # headers are sent: still lean
            lambda s: s.cookies.set("c", "1"),
            lambda s: s.hooks["response"].append(lambda r, **k: r),
            lambda s: setattr(s, "auth", ("a", "b")),
            lambda s: s.mount("http://", _OwnAdapter()),  # a plain HTTPAdapter: still lean
        ):
            client, _ = _clients(server.url())
            change(client.session)
            lean_now = client._lean.usable(server.url(), True) is not None
            assert lean_now == ("X-Extra" in client.session.headers)
            assert client.post(DOC) == OK
            if "X-Extra" in client.session.headers:
                assert server.seen[-1].headers["X-Extra"] == "1"
        replaced, _ = _clients(server.url())
        replaced.session = requests.Session()  # a session set afterwards is used as it is
        monkeypatch.setattr(replaced._lean, "post", _never)
        assert replaced.post(DOC) == OK
