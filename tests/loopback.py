"""A tiny scriptable HTTP server on 127.0.0.1, for answers the sandbox would never give."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = tuple[int, dict, bytes]


class Seen:
    """One request as the server received it."""

    def __init__(self, method: str, path: str, headers: dict, body: bytes) -> None:
        self.method, self.path, self.headers, self.body = method, path, headers, body


class Loopback:
    """Serve ``respond(seen) -> (status, headers, body)``; remember every request.

    Use as a context manager; ``url(path)`` is an address on this server.
    """

    def __init__(self, respond: Callable[[Seen], Reply]) -> None:
        self.respond = respond
        self.seen: list[Seen] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, dict(self.headers), body)
                outer.seen.append(seen)
                status, headers, payload = outer.respond(seen)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str = "/sendmessagejson.php") -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def __enter__(self) -> Loopback:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def json_reply(answer, status: int = 200, **headers) -> Reply:
    return status, {"Content-Type": "application/json", **headers}, json.dumps(answer).encode()
