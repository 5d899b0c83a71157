"""A loopback proxy, in its own process, that holds each request for a fixed time
before forwarding it: a provider across the internet (about 50 ms a request), in
front of the sandbox. The sandbox has no latency option, and the delay belongs to
the benchmark, not to the package.

Each client connection gets its own thread and its own keep-alive connection to the
upstream, so concurrent requests wait concurrently, as they would over a network.

    with LatencyProxy(sandbox_url, seconds=0.05) as proxy:
        client = tsf.Client(login, password, url=proxy.url)

    python benchmarks/latency_proxy.py UPSTREAM_URL [--ms 50] [--port 0]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args) -> None:
        pass

    def _upstream(self) -> http.client.HTTPConnection:
        local = self.server.local
        if getattr(local, "connection", None) is None:
            local.connection = http.client.HTTPConnection(
                self.server.upstream_host, self.server.upstream_port, timeout=600
            )
        return local.connection

    def _forward(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        time.sleep(self.server.delay)
        headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
        for attempt in (1, 2):  # a keep-alive connection the upstream closed: open a new one
            connection = self._upstream()
            try:
                connection.request(method, self.path, body=body, headers=headers)
                reply = connection.getresponse()
                payload = reply.read()
                break
            except (ConnectionError, http.client.HTTPException):
                connection.close()
                self.server.local.connection = None
                if attempt == 2:
                    raise
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.getheader("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        self._forward("POST")

    def do_GET(self) -> None:
        self._forward("GET")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    delay: float
    upstream_host: str
    upstream_port: int
    local: threading.local


class LatencyProxy:
    """The proxy in a process of its own; ``.url`` is the upstream URL through it."""

    def __init__(self, upstream: str, seconds: float = 0.05) -> None:
        self.upstream, self.seconds = upstream, seconds

    def __enter__(self) -> LatencyProxy:
        command = [sys.executable, __file__, self.upstream, "--ms", str(self.seconds * 1000)]
        self._process = subprocess.Popen(
            [*command, "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = self._process.stdout.readline().strip()
        if not line.startswith("latency proxy listening on "):
            self.__exit__()
            raise RuntimeError(f"the latency proxy did not start: {line!r}")
        port = int(line.rsplit(":", 1)[-1])
        parts = urlsplit(self.upstream)
        self.url = parts._replace(netloc=f"127.0.0.1:{port}").geturl()
        return self

    @property
    def pid(self) -> int:
        """The proxy process's id (to read its CPU time)."""
        return self._process.pid

    def __exit__(self, *exc) -> None:
        self._process.terminate()
        self._process.wait(timeout=30)
        self._process.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("upstream", help="the URL to forward to (loopback)")
    parser.add_argument("--ms", type=float, default=50.0, help="delay per request")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    parts = urlsplit(args.upstream)
    server = _Server(("127.0.0.1", args.port), _Handler)
    server.delay = args.ms / 1000
    server.upstream_host, server.upstream_port = parts.hostname, parts.port or 80
    server.local = threading.local()
    print(f"latency proxy listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
