"""A sandbox whose account outlives the process: the command line's ``--sandbox``.

``send --sandbox``, then ``states --sandbox --wait``, then ``send --sandbox`` again
must meet the same provider: the same account, the messages sent before, their
states and the money. The state file (JSON lines) keeps what is needed to rebuild
it: the account and its clock on the first line, then every send document that
was posted, with the sandbox time it was handled at. Opening the file replays
those documents at their times; the provider's rules are deterministic (ids,
fates and charges follow the seed, the phone and the order of documents), so the
replay rebuilds exactly the books that were there. The clock goes on across
runs, ``speed`` times faster than real time.

The file holds the sandbox account's test password (not a secret; it exists only
for this sandbox) and the documents' phones and texts, like the journal does.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from .provider import Provider
from .server import Sandbox

VERSION = 1


class _ReplayableProvider(Provider):
    """A provider whose clock continues a saved one and that records each send document."""

    def __init__(
        self,
        *,
        epoch: float,
        real0: float,
        record: Callable[..., None] | None,  # PersistentSandbox._append
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._epoch, self._real0 = epoch, real0
        self._record = record
        self._fixed: float | None = None
        # One document at a time: the order documents are handled in is the order
        # they are written, so the replay makes the same ids.
        self._serial = threading.Lock()

    def now(self) -> float:
        if self._fixed is not None:
            return self._fixed
        return self._epoch + (time.time() - self._real0) * self.speed + self._offset

    def _respond(self, body: bytes, headers: Any = None) -> dict | bytes:  # as Provider's
        with self._serial:
            at = self.now()
            self._fixed = at
            try:
                answer = super()._respond(body, headers)
            finally:
                self._fixed = None
            if b'"message"' in body and self._record is not None:
                self._record(at, body)
            return answer

    def record_gate(self, at: float, login: str, deleted: list[str]) -> None:
        """A schedule deletion through the account gate: kept, so it is replayed too."""
        if self._record is not None:
            self._record(at, None, cancel={"login": login, "id_sms": deleted})

    def replay(self, at: float, body: bytes) -> None:
        with self._serial:
            self._fixed = at
            try:
                super()._respond(body)
            finally:
                self._fixed = None


class PersistentSandbox(Sandbox):
    """A :class:`Sandbox` whose account, messages, money and clock live in a file.

    The first run creates the file (a new test password, the port it got); later runs
    replay it and listen on the same port when it is free, so a journal written
    against it stays valid.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "targetsms-sandbox.state")
        >>> with PersistentSandbox(path) as sb:
        ...     sent = sb.client().send_document([{"send_sms": "1", "sender_sms": "Shop",
        ...         "text_sms": "Hi", "phones": [{"phone": "79801234567",
        ...         "client_id_message": "1"}]}])
        >>> with PersistentSandbox(path) as sb:
        ...     dict(sb.ledger.accepted)
        {'1': 1}
    """

    def __init__(self, path: str | os.PathLike, *, speed: float = 3600.0, **options: Any) -> None:
        self.path = os.fspath(path)
        lines = _read_lines(self.path)
        if lines:
            head = lines[0]
            if head.get("version") != VERSION:
                raise ValueError(f"{self.path} is not a sandbox state file this version can read")
        else:
            head = {
                "version": VERSION,
                "login": "sandbox",
                "password": "sandbox-" + secrets.token_hex(6),
                "seed": 0,
                "speed": speed,
                "balance": "100000",
                "epoch": time.time(),
                "real0": time.time(),
                "port": 0,
            }
        super().__init__(
            login=head["login"],
            password=head["password"],
            balance=head["balance"],
            seed=head["seed"],
            speed=head["speed"],
            port=head["port"],
            **options,
        )
        self._head = head
        self._lock_file = threading.Lock()
        provider = _ReplayableProvider(
            epoch=head["epoch"],
            real0=head["real0"],
            record=None,
            tariffs=options.get("tariffs"),
            seed=head["seed"],
            speed=head["speed"],
        )
        provider.add_account(head["login"], head["password"], balance=head["balance"])
        for entry in lines[1:]:
            if "cancel" in entry:  # a deletion through the account gate (gate.py)
                from .gate import replay_cancel

                with provider._lock:
                    provider._settle(entry["at"])
                    cancel = entry["cancel"]
                    replay_cancel(provider, cancel["login"], cancel["id_sms"], entry["at"])
                continue
            provider.replay(entry["at"], entry["body"].encode())
        provider._record = self._append
        self.provider = provider
        if not lines:
            self._write_head()

    def _write_head(self) -> None:
        with open(self.path, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(self._head) + "\n")

    def _append(self, at: float, body: bytes | None, cancel: dict | None = None) -> None:
        entry = {"at": at, "cancel": cancel} if body is None else {"at": at, "body": body.decode()}
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock_file, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def start(self) -> PersistentSandbox:
        try:
            super().start()
        except OSError:  # the saved port is taken: any free one will do
            self._port = 0
            super().start()
        server = self._server
        if server is None:  # start() leaves a server running or raises
            raise RuntimeError("the persistent sandbox did not start")
        port = server.server_address[1]
        if port != self._head["port"]:
            self._head["port"] = port
            lines = _read_lines(self.path)[1:]
            self._write_head()
            with open(self.path, "a", encoding="utf-8") as handle:
                for entry in lines:
                    handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return self


def _read_lines(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        try:
            return [json.loads(line) for line in handle if line.strip()]
        except ValueError as exc:
            raise ValueError(f"{path} is not a sandbox state file: {exc}") from exc
