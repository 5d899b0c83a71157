"""Bearer tokens end to end, the account name for journals, and the account gate seam."""

from __future__ import annotations

import json
import logging
import re

import pytest
import requests
from conftest import sms_block
from loopback import Loopback, json_reply
from test_client import _texts_of

import targetsms_frames as tsf
from targetsms_frames import fields as F
from targetsms_frames.errors import (
    AuthError,
    ConfigError,
    InputError,
    ProviderError,
    TransportError,
)

TOKEN = "tk_9f2c-very-secret-token-value"


class RecordingSession(requests.Session):
    def __init__(self):
        super().__init__()
        self.sent: list[tuple[bytes, dict]] = []

    def post(self, url, data=None, **options):
        self.sent.append((bytes(data), dict(options.get("headers") or {})))
        return super().post(url, data=data, **options)


@pytest.fixture
def token_sb():
    with tsf.sandbox(seed=1) as sb:
        sb.provider.add_token(TOKEN, sb.login)
        yield sb


# -- tokens --------------------------------------------------------------------------------


def test_a_token_client_sends_a_bearer_header_and_no_login_or_password(token_sb, caplog):
    caplog.set_level(logging.DEBUG)
    session = RecordingSession()
    client = tsf.Client(token=TOKEN, url=token_sb.url, session=session)
    rows = client.send_document([sms_block(("79801234567", "1"), ("79801234568", "2"))])
    assert [r["outcome"] for r in rows] == ["accepted", "accepted"]
    states = client.fetch_state([rows[0]["id_message"]])
    assert states[0]["state"] == "send"
    assert token_sb.ledger.accepted == {"1": 1, "2": 1}  # charged to the token's account
    for body, headers in session.sent:
        document = json.loads(body)
        assert not {"login", "password", "security"} & document.keys()
        assert headers["Authorization"] == "Bearer " + TOKEN
    texts = [repr(client), str(vars(client)), repr(session.sent[0][1])]
    texts += [record.getMessage() for record in caplog.records]
    assert [t for t in texts if TOKEN in t] == []


def test_a_wrong_or_unknown_token_is_an_auth_error(token_sb):
    with pytest.raises(AuthError) as caught:
        tsf.Client(token=TOKEN + "x", url=token_sb.url).fetch_state(["1"])
    assert caught.value.text == F.ERR_BAD_LOGIN
    assert [t for t in _texts_of(caught.value) if TOKEN in t] == []
    token_sb.block_account()
    with pytest.raises(AuthError, match=F.ERR_BLOCKED):
        tsf.Client(token=TOKEN, url=token_sb.url).fetch_state(["1"])


def test_a_password_account_still_works_beside_token_accounts(token_sb):
    assert token_sb.client().fetch_state(["1"])[0]["error"] == F.ERR_UNKNOWN_ID


def test_the_account_names_the_login_or_a_keyed_digest_of_the_token():
    url = "http://127.0.0.1:9/sendmessagejson.php"
    assert tsf.Client("me", "pw", url=url).account == "me"
    account = tsf.Client(token=TOKEN, url=url).account
    assert re.fullmatch(r"token:[0-9a-f]{16}", account)
    assert tsf.Client(token=TOKEN, url=url).account == account  # stable: a journal key
    assert tsf.Client(token=TOKEN + "2", url=url).account != account
    assert TOKEN not in account and "token='***'" in repr(tsf.Client(token=TOKEN, url=url))
    import hashlib

    assert account[6:] not in hashlib.sha256(TOKEN.encode()).hexdigest()  # keyed, not plain


@pytest.mark.parametrize(
    "options",
    [
        {"login": "me", "password": "pw", "token": TOKEN},
        {"password": "pw", "token": TOKEN},
        {"token": ""},
        {"token": "two words"},
        {"token": "ünïcode"},
        {"token": "line\nbreak"},
        {"login": "me"},
        {},
    ],
)
def test_ambiguous_or_bad_credentials_are_refused(options):
    with pytest.raises(ConfigError):
        tsf.Client(url="http://127.0.0.1:9/x.php", **options)


def test_from_env_with_a_token(monkeypatch, token_sb):
    for name in ("TARGETSMS_LOGIN", "TARGETSMS_PASSWORD", "TARGETSMS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TARGETSMS_URL", token_sb.url)
    monkeypatch.setenv("TARGETSMS_TOKEN", TOKEN)
    client = tsf.Client.from_env()
    assert client.login is None and client.account.startswith("token:")
    assert client.send_document([sms_block(("79801234567", "5"))])[0]["outcome"] == "accepted"
    monkeypatch.setenv("TARGETSMS_PASSWORD", "pw")
    with pytest.raises(ConfigError, match="TARGETSMS_TOKEN and TARGETSMS_PASSWORD"):
        tsf.Client.from_env()


# -- the gate ------------------------------------------------------------------------------


def gate_server(token: str | None = None):
    """A gate that knows one account ("me"/"pw", or the token) and answers balance."""
    calls: list[str] = []

    def respond(seen):
        if not seen.path.endswith("/sendsmsjson.php"):
            return 404, {}, b"not found"
        doc = json.loads(seen.body)
        calls.append(doc.get("type"))
        if doc.get("type") == "busy" and calls.count("busy") == 1:
            return 503, {"Retry-After": "0"}, b"busy"
        if token is not None:
            ok = seen.headers.get("Authorization") == f"Bearer {token}" and "security" not in doc
        else:
            ok = doc.get("security") == {"login": "me", "password": "pw"}
        if not ok:
            return json_reply({"error": F.ERR_BAD_LOGIN})
        if doc.get("type") == "time":
            return json_reply({"error": "Неизвестный тип запроса"})
        return json_reply({"money": {"currency": "RUR", "value": "12.50"}, "echo": doc})

    return respond


def test_gate_url_is_beside_the_endpoint_or_given():
    client = tsf.Client("me", "pw", url="https://white.label.example:8443/api/sendmessagejson.php")
    assert client.gate_url == "https://white.label.example:8443/api/sendsmsjson.php"
    given = "https://gate.example/sendsmsjson.php"
    assert tsf.Client("me", "pw", gate_url=given).gate_url == given
    for bad in ("http://gate.example/sendsmsjson.php", "https://x\\@gate.example/", "ftp://g/"):
        with pytest.raises(ConfigError):
            tsf.Client("me", "pw", gate_url=bad)


def test_post_gate_adds_security_and_returns_the_answer():
    with Loopback(gate_server()) as gate:
        client = tsf.Client("me", "pw", url=gate.url("/sendmessagejson.php"))
        answer = client.post_gate({"type": "balance"})
    assert answer["money"] == {"currency": "RUR", "value": "12.50"}
    assert answer["echo"]["type"] == "balance" and gate.seen[0].path == "/sendsmsjson.php"
    assert json.loads(gate.seen[0].body) == {
        "security": {"login": "me", "password": "pw"},
        "type": "balance",
    }
    # the gate echoed the document: what came back is scrubbed of the password
    assert answer["echo"]["security"]["password"] == "***"


def test_post_gate_with_a_token_sends_the_bearer_header_only():
    with Loopback(gate_server(token=TOKEN)) as gate:
        answer = tsf.Client(token=TOKEN, url=gate.url()).post_gate({"type": "balance"})
        assert "security" not in json.loads(gate.seen[0].body)
    assert answer["money"]["value"] == "12.50"


def test_post_gate_errors_are_typed_and_not_retried():
    with Loopback(gate_server()) as gate:
        with pytest.raises(AuthError) as caught:
            tsf.Client("me", "wrong", url=gate.url()).post_gate({"type": "balance"})
        assert caught.value.text == F.ERR_BAD_LOGIN
        with pytest.raises(ProviderError) as caught:
            tsf.Client("me", "pw", url=gate.url()).post_gate({"type": "time"})
        assert not isinstance(caught.value, AuthError)
        assert caught.value.text == "Неизвестный тип запроса"
        assert len(gate.seen) == 2


def test_post_gate_retries_with_the_same_policy_and_bytes():
    slept: list[float] = []
    with Loopback(gate_server()) as gate:
        client = tsf.Client("me", "pw", url=gate.url(), sleep=slept.append)
        assert client.post_gate({"type": "busy"})["money"]["value"] == "12.50"
        assert len(gate.seen) == 2 and gate.seen[0].body == gate.seen[1].body
    assert slept == [0.0]


def test_post_gate_is_hardened_like_post():
    redirect = Loopback(lambda seen: (302, {"Location": "http://127.0.0.1:1/x"}, b""))
    with redirect as gate, pytest.raises(ConfigError, match="redirect"):
        tsf.Client("me", "pw", url=gate.url()).post_gate({"type": "balance"})
    with Loopback(lambda seen: (200, {}, b"<html>" + seen.body)) as gate:
        client = tsf.Client(
            "me", "pw-long-secret", url=gate.url(), retry=tsf.default_retry(attempts=1)
        )
        with pytest.raises(TransportError) as caught:
            client.post_gate({"type": "balance"})
        assert [t for t in _texts_of(caught.value) if "pw-long" in t] == []
    client = tsf.Client("me", "pw", url="http://127.0.0.1:9/x.php")
    with pytest.raises(InputError, match="security"):
        client.post_gate({"type": "balance", "security": {"login": "other"}})


def test_a_netrc_entry_never_replaces_the_bearer_header(token_sb, tmp_path, monkeypatch):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login other password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    session = RecordingSession()
    client = tsf.Client(token=TOKEN, url=token_sb.url, session=session)
    assert client.fetch_state(["1"])[0]["error"] == F.ERR_UNKNOWN_ID  # not an AuthError


@pytest.mark.parametrize("empty", [None, "", "  "])
def test_an_empty_gate_error_is_no_error(empty):
    with Loopback(lambda seen: json_reply({"error": empty, "time": "2026-01-01 10:00:00"})) as gate:
        answer = tsf.Client("me", "pw", url=gate.url()).post_gate({"type": "time"})
    assert answer["time"] == "2026-01-01 10:00:00"
