"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from contextlib import contextmanager


@contextmanager
def sandbox_process(*args: str):
    """The sandbox in its own process; yields (url, login, password)."""
    command = [sys.executable, "-m", "targetsms_frames.cli", "sandbox", "--port", "0", *args]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    try:
        url = proc.stdout.readline().strip().rsplit(" ", 1)[-1]
        login = proc.stdout.readline().strip().split(": ", 1)[1]
        password = proc.stdout.readline().strip().split(": ", 1)[1]
        yield url, login, password
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
