"""Kill a sending child process with SIGKILL once the sandbox has accepted enough."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def send_and_kill(remote, child_source: str, journal: Path, at_least: int) -> int:
    """Run ``child_source`` (argv: url, login, password, journal) and kill it with
    SIGKILL once the sandbox's ledger holds ``at_least`` accepted messages.

    Returns how many were accepted when it died; fails if the child finished first.
    """
    script = journal.with_name("child.py")
    script.write_text(child_source.format(tests=os.path.dirname(__file__)))
    child = subprocess.Popen(
        [sys.executable, str(script), remote.url, remote.login, remote.password, str(journal)],
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(remote.ledger()["accepted"]) < at_least:
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL, "the send finished before it could be killed"
    return len(remote.ledger()["accepted"])
