"""send and fetch_states for a large campaign against the sandbox in its own process.

Prints, from one run: send rate end to end (journal on) beside the naive baseline's
rate on a sample, fetch_states rate, and the memory of the sent and states frames.
Targets on a 2-core machine: send ≥ 20,000 recipients/s and ≥ 20× the naive rate;
fetch_states ≥ 50,000 ids/s; sent + states frames ≤ 500 MB for 1,000,000 rows.

    python benchmarks/bench_pipeline.py [--rows 1000000] [--naive-sample 1000] [--runs 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _common import machine, sandbox_process
from campaign import TEMPLATES, recipients
from naive import naive_send

import targetsms_frames as tsf

SEND_TARGET = 20_000
RATIO_TARGET = 20
STATES_TARGET = 50_000
MEMORY_TARGET_MB = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-sample", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1, help="send/states runs (medians)")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    people = recipients(args.rows)
    send_rates, state_rates = [], []
    with sandbox_process("--balance", "100000000000") as (url, login, password):
        client = tsf.Client(login, password, url=url, pool_size=args.workers * 2)
        for run in range(args.runs):
            plan = tsf.plan(people, TEMPLATES, campaign=f"bench-{run}")
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                sent = tsf.send(
                    plan,
                    client,
                    journal=Path(tmp) / "bench.journal",
                    workers=args.workers,
                    progress=False,
                )
                send_rates.append(len(plan) / (time.perf_counter() - started))
            assert sent["outcome"].eq("accepted").all()
            started = time.perf_counter()
            states = tsf.fetch_states(
                sent["id_message"], client, workers=args.workers, progress=False
            )
            state_rates.append(len(states) / (time.perf_counter() - started))
            assert states["state"].notna().all()
        sample = recipients(args.naive_sample, seed=99)
        accepted, seconds = naive_send(sample, TEMPLATES, url, login, password)
        assert accepted == len(sample)
    naive_rate = accepted / seconds
    memory_mb = (sent.memory_usage(deep=True).sum() + states.memory_usage(deep=True).sum()) / 2**20
    send_rate, state_rate = statistics.median(send_rates), statistics.median(state_rates)
    ratio = send_rate / naive_rate

    def verdict(ok: bool) -> str:
        return "meets" if ok else "MISSES"

    print(f"pipeline against the sandbox process ({machine()}), {args.rows:,} recipients")
    print(
        f"  send (journal on, {args.workers} workers): {send_rate:,.0f} recipients/s "
        f"(target ≥ {SEND_TARGET:,}: {verdict(send_rate >= SEND_TARGET)})"
    )
    print(
        f"  naive per-row baseline on {len(sample):,} rows: {naive_rate:,.0f} recipients/s; "
        f"send is {ratio:,.0f}× faster (target ≥ {RATIO_TARGET}×: {verdict(ratio >= RATIO_TARGET)})"
    )
    print(
        f"  fetch_states: {state_rate:,.0f} ids/s "
        f"(target ≥ {STATES_TARGET:,}: {verdict(state_rate >= STATES_TARGET)})"
    )
    print(
        f"  sent + states frames: {memory_mb:,.0f} MB "
        f"(target ≤ {MEMORY_TARGET_MB}: {verdict(memory_mb <= MEMORY_TARGET_MB)})"
    )


if __name__ == "__main__":
    main()
