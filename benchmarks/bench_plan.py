"""plan + documents against the competent pandas baseline: medians, peak memory, checks.

Recipients are generated once into a Parquet file; every measurement is a fresh
process that reads it, so each peak memory (ru_maxrss) is that measurement's own.
Each process also reports a fingerprint of its output (phones and SMS parts per row,
the phones and client ids in the documents), and the package's must match the
baseline's. Target (issue 14): ≥ 20× the baseline and ≤ 1 GB peak at 1,000,000.

    python benchmarks/bench_plan.py [--rows 1000000] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import child, digest, emit, median, row

RATIO_TARGET = 20
MEMORY_TARGET_MB = 1024


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def one_run(mode: str, path: str) -> dict:
    """One measurement in this process: read, then time plan and documents."""
    from campaign import TEMPLATES, read_recipients

    people = read_recipients(path)
    # Imported before the clock starts: the figure is the work, not loading the code.
    if mode in ("package", "bytes"):
        import targetsms_frames as module
        from targetsms_frames.encoding import encode_documents
    else:
        import baseline_pandas as module  # type: ignore[no-redef]
    input_mb = _rss_mb()
    cpu, started = _cpu(), time.perf_counter()
    plan = module.plan(people, TEMPLATES, campaign="bench")
    planned, plan_cpu = time.perf_counter(), _cpu() - cpu
    if mode == "bytes":
        # The posted bytes as send makes and consumes them: streamed a batch at a time, no
        # dict per recipient, each document dropped once posted (here: once counted).
        # Keeping each document's phones and ids for the checks below is the harness's
        # bookkeeping, not send's work (send drops them once posted), and the other modes
        # check after the clock. It must happen inside the loop, though: keeping the
        # documents themselves would raise the peak that send would use. So it is timed
        # on its own (wall and CPU) and taken out of the documents' figures.
        phones, ids, documents, size = [], [], 0, 0
        book_wall = book_cpu = 0.0
        for doc in encode_documents(plan):
            book_started, book_cpu_started = time.perf_counter(), _cpu()
            documents, size = documents + 1, size + len(doc.payload)
            phones.append(np.array(doc.phones, dtype=np.int64))
            ids.append(np.array(doc.client_ids, dtype=np.int64))
            book_wall += time.perf_counter() - book_started
            book_cpu += _cpu() - book_cpu_started
    else:
        docs = module.documents(plan)
        book_wall = book_cpu = 0.0
    done, cpu = time.perf_counter() - book_wall, _cpu() - cpu - book_cpu
    peak = _rss_mb()
    if mode == "bytes":  # after the clock: the same checks as the dicts get
        posted = [{"phone": str(p)} for p in np.sort(np.concatenate(phones))]
        ids = [str(i) for i in np.concatenate(ids)]
        docs = [None] * documents
    else:
        posted = [p for d in docs for b in d["message"] for p in b["phones"]]
        ids = [p["client_id_message"] for p in posted]
    return {
        "plan_s": planned - started,
        "documents_s": done - planned,
        "total_s": done - started,
        "cpu_s": cpu,
        "bookkeeping_s": book_wall,
        "bookkeeping_cpu_s": book_cpu,
        "plan_cpu_s": plan_cpu,
        "peak_mb": peak,
        "input_mb": input_mb,
        "rows": len(plan),
        "problems": int(plan["problem"].notna().sum()),
        "phones": digest(plan["phone"].to_numpy(dtype=object, na_value=None).tolist()),
        "parts": digest(plan["sms_parts"].astype("Int64").to_numpy(dtype=object).tolist()),
        "documents": len(docs),
        "posted": len(posted),
        "posted_phones": digest(sorted(p["phone"] for p in posted)),
        "ids_digits": all(isinstance(i, str) and i.isdigit() for i in ids),
        "ids_distinct": len(set(ids)),
    }


def measure(rows: int, runs: int) -> list[dict]:
    """Runs of both, interleaved; the result rows with their checks."""
    from campaign import write_recipients

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "recipients.parquet")
        write_recipients(rows, path)
        results: dict[str, list[dict]] = {"package": [], "bytes": [], "baseline": []}
        for _ in range(runs):
            for mode in results:
                results[mode].append(child("bench_plan.py", "--child", mode, path))
    pkg, base, raw = results["package"], results["baseline"], results["bytes"]
    for mode, runs_of in results.items():
        for r in runs_of:
            assert r["rows"] == rows and r["problems"] == 0, (mode, r)
            assert r["posted"] == rows and r["ids_distinct"] == rows and r["ids_digits"], (mode, r)
    for key in ("phones", "parts", "posted", "posted_phones"):
        assert pkg[0][key] == base[0][key] == raw[0][key], f"package and baseline differ in {key}"
    checked = (
        f"same phones and SMS parts per row, the same {rows:,} phones in the documents, "
        "distinct digit ids (both)"
    )
    t_pkg, t_base = median(r["total_s"] for r in pkg), median(r["total_s"] for r in base)
    cpu_pkg, cpu_base = median(r["cpu_s"] for r in pkg), median(r["cpu_s"] for r in base)
    peak = median(r["peak_mb"] for r in pkg)
    streamed = median(r["peak_mb"] for r in raw)
    ratio = t_base / t_pkg
    label = f"plan + documents, {rows:,} personalised rows (s, median of {len(pkg)})"
    return [
        row(
            label,
            f"{t_pkg:.2f} s (plan {median(r['plan_s'] for r in pkg):.2f} + documents "
            f"{median(r['documents_s'] for r in pkg):.2f}; CPU {cpu_pkg:.2f} s, "
            f"plan {median(r['plan_cpu_s'] for r in pkg):.2f})",
            f"pandas baseline {t_base:.2f} s (CPU {cpu_base:.2f} s, "
            f"plan {median(r['plan_cpu_s'] for r in base):.2f})",
            f"{ratio:.1f}× (CPU {cpu_base / cpu_pkg:.1f}×)",
            f"≥ {RATIO_TARGET}×",
            ratio >= RATIO_TARGET,
            checked,
            kind="ratio",
        ),
        row(
            f"plan + documents as the posted bytes, streamed as send makes them, {rows:,} rows "
            f"(s, median of {len(raw)})",
            f"{median(r['total_s'] for r in raw):.2f} s (documents "
            f"{median(r['documents_s'] for r in raw):.2f}; CPU "
            f"{median(r['cpu_s'] for r in raw):.2f} s; peak "
            f"{median(r['peak_mb'] for r in raw):,.0f} MB)",
            f"pandas baseline {t_base:.2f} s (block dicts, not yet bytes)",
            f"{t_base / median(r['total_s'] for r in raw):.1f}× (CPU "
            f"{cpu_base / median(r['cpu_s'] for r in raw):.1f}×)",
            f"≥ {RATIO_TARGET}×",
            t_base / median(r["total_s"] for r in raw) >= RATIO_TARGET,
            checked,
            kind="ratio",
        ),
        row(
            f"plan + documents peak memory, {rows:,} rows (process max RSS)",
            f"{peak:,.0f} MB with every document a dict at once (input frame read: "
            f"{median(r['input_mb'] for r in pkg):,.0f} MB)",
            f"pandas baseline {median(r['peak_mb'] for r in base):,.0f} MB",
            "",
            f"≤ {MEMORY_TARGET_MB:,} MB at 1,000,000",
            peak <= MEMORY_TARGET_MB if rows >= 1_000_000 else None,
            "each figure its own process",
        ),
        row(
            f"plan + documents peak memory, streamed bytes, {rows:,} rows (process max RSS)",
            f"{streamed:,.0f} MB (the posted bytes a batch at a time, as send makes them)",
            f"pandas baseline {median(r['peak_mb'] for r in base):,.0f} MB",
            "",
            f"≤ {MEMORY_TARGET_MB:,} MB at 1,000,000",
            streamed <= MEMORY_TARGET_MB if rows >= 1_000_000 else None,
            "each figure its own process",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON line (for run_all)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(*args.child)))
        return
    emit(measure(args.rows, args.runs), args.json)


if __name__ == "__main__":
    main()
