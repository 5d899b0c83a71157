"""The client under a hostile or broken server: redirects, odd URLs, echoed bodies."""

from __future__ import annotations

import base64
import html
import json
import logging
import math
import traceback
import unicodedata
import zipfile
from urllib.parse import quote, quote_plus

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from loopback import Loopback, json_reply
from test_client import _texts_of

import targetsms_frames as tsf
from targetsms_frames import fields as F
from targetsms_frames.errors import (
    ConfigError,
    InputError,
    ProviderError,
    TargetSMSError,
    TransportError,
)
from targetsms_frames.redact import Scrubber, SecretBytes

PASSWORD = "Pa55-very-secret-9417"
ODD_PASSWORD = 'q"uo\\te-ß-sécret/%20'
# What json_encode (\\/), HTML escaping (&amp; &lt; &quot; &#39;) and percent-encoding
# (+ or %20 for a space) all rewrite, and characters outside ASCII, outside the BMP too.
WILD_PASSWORD = "pa/ss \"w<rd>&+'жё-😀"
TOKEN = "tok-Zx81-very-secret-token"
ODD_TOKEN = "tok/EN+ab&c<d>\"9Zq'x"  # a token is printable ASCII without spaces
SECRET_KINDS = ["password", "odd", "wild", "token", "odd_token"]
NO_WAIT = {"sleep": lambda s: None}


def sms(*pairs) -> list[dict]:
    return [
        {
            "send_sms": "1",
            "sender_sms": "Shop",
            "text_sms": "Hi",
            "phones": [{"phone": p, "client_id_message": c} for p, c in pairs],
        }
    ]


def accepted_answer(seen) -> dict:
    """A valid send answer for whatever was posted (what a lying host would return)."""
    doc = json.loads(seen.body or b"{}")
    return {
        "message": [
            [
                {"id_message": str(900 + k), "client_id_message": p["client_id_message"]}
                for k, p in enumerate(block.get("phones", []))
            ]
            for block in doc.get("message", [])
        ]
    }


# -- redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed_and_names_its_target(status):
    with (
        Loopback(lambda seen: json_reply(accepted_answer(seen))) as elsewhere,
        Loopback(lambda seen: (status, {"Location": elsewhere.url("/steal")}, b"")) as provider,
    ):
        client = tsf.Client("me", PASSWORD, url=provider.url(), **NO_WAIT)
        with pytest.raises(ConfigError) as caught:
            client.send_document(sms(("79801234567", "1")))
        message = str(caught.value)
        assert f"HTTP {status}" in message and elsewhere.url("") in message
        assert "/steal" not in message and PASSWORD not in message
        assert elsewhere.seen == []  # the second host never got the body
        assert len(provider.seen) == 1  # and a redirect is not retried


def test_a_redirect_stops_send_before_anything_is_marked_accepted():
    with (
        Loopback(lambda seen: json_reply(accepted_answer(seen))) as elsewhere,
        Loopback(lambda seen: (307, {"Location": elsewhere.url()}, b"")) as provider,
    ):
        plan = tsf.plan(
            pd.DataFrame(
                {"phone": ["79801234567"], "send_sms": "1", "sender_sms": "S", "text_sms": "x"}
            ),
            campaign="redirect",
        )
        with pytest.raises(ConfigError, match=r"redirect to http://127\.0\.0\.1:"):
            tsf.send(plan, tsf.Client("me", PASSWORD, url=provider.url()), progress=False)
        assert elsewhere.seen == []


def test_a_relative_redirect_names_the_same_host():
    with Loopback(lambda seen: (302, {"Location": "/other.php?password=x"}, b"")) as provider:
        client = tsf.Client("me", PASSWORD, url=provider.url())
        with pytest.raises(ConfigError) as caught:
            client.fetch_state(["1"])
        assert provider.url("") in str(caught.value) and "password=x" not in str(caught.value)


# -- URLs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example:80\\@127.0.0.1/sendmessagejson.php",
        "http://evil.example\\@localhost/",
        "http://127.0.0.1\\evil.example/",
        "http://user:pw@127.0.0.1/sendmessagejson.php",
        "http://evil.example@127.0.0.1/",
        "https://127.0.0.1@evil.example/",
        "http://evil.example#@127.0.0.1/",
        "http://127.0.0.1 /x.php",
        "http://127.0.0.1/x.php\n",
        "http://127.0.0.1/\tx.php",
        "http://127.0.0.1\x00.evil.example/",
        "http://127.0.0.1/\x7fx",
        "http://127.0.0.1/\x85x",
        "http://127.0.0.1/\u00a0x",
        "http://127.0.0.1.evil.example/x.php",
        "http://localhost.evil.example/x.php",
        "http://127.0.0.1:99999/x.php",
        "ftp://127.0.0.1/x.php",
        "//127.0.0.1/x.php",
        "",
    ],
)
def test_urls_two_parsers_could_read_differently_are_refused(url):
    with pytest.raises(ConfigError):
        tsf.Client("me", PASSWORD, url=url, allow_http=False)
    if "\\" in url or "@" in url or any(c.isspace() or ord(c) < 32 for c in url):
        with pytest.raises(ConfigError):  # refused outright, whatever allow_http says
            tsf.Client("me", PASSWORD, url=url, allow_http=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/sendmessagejson.php",
        "http://localhost:8080/x.php",
        "HTTP://LOCALHOST/x.php",
        "http://[::1]:8080/x.php",
        "http://127.1.2.3/x.php",
        "https://sms.targetsms.ru/sendmessagejson.php",
    ],
)
def test_plain_addresses_are_accepted(url):
    assert tsf.Client("me", PASSWORD, url=url).url == url


def test_the_backslash_url_would_have_posted_to_the_other_host():
    # Why the rule exists: requests reads this URL's host as evil.example, urlsplit as
    # 127.0.0.1. The client decides from what requests would use, and refuses it anyway.
    import requests

    url = "http://evil.example:80\\@127.0.0.1/sendmessagejson.php"
    assert requests.Request("POST", url).prepare().url.startswith("http://evil.example:80/")
    with pytest.raises(ConfigError, match="backslash"):
        tsf.Client("me", PASSWORD, url=url)


# -- echoed bodies and the secret scans ----------------------------------------------------


def _echo(mode: str):
    """A server that puts what it was sent (body and Authorization) into its answer."""

    def respond(seen):
        auth = seen.headers.get("Authorization", "")
        echoed = "echo: " + seen.body.decode("utf-8", "replace") + " " + auth
        doc = json.loads(seen.body)
        phones = [p for b in doc.get("message", []) for p in b["phones"]]
        latin = echoed.encode("latin-1", "replace").decode("latin-1")
        if mode == "text":
            return 200, {"Content-Type": "text/plain"}, echoed.encode()
        if mode == "head":  # the first bytes only: a cut-short secret
            return 200, {"Content-Type": "text/plain"}, seen.body[:40]
        if mode == "document_error":
            return json_reply({"error": echoed})
        if mode == "header_5xx":
            return 503, {"Retry-After": latin[:200], "X-Echo": latin[:200]}, seen.body
        if mode == "redirect":
            return 307, {"Location": "http://127.0.0.1:1/?" + latin[:200]}, seen.body
        if mode == "phone_error":
            results = [
                {"client_id_message": p["client_id_message"], "error": echoed} for p in phones
            ]
            return json_reply({"message": [results]})
        if mode == "php_error":  # PHP's json_encode: "\\/", \\uXXXX, JSON_HEX_TAG|AMP|QUOT
            results = [
                {"client_id_message": p["client_id_message"], "error": _php(echoed)} for p in phones
            ]
            return json_reply({"message": [results]})
        if mode == "html_error":  # HTML-escaped: named, decimal and hex entities
            results = [
                {"client_id_message": p["client_id_message"], "error": _entities(echoed)}
                for p in phones
            ]
            return json_reply({"message": [results]})
        if mode == "block_error":
            return json_reply({"message": [{"error": echoed}]})
        if mode == "bad_ids":
            fields = ("id_message", "id_viber", "count_message")
            rows = [{"client_id_message": p["client_id_message"]} for p in phones]
            for k, row in enumerate(rows):
                row.update({"id_message": "1", "id_viber": "2", "count_message": "1"})
                row[fields[k % 3]] = echoed
            return json_reply({"message": [rows]})
        if mode == "state":
            items = [
                {"id_message": "5", "state": echoed},
                {"id_message": "6", "state": "deliver", "time_change_state": echoed},
                {"id_message": echoed, "state": "send", "price_sms": echoed},
            ]
            return json_reply({"state": items})
        raise AssertionError(mode)

    return respond


def _php(text: str) -> str:
    """A text as PHP's json_encode spells it inside a string, then kept as text by a server."""
    escaped = json.dumps(text)[1:-1].replace("/", "\\/")
    for char, code in (("<", "\\u003C"), (">", "\\u003E"), ("&", "\\u0026"), ("'", "\\u0027")):
        escaped = escaped.replace(char, code)
    return escaped.replace('\\"', "\\u0022")


def _entities(text: str) -> str:
    """A text HTML-escaped the ways servers do: named, decimal and hex entities mixed."""
    named = html.escape(text).replace("&#x27;", "&#39;")
    return named.replace("/", "&#x2F;").replace("+", "&#43;").replace("ж", "&zhcy;")


ECHO_MODES = [
    "text",
    "php_error",
    "html_error",
    "head",
    "document_error",
    "header_5xx",
    "redirect",
    "phone_error",
    "block_error",
    "bad_ids",
    "state",
]


def _client(secret_kind: str, url: str, **options) -> tuple[tsf.Client, str]:
    options.setdefault("retry", tsf.default_retry(attempts=2, sleep=lambda s: None))
    if secret_kind in ("token", "odd_token"):
        token = TOKEN if secret_kind == "token" else ODD_TOKEN
        return tsf.Client(token=token, url=url, **options), token
    password = {"odd": ODD_PASSWORD, "wild": WILD_PASSWORD}.get(secret_kind, PASSWORD)
    return tsf.Client("me", password, url=url, **options), password


def _leaks(texts, secret: str) -> list[str]:
    """The texts that hold the secret, or its first 8 characters, in a spelling we know of."""
    forms = set()
    for part in (secret, secret[:8]):
        forms |= {part, json.dumps(part)[1:-1], json.dumps(part, ensure_ascii=False)[1:-1]}
        forms |= {_php(part), _entities(part), html.escape(part), quote(part, safe="")}
        forms |= {quote_plus(part), repr(part)[1:-1]}
    forms.add(base64.b64encode(secret.encode()).decode()[:-4])
    return [t for t in texts if any(f in t for f in forms)]


def _locals_texts(exc: BaseException) -> list[str]:
    """What an error tracker would capture: every frame's locals, through the chain.

    The frames of this test module are left out: they hold the secret on purpose.
    """
    texts: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        frames = [
            (frame, line)
            for frame, line in traceback.walk_tb(exc.__traceback__)
            if frame.f_code.co_filename != __file__
        ]
        summary = traceback.StackSummary.extract(frames, capture_locals=True)
        texts += summary.format()
        for frame, _ in frames:
            for value in frame.f_locals.values():
                texts.append(repr(value))
                if isinstance(value, dict | list | tuple | set):
                    items = value.values() if isinstance(value, dict) else value
                    texts += [repr(v) for v in items]
        exc = exc.__cause__ or exc.__context__
    assert texts  # the scan saw frames
    return texts


@pytest.mark.parametrize("secret_kind", SECRET_KINDS)
@pytest.mark.parametrize("mode", ECHO_MODES)
def test_an_echoed_request_never_brings_the_secret_back(mode, secret_kind, caplog):
    caplog.set_level(logging.DEBUG)  # every logger at every level
    texts: list[str] = []
    with Loopback(_echo(mode)) as server:
        client, secret = _client(secret_kind, server.url())
        assert secret not in repr(client) and secret not in repr(vars(client))
        try:
            if mode == "state":
                rows = client.fetch_state(["5", "6", "7"])
            else:
                rows = client.send_document(sms(("79801234567", "11"), ("79801234568", "12")))
        except TargetSMSError as exc:
            rows = []
            texts += _texts_of(exc) + _locals_texts(exc)
        else:
            assert mode in (
                "phone_error",
                "php_error",
                "html_error",
                "block_error",
                "bad_ids",
                "state",
            )
            assert all(row["error"] for row in rows)
            texts += [repr(row) for row in rows]
            assert not any(r.get("outcome") == "accepted" and not r.get("id_message") for r in rows)
    texts += [r.getMessage() for r in caplog.records] + [repr(r.args) for r in caplog.records]
    assert server.seen  # the server did see the secret: the test is not vacuous
    assert _leaks(texts, secret) == []


@pytest.mark.parametrize("mode", ["phone_error", "php_error", "html_error", "text"])
@pytest.mark.parametrize("secret_kind", SECRET_KINDS)
def test_echoed_errors_stay_out_of_the_frame_journal_and_workbook(mode, secret_kind, tmp_path):
    with Loopback(_echo(mode)) as server:
        client, secret = _client(secret_kind, server.url())
        recipients = pd.DataFrame(
            {"phone": ["79801234567", "79801234568"], "send_sms": "1", "sender_sms": "Shop"}
            | {"text_sms": "Hi"}
        )
        plan = tsf.plan(recipients, campaign="echo")
        journal = tmp_path / "echo.journal"
        # The echo server is no account gate: this test is about the send answer's echo.
        sent = tsf.send(plan, client, journal=journal, progress=False, preflight=False)
    outcome = "unknown" if mode == "text" else "rejected"
    assert (sent["outcome"] == outcome).all()
    # A text answer is shown by its first 40 characters: the body's password is in them,
    # the token (echoed from the header, at the end) is not.
    if mode != "text" or "token" not in secret_kind:
        assert sent["error"].str.contains("***", regex=False).all()
    assert _leaks([sent.to_csv()], secret) == []
    assert _leaks([journal.read_bytes().decode("utf-8", "replace")], secret) == []
    workbook = tmp_path / "sent.xlsx"
    tsf.to_excel(workbook, sent=sent)
    with zipfile.ZipFile(workbook) as book:
        xml = "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    assert _leaks([html.unescape(xml)], secret) == []


def test_every_exception_path_keeps_the_password_out_of_frame_locals():
    def hang(seen):
        import time

        time.sleep(0.6)
        return json_reply({})

    answers = {
        "redirect": lambda seen: (308, {"Location": "http://127.0.0.1:1/"}, b""),
        "not_json": lambda seen: (200, {}, b"<pre>" + seen.body),
        "nested": lambda seen: (200, {}, b"[" * 200_000 + b"]" * 200_000),
        "http_500": lambda seen: (500, {"Retry-After": "nan"}, seen.body),
        "auth": lambda seen: json_reply({"error": F.ERR_BAD_LOGIN}),
        "provider": lambda seen: json_reply({"error": seen.body.decode()}),
        "not_found": lambda seen: (404, {}, seen.body),
        "slow": hang,
    }
    caught: list[BaseException] = []
    for respond in answers.values():
        with Loopback(respond) as server:
            url = server.url()
            caught.append(_raised(lambda url=url: _send_one(url, timeout=(2, 0.3))))
    with Loopback(lambda seen: json_reply({})) as server:
        https = server.url().replace("http:", "https:")  # TLS to a plain server
        caught.append(_raised(lambda: _send_one(https)))
    gone = server.url()  # the server is gone: connection refused
    caught.append(_raised(lambda: _send_one(gone)))
    caught.append(_raised(lambda: _send_one("http://127.0.0.1:9/x.php", payload=object())))
    kinds = [type(e).__name__ for e in caught]
    assert kinds == [
        "ConfigError",  # redirect
        "TransportError",  # not JSON
        "TransportError",  # nested
        "TransportError",  # HTTP 500
        "AuthError",
        "ProviderError",
        "ProviderError",  # 404
        "TransportError",  # slow
        "ConfigError",  # TLS
        "TransportError",  # refused
        "TypeError",  # a payload that is not JSON: no secret nearby
    ]
    for exc in caught:
        # What an error tracker captures, as the standard library formats it ...
        shown = traceback.TracebackException(
            type(exc), exc, exc.__traceback__, capture_locals=True
        ).format(chain=True)
        assert _leaks(["".join(shown)], PASSWORD) == [], type(exc)
        # ... and every frame's locals through the chain, containers opened.
        assert _leaks(_locals_texts(exc), PASSWORD) == [], type(exc)


def _send_one(url: str, payload=None, **options) -> None:
    client = _client("password", url, **options)[0]
    if payload is not None:
        client.post({"state": payload})
    client.send_document(sms(("79801234567", "1")))


def _raised(call) -> BaseException:
    """The exception a call raises, caught here so the traceback starts in this frame."""
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("no exception")


def test_the_body_object_masks_itself_where_requests_keeps_it():
    body = SecretBytes(b'{"password":"' + PASSWORD.encode() + b'"}')
    import requests

    prepared = requests.Request("POST", "http://127.0.0.1/", data=body).prepare()
    assert prepared.body == body and PASSWORD not in repr(prepared.body)
    assert PASSWORD not in f"{body} {body!r} {body!s}"


def test_the_scrubber_masks_every_spelling_and_cut_short_secrets():
    scrub = Scrubber([ODD_PASSWORD])
    for spelling in (
        ODD_PASSWORD,
        json.dumps(ODD_PASSWORD)[1:-1],
        json.dumps(ODD_PASSWORD, ensure_ascii=False)[1:-1],
        repr(ODD_PASSWORD)[1:-1],
    ):
        assert scrub(f"before {spelling} after") == "before *** after"
    assert scrub('the body starts q"uo\\te-ß') == "the body starts ***"
    assert ODD_PASSWORD[:10] not in scrub.clip("x" * 30 + ODD_PASSWORD, 38)


SPELLINGS = {
    "raw": lambda s: s,
    "JSON": lambda s: json.dumps(s)[1:-1],
    "JSON, UTF-8": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    "PHP json_encode": _php,
    "PHP, UTF-8": lambda s: json.dumps(s, ensure_ascii=False)[1:-1].replace("/", "\\/"),
    "every character \\uXXXX": lambda s: (
        json.dumps(s)[1:-1]
        and "".join(json.dumps(c)[1:-1] if ord(c) > 0xFFFF else f"\\u{ord(c):04x}" for c in s)
    ),
    "JSON in JSON": lambda s: json.dumps(json.dumps(s)[1:-1])[1:-1],
    "HTML": html.escape,
    "HTML, mixed entities": _entities,
    "HTML twice": lambda s: html.escape(html.escape(s)),
    "HTML then JSON": lambda s: _php(html.escape(json.dumps(s)[1:-1])),
    "decimal entities": lambda s: "".join(f"&#{ord(c)};" for c in s),
    "hex entities": lambda s: "".join(f"&#X{ord(c):X};" for c in s),
    "percent, %20": lambda s: quote(s, safe=""),
    "percent, +": quote_plus,
    "percent twice": lambda s: quote(quote(s, safe=""), safe=""),
    "repr": lambda s: repr(s)[1:-1],
    "ascii": lambda s: ascii(s)[1:-1],
    "upper case": str.upper,
    "NFD": lambda s: unicodedata.normalize("NFD", s),
    "UTF-8 read as cp1251": lambda s: s.encode().decode("cp1251", "replace"),
    "Latin-1 with ?": lambda s: s.encode("latin-1", "replace").decode("latin-1"),
    "hex dump": lambda s: s.encode().hex(),
    "Basic auth": lambda s: "Basic " + base64.b64encode(b"me:" + s.encode()).decode(),
    "base64url": lambda s: base64.urlsafe_b64encode(b"xy" + s.encode()).decode(),
}


WHOLE_ONLY = {"hex dump", "Basic auth", "base64url"}


@pytest.mark.parametrize("secret", [ODD_PASSWORD, WILD_PASSWORD, ODD_TOKEN, "пароль с пробелом"])
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_a_server_may_echo_is_masked(spelling, secret):
    scrub = Scrubber([secret])
    spelled = SPELLINGS[spelling](secret)
    shown = scrub(f"echo {spelled} end")
    assert shown.startswith("echo ") and shown.endswith(" end") and "***" in shown
    if "base64" not in spelling and "Basic" not in spelling:
        assert shown == "echo *** end"
    # In a decoded answer too: JSON strings that hold the spelling, as keys and values.
    answer = json.loads(json.dumps({"e": [f"x {spelled} y"], spelled: 1}))
    cleaned = json.dumps(scrub.deep(answer, json.dumps(answer).encode()), ensure_ascii=False)
    assert spelled not in cleaned and "***" in cleaned
    if spelling in WHOLE_ONLY:  # an encoding of the whole value, not of each character
        return
    # Cut short at either end of a text: its first or last 6 characters, spelled.
    assert scrub("head " + SPELLINGS[spelling](secret[:6])) == "head ***"
    assert scrub(SPELLINGS[spelling](secret[-6:]) + " tail") == "*** tail"


@settings(max_examples=60, deadline=None)
@given(
    secret=st.text(min_size=5, max_size=24).filter(lambda s: s.strip() == s and "*" not in s),
    spelling=st.sampled_from(sorted(set(SPELLINGS) - {"Basic auth", "base64url"})),
    before=st.text(max_size=10),
)
def test_any_secret_in_any_spelling_is_masked(secret, spelling, before):
    spelled = SPELLINGS[spelling](secret)
    shown = Scrubber([secret])(f"{before}<{spelled}>")
    assert spelled not in shown and "***" in shown


def test_a_document_cannot_smuggle_credentials():
    client = tsf.Client("me", PASSWORD, url="http://127.0.0.1:9/x.php")
    for key in ("login", "password", "security"):
        with pytest.raises(InputError, match=key):
            client.post({key: "other", "state": []})


# -- malformed answers over HTTP -----------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-5", "1e400", "1e9", "NaN", "soon"])
def test_a_strange_retry_after_never_breaks_the_sleep(value):
    calls = {"n": 0}

    def respond(seen):
        calls["n"] += 1
        if calls["n"] == 1:
            return 503, {"Retry-After": value}, b"busy"
        return json_reply(accepted_answer(seen))

    slept: list[float] = []
    with Loopback(respond) as server:
        client = tsf.Client("me", PASSWORD, url=server.url(), sleep=slept.append)
        rows = client.send_document(sms(("79801234567", "1")))
    assert rows[0]["outcome"] == "accepted"
    assert len(slept) == 1 and math.isfinite(slept[0]) and 0 <= slept[0] <= 60


def test_deeply_nested_json_is_a_clear_error_for_that_document():
    deep = b'{"message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with Loopback(lambda seen: (200, {}, deep)) as server:
        client = tsf.Client("me", PASSWORD, url=server.url(), **NO_WAIT)
        client.retry = tsf.default_retry(attempts=2, sleep=lambda s: None)
        with pytest.raises(TransportError, match="nested too deeply") as caught:
            client.send_document(sms(("79801234567", "1")))
    assert caught.value.maybe_received and caught.value.attempts == 2


def test_one_bad_result_never_aborts_the_campaign():
    def respond(seen):
        doc = json.loads(seen.body)
        results = []
        for k, phone in enumerate(doc["message"][0]["phones"]):
            bad = ["１２３", "12a", "²"][k // 2 % 3]
            results.append(
                {
                    "client_id_message": phone["client_id_message"],
                    "id_message": bad if k % 2 == 0 else str(1000 + k),
                    "count_message": "²" if k % 2 else "1",
                    "error": None if k % 3 else "",
                }
            )
        return json_reply({"message": [results]})

    with Loopback(respond) as server:
        client = tsf.Client("me", PASSWORD, url=server.url())
        rows = client.send_document(sms(*[(str(79801234560 + k), str(k + 1)) for k in range(6)]))
    assert [r["outcome"] for r in rows] == ["unknown", "accepted"] * 3
    assert [r["id_message"] for r in rows] == [None, "1001", None, "1003", None, "1005"]
    assert "'１２３'" in rows[0]["error"] and "'12a'" in rows[2]["error"]
    assert all(r["count_message"] is None and "'²'" in r["error"] for r in rows[1::2])


def test_a_gate_document_error_is_typed():
    with Loopback(lambda seen: json_reply({"error": "Что-то не так"})) as server:
        client = tsf.Client("me", PASSWORD, url=server.url())
        with pytest.raises(ProviderError) as caught:
            client.post_gate({"type": "balance"})
    assert caught.value.text == "Что-то не так"


def test_plain_http_through_a_remote_proxy_is_refused(monkeypatch):
    url = "http://127.0.0.1:9/sendmessagejson.php"
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(ConfigError, match=r"proxy at proxy\.example"):
        tsf.Client("me", PASSWORD, url=url)
    tsf.Client("me", PASSWORD, url=url, allow_http=True)  # said so explicitly
    tsf.Client("me", PASSWORD, url=url.replace("http:", "https:"))  # a CONNECT tunnel
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    tsf.Client("me", PASSWORD, url=url)


def test_a_redirect_to_a_host_named_like_the_password_does_not_reveal_it():
    location = f"http://{PASSWORD}.evil.example/"  # comes back lowercased as a host
    with Loopback(lambda seen: (307, {"Location": location}, b"")) as server:
        exc = _raised(lambda: _send_one(server.url()))
    assert isinstance(exc, ConfigError) and ".evil.example" in str(exc)
    assert PASSWORD.lower() not in str(exc).lower()


def test_a_hostile_run_of_escapes_is_scrubbed_in_linear_time():
    import time

    scrub = Scrubber([WILD_PASSWORD])
    for filler in ("\\", "%25", "&amp;", "&#", "pa/ss \\"):
        text = "pa" + filler * (200_000 // len(filler)) + "y"
        # CPU time, not wall time: the promise is about the work, and a shared machine's
        # load stretches the wall clock without the scrubber doing any more of it.
        start = time.process_time()
        scrub.deep({"a": text}, json.dumps({"a": text}).encode())
        scrub(text)
        assert time.process_time() - start < 3, filler  # quadratic would take minutes
