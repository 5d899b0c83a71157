"""plan + documents for a large campaign: median seconds of several runs, peak memory.

Each run is a fresh process, so peak memory (max RSS) is that run's own.
Targets on a 2-core machine: 1,000,000 recipients in at most 10 s, at most 2 GB.

    python benchmarks/bench_plan.py [--rows 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

TARGET_SECONDS = 10.0
TARGET_MEMORY_MB = 2048


def one_run(rows: int) -> dict:
    from campaign import TEMPLATES, recipients

    import targetsms_frames as tsf

    people = recipients(rows)
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    plan = tsf.plan(people, TEMPLATES, campaign="bench")
    planned = time.perf_counter()
    docs = tsf.documents(plan)
    done = time.perf_counter()
    assert plan["problem"].isna().all(), plan["problem"].dropna().head().tolist()
    assert sum(len(b["phones"]) for d in docs for b in d["message"]) == rows
    return {
        "plan": planned - started,
        "documents": done - planned,
        "total": done - started,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "input_mb": base_mb,
    }


def measure(rows: int, runs: int) -> dict:
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--rows", str(rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {key: statistics.median(r[key] for r in results) for key in results[0]} | {
        "runs": results
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.rows)))
        return
    m = measure(args.rows, args.runs)
    print(f"plan + documents, {args.rows:,} recipients, median of {args.runs} runs:")
    print(
        f"  plan {m['plan']:.2f} s, documents {m['documents']:.2f} s, total {m['total']:.2f} s "
        f"(target ≤ {TARGET_SECONDS:g} s: {'meets' if m['total'] <= TARGET_SECONDS else 'MISSES'})"
    )
    print(
        f"  peak memory {m['peak_mb']:.0f} MB (recipients frame alone {m['input_mb']:.0f} MB; "
        f"target ≤ {TARGET_MEMORY_MB} MB: "
        f"{'meets' if m['peak_mb'] <= TARGET_MEMORY_MB else 'MISSES'})"
    )


if __name__ == "__main__":
    main()
