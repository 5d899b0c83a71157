"""send and fetch_states: against the null provider (beside the floor), and against
the sandbox behind 50 ms of latency (beside the competent batched loop).

Null provider (its own process): ``tsf.send`` with the journal on, then
``fetch_states``, and in the same run the floor (encode each document's JSON and post
it over loopback, one Session). Latency: the sandbox (its own process) holding every
request 50 ms itself (its ``latency`` option: a sleep in the request's thread, no CPU,
as a provider across the internet costs this machine none); ``tsf.send`` (its workers)
against the batched loop (1,000 phones per POST, one Session, one thread), and the
per-row loop on a small sample, extrapolated. The null provider's informative row holds
its documents the same way. Every run checks its output: outcomes and ids in the
frames, and the null provider's or the sandbox's ledger.

    python benchmarks/bench_send.py [--rows 1000000] [--runs 3] [--latency-rows 100000]
        [--latency-ms 50] [--per-row-sample 100] [--workers N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
import requests
from _common import cpu_seconds, emit, median, row, sandbox_process
from baseline_send import batched_send, per_row_send, sample
from campaign import TEMPLATES, recipients
from null_provider import NullProvider, floor

import targetsms_frames as tsf

SEND_TARGET = 100_000
FLOOR_FACTOR = 3
STATES_TARGET = 200_000
LATENCY_RATIO = 10
TIME = "%Y-%m-%d %H:%M:%S"  # time_change_state


def _check_sent(sent, plan) -> None:
    assert len(sent) == len(plan) and sent.index.equals(plan.index)
    assert sent["outcome"].eq("accepted").all(), sent["outcome"].value_counts().to_dict()
    ids = sent["id_message"]
    assert ids.str.fullmatch(r"\d+").all() and ids.is_unique, "id_message: digits, unique"
    assert sent["client_id_message"].equals(plan["client_id_message"])


def _workers(workers: dict) -> str:
    return f"{workers['workers']} workers" if workers else "its default workers"


def states_loop(ids: list[str], url: str, login: str, password: str) -> tuple[int, float]:
    """The competent loop for states: 1,000 ids a POST, one Session, one thread, json, and
    one DataFrame of the answers' items with times and numbers converted (nothing checked).

    Returns (ids in the frame, seconds).
    """
    session = requests.Session()
    items: list = []
    started = time.perf_counter()
    for k in range(0, len(ids), 1000):
        asked = [{"id_message": i} for i in ids[k : k + 1000]]
        body = json.dumps({"login": login, "password": password, "state": asked})
        items += session.post(url, data=body.encode(), timeout=60).json()["state"]
    frame = pd.DataFrame(items)
    frame["time_change_state"] = pd.to_datetime(frame["time_change_state"], format=TIME)
    for column in ("num_parts_sms", "price_sms", "price_viber"):
        frame[column] = pd.to_numeric(frame[column])
    seconds = time.perf_counter() - started
    assert frame["id_message"].tolist() == ids
    return len(frame), seconds


def null_provider(rows: int, runs: int, workers: dict) -> list[dict]:
    plan = tsf.plan(recipients(rows), TEMPLATES, campaign="bench-null")
    assert plan["problem"].isna().all()
    sends, floors, states_rates, states_loops = [], [], [], []
    with NullProvider() as null:
        client = tsf.Client(null.login, null.password, url=null.url)
        docs = tsf.documents(plan)
        for _ in range(runs):
            null.ledger(reset=True)
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                # The null provider has no account gate (and the baselines ask none).
                sent = tsf.send(
                    plan,
                    client,
                    journal=Path(tmp) / "j.journal",
                    progress=False,
                    preflight=False,
                    **workers,
                )
                sends.append(rows / (time.perf_counter() - started))
            _check_sent(sent, plan)
            books = null.ledger(reset=True)
            assert books["phones"] == books["distinct"] == rows and books["repeated"] == 0, books

            posted, seconds = floor(docs, null.url, null.login, null.password)
            books = null.ledger(reset=True)
            assert posted == books["phones"] == rows, books
            floors.append(rows / seconds)

            started = time.perf_counter()
            states = tsf.fetch_states(sent["id_message"], client, progress=False, **workers)
            states_rates.append(rows / (time.perf_counter() - started))
            assert states["final"].all() and states["state"].eq("deliver").all()
            assert states["id_message"].equals(sent["id_message"])
            assert null.ledger(reset=True)["state_ids"] == rows
            looped, seconds = states_loop(
                sent["id_message"].tolist(), null.url, null.login, null.password
            )
            assert looped == rows == null.ledger(reset=True)["state_ids"]
            states_loops.append(rows / seconds)
            del sent, states
    send_rate, floor_rate, states_rate = median(sends), median(floors), median(states_rates)
    loop_rate = median(states_loops)
    times_floor = floor_rate / send_rate
    runs_text = f"median of {runs}"
    return [
        row(
            f"send ({_workers(workers)}) → null provider, journal on, {rows:,} rows "
            f"(recipients/s, {runs_text})",
            f"{send_rate:,.0f}/s",
            f"floor {floor_rate:,.0f}/s (orjson of the documents + POST, one Session)",
            f"{times_floor:.1f}× slower than the floor",
            f"≥ {SEND_TARGET:,}/s and ≤ {FLOOR_FACTOR}× the floor",
            send_rate >= SEND_TARGET and times_floor <= FLOOR_FACTOR,
            "all accepted; id_message digits, unique; null ledger: every client id once",
            kind="absolute rate; ratio to the floor",
        ),
        row(
            f"fetch_states → null provider, {rows:,} ids (ids/s, {runs_text})",
            f"{states_rate:,.0f}/s",
            f"batched loop {loop_rate:,.0f}/s (1,000 ids a POST, one Session, nothing checked)",
            f"{states_rate / loop_rate:.1f}×",
            f"≥ {STATES_TARGET:,}/s",
            states_rate >= STATES_TARGET,
            "every id final, in order; null ledger: every id asked once (both)",
            kind="absolute rate; ratio to the loop",
        ),
    ]


def latency(rows: int, runs: int, ms: float, per_row_rows: int, workers: dict) -> list[dict]:
    people = recipients(rows, seed=7)
    sends, loops = [], []
    with sandbox_process("--balance", "100000000000", latency=ms / 1000) as held:
        url, login, password, remote = held
        client = tsf.Client(login, password, url=url)
        accepted_before = 0

        def ledger_grew_by(n: int) -> None:
            nonlocal accepted_before
            accepted = len(remote.ledger()["accepted"])
            assert accepted - accepted_before == n, (accepted, accepted_before, n)
            accepted_before = accepted

        # CPU time of the two processes on this machine's cores while send runs: what
        # bounds any concurrency here (a real provider's CPU is not on this machine).
        pids = {"client": None, "sandbox": remote._process.pid}
        cpu = dict.fromkeys(pids, 0.0)
        for run in range(runs):
            plan = tsf.plan(people, TEMPLATES, campaign=f"bench-latency-send-{run}")
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            started = time.perf_counter()
            sent = tsf.send(plan, client, progress=False, **workers)
            sends.append(rows / (time.perf_counter() - started))
            for name, pid in pids.items():
                cpu[name] += cpu_seconds(pid) - before[name]
            _check_sent(sent, plan)
            ledger_grew_by(rows)

            plan = tsf.plan(people, TEMPLATES, campaign=f"bench-latency-loop-{run}")
            accepted, seconds = batched_send(plan, url, login, password)
            assert accepted == rows, accepted
            ledger_grew_by(rows)
            loops.append(rows / seconds)

        plan = tsf.plan(people, TEMPLATES, campaign="bench-latency-per-row")
        small = sample(plan, per_row_rows)
        accepted, seconds = per_row_send(small, url, login, password)
        assert accepted == len(small), accepted
        ledger_grew_by(len(small))
    per_row_rate = accepted / seconds
    send_rate, loop_rate = median(sends), median(loops)
    ratio = send_rate / loop_rate
    where = f"sandbox + {ms:g} ms a request"
    per_row = {name: seconds / (rows * runs) for name, seconds in cpu.items()}
    cores = os.cpu_count() or 1
    # Work-conserving bound: all CPU on every core, none idle, the processes in parallel.
    ceiling = min(cores / sum(per_row.values()), 1 / max(per_row.values()))
    return [
        row(
            f"send ({_workers(workers)}) → {where}, {rows:,} rows (recipients/s, median of {runs})",
            f"{send_rate:,.0f}/s",
            f"batched loop {loop_rate:,.0f}/s (1,000 phones a POST, one Session, one thread)",
            f"{ratio:.1f}×",
            f"≥ {LATENCY_RATIO}×",
            ratio >= LATENCY_RATIO,
            "all accepted, ids digits and unique; sandbox ledger grew by the rows (both)",
            kind="ratio",
        ),
        row(
            f"bound: CPU per recipient while send ran ({cores} cores, "
            "the two processes on this machine)",
            ", ".join(f"{name} {per_row[name] * 1e6:.1f} µs" for name in pids),
            f"ceiling {ceiling:,.0f}/s with every core busy",
            f"{ceiling / loop_rate:.1f}× the loop",
            "(what the target needs of this machine)",
            None,
            "CPU from the processes' own counters (/proc), summed over the send runs",
            kind="ratio (bound)",
        ),
        row(
            f"reference: per-row loop → {where} (one requests.post per recipient)",
            f"send is {send_rate / per_row_rate:,.0f}× faster",
            f"per-row loop {per_row_rate:,.1f}/s, measured on {len(small):,} rows; "
            f"{rows:,} rows extrapolated: {rows / per_row_rate / 60:,.0f} min",
            f"{send_rate / per_row_rate:,.0f}×",
            "(reference only)",
            None,
            "sample all accepted; sandbox ledger grew by the sample",
            kind="ratio (extrapolated)",
        ),
    ]


def latency_null(rows: int, runs: int, ms: float, workers: dict) -> list[dict]:
    """The same comparison with the null provider behind the delay: what concurrency can
    give when the provider is not the limit (informative; the target is the sandbox's)."""
    plan = tsf.plan(recipients(rows, seed=7), TEMPLATES, campaign="bench-latency-null")
    sends, loops = [], []
    with NullProvider(latency=ms / 1000) as null:
        client = tsf.Client(null.login, null.password, url=null.url)
        for _ in range(runs):
            null.ledger(reset=True)
            started = time.perf_counter()
            sent = tsf.send(plan, client, progress=False, preflight=False, **workers)
            sends.append(rows / (time.perf_counter() - started))
            _check_sent(sent, plan)
            books = null.ledger(reset=True)
            assert books["phones"] == books["distinct"] == rows, books
            accepted, seconds = batched_send(plan, null.url, null.login, null.password)
            assert accepted == rows == null.ledger(reset=True)["distinct"], accepted
            loops.append(rows / seconds)
    send_rate, loop_rate = median(sends), median(loops)
    return [
        row(
            f"informative: send ({_workers(workers)}) → null provider + {ms:g} ms a request, "
            f"{rows:,} rows (recipients/s, median of {runs})",
            f"{send_rate:,.0f}/s",
            f"batched loop {loop_rate:,.0f}/s",
            f"{send_rate / loop_rate:.1f}×",
            "(what concurrency gives when the provider is not the limit)",
            None,
            "all accepted, ids digits and unique; null ledger: every client id once (both)",
            kind="ratio",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-rows", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--per-row-sample", type=int, default=100)
    parser.add_argument("--workers", type=int, help="send's workers (default: the package's)")
    parser.add_argument("--skip", choices=["null", "latency"], help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="one JSON line (for run_all)")
    args = parser.parse_args()
    workers = {"workers": args.workers} if args.workers else {}
    out = []
    if args.skip != "null":
        out += null_provider(args.rows, args.runs, workers)
    if args.skip != "latency":
        out += latency(
            min(args.latency_rows, args.rows),
            args.runs,
            args.latency_ms,
            args.per_row_sample,
            workers,
        )
        out += latency_null(min(args.latency_rows, args.rows), args.runs, args.latency_ms, workers)
    emit(out, args.json)


if __name__ == "__main__":
    main()
