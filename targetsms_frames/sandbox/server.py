"""The sandbox over real HTTP on loopback, with faults on demand."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import random
import secrets
import socket
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .. import fields as F
from . import gate
from .provider import DEFAULT_VK_TEMPLATES, Ledger, Provider
from .wire import dumps

PATH = "/sendmessagejson.php"
GATE_PATH = "/" + F.GATE_PATH_SEGMENT
LEDGER_PATH = "/_sandbox/ledger"

FAULTS: tuple[str, ...] = (
    "drop_before",  # the connection is closed before the document is read: nothing happened
    "drop_after",  # the document takes effect, then the connection is closed: answer lost
    "http_500",
    "http_502",
    "http_503",  # an HTTP error with Retry-After; the document is not processed
    "slow",  # the document takes effect, the answer comes after the client gave up
    "html",  # an HTML error page with status 200 instead of JSON; not processed
    "truncated",  # the document takes effect, the JSON answer is cut short
)
FAULTS_AFTER_EFFECT = frozenset({"drop_after", "slow", "truncated"})

_HTML_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


class Faults:
    """Which fault, if any, the next request gets: first from the script, then by chance.

    Args:
        rate: the chance that a request (once the script is used up) gets a fault.
        kinds: the faults drawn from when ``rate`` strikes.
        script: faults for the next requests, in order; ``None`` means a normal answer.
        seed: fixes the draws.
        retry_after: seconds sent in the Retry-After header of HTTP errors.
        slow_seconds: how late a ``slow`` answer comes.
    """

    def __init__(
        self,
        rate: float = 0.0,
        kinds: Iterable[str] = FAULTS,
        *,
        script: Iterable[str | None] = (),
        seed: int = 0,
        retry_after: float = 1,
        slow_seconds: float = 2.0,
    ) -> None:
        self.kinds = tuple(kinds)
        for kind in (*self.kinds, *(k for k in script if k)):
            if kind not in FAULTS:
                raise ValueError(f"unknown fault {kind!r}; choose from {', '.join(FAULTS)}")
        self.rate = rate
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self._script: deque[str | None] = deque(script)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.injected: Counter = Counter()

    def inject(self, *kinds: str | None) -> None:
        """Queue faults for the next requests (``None`` for a normal answer in between)."""
        for kind in kinds:
            if kind and kind not in FAULTS:
                raise ValueError(f"unknown fault {kind!r}; choose from {', '.join(FAULTS)}")
        with self._lock:
            self._script.extend(kinds)

    def next(self) -> str | None:
        with self._lock:
            if self._script:
                kind = self._script.popleft()
            elif self.rate and self._random.random() < self.rate:
                kind = self._random.choice(self.kinds)
            else:
                kind = None
            if kind:
                self.injected[kind] += 1
            return kind


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TargetSMS-sandbox/1.0"
    server: _Server

    def log_message(self, format, *args) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.split("?")[0] == LEDGER_PATH:
            # Not part of the provider's API: lets a test read the books of a sandbox
            # that runs in another process.
            self._reply_json(self.server.sandbox.ledger.to_dict())
            return
        if self.path.split("?")[0] != PATH:
            self._reply(404, b"not found", "text/plain")
            return
        self._travel()
        self._reply_json({"error": F.ERR_NO_POST})

    def _travel(self) -> None:
        """Hold a provider request for the sandbox's latency, as a network would.

        Here, in the request's own thread, holding no lock (``time.sleep`` lets the GIL
        go too): concurrent requests wait concurrently, and the wait costs no CPU.
        """
        latency = self.server.sandbox.latency
        if latency:
            time.sleep(latency)

    def do_POST(self) -> None:
        path = self.path.split("?")[0]
        if path not in (PATH, GATE_PATH):
            self._reply(404, b"not found", "text/plain")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self._travel()
        sandbox = self.server.sandbox
        if path == GATE_PATH:
            # Counted apart and never faulted, so the faults a test scripts for its send
            # documents are not used up by the preflight that send() runs first.
            sandbox.gate_requests += 1
            gate_answer = gate.handle(sandbox.provider, body, self.headers.get("Authorization", ""))
            self._reply_json(gate_answer)
            return
        sandbox.requests += 1
        fault = sandbox.faults.next()
        if fault == "drop_before":
            self._drop()
            return
        if fault in ("http_500", "http_502", "http_503"):
            self._reply(
                int(fault[5:]),
                _HTML_PAGE,
                "text/html",
                {"Retry-After": f"{sandbox.faults.retry_after:g}"},
            )
            return
        if fault == "html":
            self._reply(200, _HTML_PAGE, "text/html")
            return
        answer = sandbox.provider.answer(body, self.headers)
        if fault == "drop_after":
            self._drop()
            return
        if fault == "truncated":
            answer = answer[: max(1, len(answer) // 2)]
        if fault == "slow":
            time.sleep(sandbox.faults.slow_seconds)
        self._reply(200, answer, "application/json; charset=utf-8")

    def _reply_json(self, answer: dict) -> None:
        self._reply(200, dumps(answer), "application/json; charset=utf-8")

    def _reply(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        # The status line, headers and body leave in one write (one syscall, and no small
        # header segment for Nagle's algorithm to hold against the client's delayed ACK).
        lines = [
            f"HTTP/1.1 {status} {self.responses[status][0]}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {ctype}",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
        ]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + body)
        except OSError:  # the client gave up (e.g. after its timeout)
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    sandbox: Sandbox


class Sandbox:
    """A local TargetSMS provider on a loopback port.

    Use it as a context manager (see :func:`sandbox`). Its test account's
    credentials are not secrets; they exist only in this process.

    Attributes:
        url: the endpoint to post to.
        login, password: the test account.
        provider: the provider's state (accounts, clock, tariffs).
        faults: the fault injector; ``sb.inject("drop_after")`` queues one.
        requests: documents posted so far to the cascade endpoint.
        gate_requests: documents posted so far to the account gate.
        latency: seconds each request to the provider's endpoints is held before it is
            answered, like a provider across the internet (``latency=0.05``: 50 ms);
            concurrent requests wait concurrently, and the wait uses no CPU. 0 (the
            default) answers at once. The ledger endpoint is never held.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        login: str = "sandbox",
        password: str | None = None,
        balance="100000",
        tariffs: dict | None = None,
        rates: dict | None = None,
        seed: int = 0,
        speed: float = 1.0,
        faults: Faults | None = None,
        stop_list: Iterable[str] = (),
        duplicate_answer: str = "id",
        host: str = "127.0.0.1",
        senders: dict[str, str] | None = None,
        any_originator: bool = True,
        zone: int = 0,
        vk_templates: Iterable[str] = DEFAULT_VK_TEMPLATES,
        latency: float = 0.0,
    ) -> None:
        if not 0 <= latency < float("inf"):  # (NaN too)
            raise ValueError(f"latency must be 0 or more seconds, and finite, not {latency!r}")
        self.latency = float(latency)
        self.provider = Provider(
            tariffs=tariffs,
            rates=rates,
            seed=seed,
            speed=speed,
            duplicate_answer=duplicate_answer,
            vk_templates=vk_templates,
        )
        self.login = login
        self.password = password or "sandbox-" + secrets.token_hex(6)
        account = self.provider.add_account(
            self.login, self.password, balance=balance, stop_list=stop_list
        )
        # The account gate: SMS senders {name: order/completed/rejected}, whether any
        # sender is allowed (the default, so existing flows work), the clock's zone.
        account.originators = dict(senders or {})
        account.any_originator = any_originator
        account.zone = zone
        self.faults = faults or Faults()
        self.requests = 0
        self.gate_requests = 0
        self._host, self._port = host, port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = self.url if self._server else "stopped"
        return f"<Sandbox {state} login={self.login!r}>"

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not running; use `with sandbox() as sb:`")
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}{PATH}"

    @property
    def gate_url(self) -> str:
        """The account gate (``sendsmsjson.php``) beside :attr:`url`."""
        return self.url.replace(PATH, GATE_PATH)

    @property
    def account(self):
        """The test account's settings (``any_originator``, ``originators``, ``zone``)."""
        return self.provider.accounts[self.login]

    @property
    def ledger(self) -> Ledger:
        """A snapshot of the test account's books (accepted ids, charges, balance)."""
        return self.provider.ledger(self.login)

    def inject(self, *kinds: str | None) -> None:
        """Make the next requests fail in these ways, in order."""
        self.faults.inject(*kinds)

    def advance(self, *, seconds: float = 0, minutes: float = 0, hours: float = 0) -> None:
        """Move sandbox time forward at once."""
        self.provider.advance(seconds + 60 * minutes + 3600 * hours)

    def block_account(self, blocked: bool = True) -> None:
        self.provider.accounts[self.login].blocked = blocked

    def client(self, **options):
        """A :class:`targetsms_frames.Client` for the test account, retries without waiting."""
        from ..client import Client

        options.setdefault("sleep", lambda seconds: None)
        return Client(self.login, self.password, url=self.url, **options)

    def start(self) -> Sandbox:
        if self._server is None:
            server = _Server((self._host, self._port), _Handler)
            server.sandbox = self
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def serve_forever(self) -> None:
        """Run in the foreground until interrupted (the command-line sandbox).

        The process is the sandbox's own, so the messages it makes (which live as long
        as it does) are moved out of the garbage collector's sight once made: a full
        collection then no longer walks millions of them (``Provider.freeze_made``).
        And it keeps the memory a document freed for the next (:func:`_keep_freed_memory`).
        """
        self.provider.freeze_made = True
        _keep_freed_memory()
        self.start()
        try:
            while self._thread and self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _keep_freed_memory() -> None:
    """Let glibc's malloc keep freed memory rather than hand it back to the system.

    A document's body, its text and its answer are a few megabytes, allocated and freed
    per request: returned to the system each time (trimmed, or unmapped), they came
    back as fresh pages, zeroed by the kernel on first touch: a third of the process's
    page faults. Only in a process that is the sandbox's alone (the setting is
    process-wide); elsewhere than glibc, nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # another C library (musl has no mallopt)
        return
    mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)  # glibc's largest: blocks below it from the heap
    mallopt(_M_TRIM_THRESHOLD, 256 * 2**20)  # free space kept at the heap's top


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h


def sandbox(**options) -> Sandbox:
    """A local TargetSMS provider on a free loopback port, as a context manager.

    Takes the options of :class:`Sandbox` (``balance``, ``tariffs``, ``rates``,
    ``seed``, ``speed``, ``faults``, ``stop_list``, ``latency``, ...).

    Example:
        >>> import targetsms_frames as tsf
        >>> with tsf.sandbox(speed=3600) as sb:
        ...     sb.url.startswith("http://127.0.0.1:")
        True
    """
    return Sandbox(**options)
