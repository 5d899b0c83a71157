"""Helpers shared by the benchmark scripts: processes, the machine, result rows."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from targetsms_frames.sandbox import SandboxProcess

HERE = Path(__file__).parent


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) used so far by a process: this one (``pid`` None, all
    its threads) or another one, read from /proc (NaN where there is no /proc)."""
    if pid is None:
        return time.process_time()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    # "pid (comm) state ppid ...": utime and stime are the 12th and 13th after "comm)".
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def sandbox_process(*options: str, latency: float = 0.0):
    """The sandbox in its own process (each request held ``latency`` seconds); yields
    (url, login, password, remote)."""
    with SandboxProcess(*options, latency=latency) as remote:
        yield remote.url, remote.login, remote.password, remote


def _first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def machine() -> str:
    """Cores, CPU model and RAM of this machine."""
    ram_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    ram = f"{int(ram_kb) / 2**20:.1f} GB RAM" if ram_kb.isdigit() else "RAM ?"
    model = _first("/proc/cpuinfo", "model name")
    if model == "?":
        model = platform.processor() or platform.machine()
    return f"{os.cpu_count()} cores, {model}, {ram}"


def versions() -> str:
    """Python, pandas, pyarrow and the package."""
    import pandas as pd
    import pyarrow as pa

    import targetsms_frames as tsf

    return (
        f"Python {platform.python_version()}, pandas {pd.__version__}, "
        f"pyarrow {pa.__version__}, targetsms_frames {tsf.__version__}"
    )


def child(script: str, *args: str) -> dict:
    """Run a benchmark script in a fresh process; its last stdout line is JSON."""
    out = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        capture_output=True,
        text=True,
        cwd=HERE,
    )
    if out.returncode != 0:
        raise SystemExit(f"{script} {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def median(values) -> float:
    return statistics.median(values)


def digest(values) -> str:
    """A short digest of a sequence of values, in order."""
    h = hashlib.blake2b(digest_size=8)
    for v in values:
        h.update(b"\x00" if v is None else str(v).encode())
        h.update(b"\n")
    return h.hexdigest()


def row(
    figure: str,
    measured: str,
    baseline: str = "",
    ratio: str = "",
    target: str = "",
    ok: bool | None = None,
    checked: str = "",
    kind: str = "absolute",
) -> dict:
    """One line of the results table.

    ``kind`` says how far the figure travels: "ratio" (measured against a baseline or
    floor in the same run: portable) or "absolute" (this machine, this load only).
    """
    return {
        "kind": kind,
        "figure": figure,
        "measured": measured,
        "baseline": baseline,
        "ratio": ratio,
        "target": target,
        "ok": ok,
        "checked": checked,
    }


def emit(rows: list[dict], as_json: bool) -> None:
    """Print result rows: JSON on one line (for run_all), or readable lines."""
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        verdict = {True: "pass", False: "FAIL", None: ""}[r["ok"]]
        print(
            f"{r['figure']}: {r['measured']} | {r['baseline']} | {r['ratio']} | "
            f"{r['target']} {verdict} | {r['checked']}"
        )
