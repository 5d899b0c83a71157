"""The sandbox in a process of its own, driven from this one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

from .server import LEDGER_PATH, PATH


class SandboxProcess:
    """A sandbox running in a process of its own (``targetsms-frames sandbox``).

    For what an in-process sandbox cannot show: a sender killed mid-campaign, or a
    benchmark where the provider must not share the sender's interpreter.

    Args:
        options: the command's options (``"--speed", "60"``).
        latency: seconds each provider request is held (``--latency-ms``; see
            :class:`Sandbox`).

    Example:
        >>> with SandboxProcess("--speed", "60", latency=0.05) as remote:
        ...     remote.url.startswith("http://127.0.0.1:"), remote.ledger()["accepted"]
        (True, {})
    """

    def __init__(self, *options: str, latency: float = 0.0) -> None:
        if not latency >= 0:
            raise ValueError(f"latency must be 0 or more seconds, not {latency!r}")
        self.options = (*options, "--latency-ms", repr(latency * 1000)) if latency else options
        self.url = self.login = self.password = ""
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> SandboxProcess:
        command = [sys.executable, "-m", "targetsms_frames.cli", "sandbox", "--port", "0"]
        self._process = subprocess.Popen(
            [*command, *self.options],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self._process.stdout is not None  # started with stdout=PIPE
        lines = [self._process.stdout.readline().strip() for _ in range(3)]
        if not lines[0].startswith("TargetSMS sandbox listening on "):
            self.__exit__()
            raise RuntimeError(f"the sandbox process did not start: {lines[0]!r}")
        self.url = lines[0].rsplit(" ", 1)[-1]
        self.login = lines[1].split(": ", 1)[1]
        self.password = lines[2].split(": ", 1)[1]
        return self

    def __exit__(self, *exc) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None

    def client(self, **options):
        """A :class:`targetsms_frames.Client` for the process's test account."""
        from ..client import Client

        return Client(self.login, self.password, url=self.url, **options)

    def ledger(self) -> dict:
        """The test account's books, as :meth:`Ledger.to_dict` gives them."""
        # A long time: the books of millions of messages take a while to work out.
        with urllib.request.urlopen(self.url.replace(PATH, LEDGER_PATH), timeout=600) as answer:
            return json.loads(answer.read())
