"""Run every benchmark and print ONE markdown table: each figure, its baseline or floor,
the ratio, the target from issue 14 and pass/fail, under a line naming the machine and
the versions. Each script runs in its own process (and measures in children of its own).

    python benchmarks/run_all.py [--rows 1000000] [--runs 3] [--quick] [--campaign-rows N]

``--quick`` (20,000 rows, 1 run, small samples) finishes in about a minute: use it to
check the harness. Targets are for 1,000,000 rows and medians of 3; a quick table's
pass/fail says only where things stand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

from _common import child, machine, row, versions


def table(rows: list[dict]) -> str:
    verdict = {True: "pass", False: "**FAIL**", None: "–"}
    lines = [
        "| figure | measured | baseline or floor | ratio | target | result | kind | checked |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cells = [
            r["figure"],
            r["measured"],
            r["baseline"],
            r["ratio"],
            r["target"],
            verdict[r["ok"]],
            r["kind"],
            r["checked"],
        ]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int)
    parser.add_argument("--runs", type=int)
    parser.add_argument("--quick", action="store_true", help="20,000 rows, 1 run, small samples")
    parser.add_argument("--workers", type=int, help="send's workers (default: the package's)")
    parser.add_argument(
        "--campaign-rows",
        type=int,
        help="rows of the large campaign file (default 10,000,000; --quick 200,000); 0 skips it",
    )
    args = parser.parse_args()
    rows = args.rows or (20_000 if args.quick else 1_000_000)
    runs = args.runs or (1 if args.quick else 3)
    latency_rows = min(rows, 20_000 if args.quick else 100_000)
    sample = 30 if args.quick else 100
    documents = 20 if args.quick else 200
    started = time.perf_counter()
    load = os.getloadavg()[0]
    workers = ["--workers", str(args.workers)] if args.workers else []
    results: list[dict] = []
    large = (
        args.campaign_rows
        if args.campaign_rows is not None
        else (200_000 if args.quick else 10_000_000)
    )
    campaign = (
        [("bench_campaign.py", ["--rows", str(large), "--base-rows", str(max(large // 10, 1))])]
        if large
        else []
    )
    for script, options in (
        ("sandbox_throughput.py", ["--documents", str(documents), "--runs", str(runs)]),
        ("bench_plan.py", ["--rows", str(rows), "--runs", str(runs)]),
        ("bench_read.py", ["--rows", str(rows), "--runs", str(runs)]),
        *campaign,
        (
            "bench_send.py",
            [
                *("--rows", str(rows), "--runs", str(runs), "--latency-rows", str(latency_rows)),
                *("--per-row-sample", str(sample), *workers),
            ],
        ),
    ):
        try:
            results += child(script, *options, "--json")
        except SystemExit as exc:  # one broken script must not cost the others' figures
            last = str(exc).strip().splitlines()[-1]
            results.append(row(f"{script} failed", last, ok=False, checked="see its stderr"))
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"Machine: {machine()}; {versions()}. {now}, {rows:,} rows, "
        f"{'median of ' + str(runs) if runs > 1 else '1 run'}"
        f"{' (--quick)' if args.quick else ''}; load average at start {load:.2f}; "
        f"took {time.perf_counter() - started:.0f} s.\n"
    )
    print(table(results))


if __name__ == "__main__":
    main()
