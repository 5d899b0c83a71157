"""The command line in a subprocess, as the CLI tests run it."""

from __future__ import annotations

import os
import subprocess
import sys

CLI = [sys.executable, "-m", "targetsms_frames.cli"]
LOCALE = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


def run(*args, env=None, cwd=None, input="", timeout=180):
    """The CLI with no TARGETSMS_ variables and an English locale (the API's names and
    English texts, labels.py), unless ``env`` gives them; no terminal on standard input."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("TARGETSMS_") and k not in LOCALE
    }
    environment["LANG"] = "C.UTF-8"
    environment.update(env or {})
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        input=input,
        timeout=timeout,
    )
