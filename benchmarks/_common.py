"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import os
import platform
from contextlib import contextmanager

from targetsms_frames.sandbox import SandboxProcess


@contextmanager
def sandbox_process(*options: str):
    """The sandbox in its own process; yields (url, login, password)."""
    with SandboxProcess(*options) as remote:
        yield remote.url, remote.login, remote.password


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
