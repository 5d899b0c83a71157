"""A null provider: a minimal loopback HTTP server, in its own process, that answers
every send document with a valid canned answer and every state document with final
states, as fast as it can. It lets a benchmark measure the client's own cost apart
from the sandbox's. Also the floor: encoding documents' JSON and posting them.

Answers follow the provider's shapes (every value a string): per block, one result
per phone with a fresh ``id_message`` and the posted ``client_id_message`` and phone;
per state id, ``deliver`` with a time and prices. It checks nothing but the login
and password, and keeps a ledger (``GET /_null/ledger``; ``?reset=1`` empties it):
documents, phones, distinct client ids, client ids posted more than once, state ids.
``latency`` holds each posted document that long before it is answered (as the
sandbox's own ``latency``): an ``asyncio.sleep``, so concurrent documents wait together
and the wait costs no CPU.

    with NullProvider(latency=0.05) as null:
        client = tsf.Client(null.login, null.password, url=null.url)
        ...
        null.ledger()  # {"documents": ..., "phones": ..., "distinct": ..., ...}

    python benchmarks/null_provider.py [--port 0] [--latency-ms 50]   # in the foreground
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import orjson
import requests

PATH = "/sendmessagejson.php"
LEDGER_PATH = "/_null/ledger"
LOGIN, PASSWORD = "null", "null-provider-password"
STATE_ITEM = (
    '{{"id_message":"{}","time_change_state":"2026-01-01 12:00:00","state":"deliver",'
    '"state_sms":"","state_viber":"deliver","num_parts_sms":"0","price_sms":"0",'
    '"price_viber":"1.20"}}'
)


class _Books:
    def __init__(self) -> None:
        self.next_id = 10**12  # fresh digit ids, never reused within a run of the server
        self.reset()

    def reset(self) -> None:
        self.documents = 0
        self.phones = 0
        self.client_ids: set[bytes] = set()
        self.repeated = 0
        self.state_ids = 0

    def to_dict(self) -> dict:
        return {
            "documents": self.documents,
            "phones": self.phones,
            "distinct": len(self.client_ids),
            "repeated": self.repeated,
            "state_ids": self.state_ids,
        }


BOOKS = _Books()
LATENCY = [0.0]  # seconds each posted document waits (set by --latency-ms)


# The fast path reads a document with regular expressions (in C) instead of decoding
# it: in JSON a bare `"phones":` (quotes unescaped) can only be a key, never text.
_ENTRY = re.compile(rb'\{\s*"phone":\s*"([^"]*)",\s*"client_id_message":\s*"([^"]*)"\s*\}')
_STATE = re.compile(rb'^\s*\{.*"state":\s*\[', re.S)
_ID = re.compile(rb'"id_message":\s*"([^"]*)"')
_LOGIN = re.compile(rb'"login":\s*"([^"]*)"')
_PASSWORD = re.compile(rb'"password":\s*"([^"]*)"')
_STATE_HEAD, _STATE_TAIL = (part.encode() for part in STATE_ITEM.format("\0").split("\0"))
_STATE_JOIN = _STATE_TAIL + b"," + _STATE_HEAD
_RESULT = (
    '{{"id_message":"{0}","client_id_message":"{1}","phone":"{2}","count_message":"1",'
    '"id_viber":"0","id_sms":"{0}"}}'
)
_RESULT_BYTES = (
    _RESULT.format("%d", "%s", "%s").encode()  # the same result, filled by bytes %
)


def answer(body: bytes) -> bytes:
    """The canned answer to one document (see the module docstring).

    Read with regular expressions; what they cannot read falls back to
    :func:`answer_decoded`, which decodes the JSON (both give the same answer).
    """
    login, password = _LOGIN.search(body), _PASSWORD.search(body)
    if not (login and password):
        return answer_decoded(body)
    if b'"message"' not in body and not _STATE.match(body):
        return answer_decoded(body)
    if login.group(1) != LOGIN.encode() or password.group(1) != PASSWORD.encode():
        return answer_decoded(body)
    if b'"message"' not in body:
        ids = _ID.findall(body)
        BOOKS.state_ids += len(ids)
        if not ids:
            return b'{"state":[]}'
        # One join in C: the canned item around each id (the same bytes as the format).
        return b'{"state":[' + _STATE_HEAD + _STATE_JOIN.join(ids) + _STATE_TAIL + b"]}"
    # Each block has one "phones" key; its entries are the client ids up to the next one.
    counts = [seg.count(b'"client_id_message"') for seg in body.split(b'"phones":')[1:]]
    entries = _ENTRY.findall(body)
    if not counts or len(entries) != sum(counts):
        return answer_decoded(body)  # another key order or layout: decode it
    first = BOOKS.next_id
    client_ids = [client_id for _, client_id in entries]
    _book(client_ids)
    results = [
        _RESULT_BYTES % (i, client_id, phone, i)
        for i, (phone, client_id) in zip(range(first, first + len(entries)), entries, strict=True)
    ]
    items, n = [], 0
    for count in counts:
        items.append(b"[" + b",".join(results[n : n + count]) + b"]")
        n += count
    BOOKS.next_id += n
    return b'{"message":[' + b",".join(items) + b"]}"


def _book(client_ids: list[bytes]) -> None:
    """The ledger of one send document: its phones, and which client ids came before."""
    seen = BOOKS.client_ids
    before = len(seen)
    seen.update(client_ids)
    # An id already seen, or twice in this document, did not grow the set.
    BOOKS.repeated += len(client_ids) - (len(seen) - before)
    BOOKS.documents += 1
    BOOKS.phones += len(client_ids)


def answer_decoded(body: bytes) -> bytes:
    """The same canned answer, from the decoded JSON: the reference for the fast path."""
    try:
        doc = json.loads(body)
    except ValueError:
        return '{"error":"Неправильный формат JSON документа"}'.encode()
    if not isinstance(doc, dict) or doc.get("login") != LOGIN or doc.get("password") != PASSWORD:
        return '{"error":"Неправильный логин или пароль"}'.encode()
    if "state" in doc:
        ids = [str(item.get("id_message", "")) for item in doc["state"]]
        BOOKS.state_ids += len(ids)
        return ('{"state":[' + ",".join(STATE_ITEM.format(i) for i in ids) + "]}").encode()
    items, client_ids = [], []
    first = BOOKS.next_id
    n = 0
    for block in doc.get("message", ()):
        results = []
        for phone in block.get("phones", ()):
            client_id = phone.get("client_id_message", "")
            client_ids.append(str(client_id).encode())
            results.append(_RESULT.format(first + n, client_id, phone.get("phone", "")))
            n += 1
        items.append("[" + ",".join(results) + "]")
    BOOKS.next_id += n
    _book(client_ids)
    return ('{"message":[' + ",".join(items) + "]}").encode()


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, target = request_line.split(" ")[:2]
            headers = {}
            for line in header_lines:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            body = await reader.readexactly(length) if length else b""
            if method == "GET" and target.split("?")[0] == LEDGER_PATH:
                payload = json.dumps(BOOKS.to_dict()).encode()
                if "reset=1" in target:
                    BOOKS.reset()
            elif method == "POST" and target.split("?")[0] == PATH:
                if LATENCY[0]:
                    await asyncio.sleep(LATENCY[0])
                payload = answer(body)
            else:
                payload = b'{"error":"not found"}'
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _main(port: int) -> None:
    server = await asyncio.start_server(_serve_connection, "127.0.0.1", port, backlog=128)
    bound = server.sockets[0].getsockname()[1]
    print(f"null provider listening on http://127.0.0.1:{bound}{PATH}", flush=True)
    async with server:
        await server.serve_forever()


class NullProvider:
    """The null provider in a process of its own, as a context manager."""

    login, password = LOGIN, PASSWORD

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency

    def __enter__(self) -> NullProvider:
        delay = ["--latency-ms", repr(self.latency * 1000)] if self.latency else []
        self._process = subprocess.Popen(
            [sys.executable, __file__, "--port", "0", *delay],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = self._process.stdout.readline().strip()
        if not line.startswith("null provider listening on "):
            self.__exit__()
            raise RuntimeError(f"the null provider did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[-1]
        return self

    def __exit__(self, *exc) -> None:
        self._process.terminate()
        self._process.wait(timeout=30)
        self._process.stdout.close()

    def ledger(self, reset: bool = False) -> dict:
        """What the server saw since the last reset (and, with ``reset``, start afresh)."""
        address = self.url.replace(PATH, LEDGER_PATH) + ("?reset=1" if reset else "")
        with urllib.request.urlopen(address, timeout=60) as reply:
            return json.loads(reply.read())


def floor(documents: list[dict], url: str, login: str, password: str) -> tuple[int, float]:
    """The floor of a send: encode each document's JSON (orjson) and post it, one Session,
    one thread.

    Returns (phones posted, seconds). The answers are read but not decoded.
    """
    session = requests.Session()
    headers = {"Content-Type": "application/json; charset=utf-8"}
    phones = 0
    started = time.perf_counter()
    for doc in documents:
        body = orjson.dumps({"login": login, "password": password, **doc})
        reply = session.post(url, data=body, headers=headers, timeout=60)
        reply.raise_for_status()
        phones += sum(len(block["phones"]) for block in doc["message"])
    return phones, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8708, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay per document")
    args = parser.parse_args()
    LATENCY[0] = args.latency_ms / 1000
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args.port))


if __name__ == "__main__":
    main()
