"""A campaign file of 10,000,000 recipients planned and sent to the null provider in chunks.

The benchmark writes two Parquet campaign files (``--base-rows``, default 1,000,000,
and ``--rows``, default 10,000,000) in slices, so the generator never holds one whole.
Every slice after the first repeats ``--duplicates`` rows of the first slice: those
copies are duplicates only across the whole file (never inside one chunk of the send),
and the plan must find every one. Each file is then sent by ``tsf.send_file`` (read,
plan, send and write a chunk at a time, with a journal) in a fresh process against the
null provider, which measures its own peak memory (ru_maxrss) and time, and checks:
one output row per file row in the file's order, exactly the copies invalid as
duplicates, every other row accepted with a digit id, and the null provider saw every
accepted client id exactly once. The smaller file is then sent again with the same
journal: the resume must post nothing.

Target (issue 14): ≤ 2 GB peak, and the large file's time ≤ 11× the small file's.

    python benchmarks/bench_campaign.py [--rows 10000000] [--base-rows 1000000] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from _common import child, emit, row

MEMORY_TARGET_MB = 2048
LINEAR_FACTOR = 11
SLICE = 1_000_000


def write_campaign(path: str, n: int, duplicates: int) -> int:
    """Write ``n`` recipients to a Parquet file a slice at a time; returns the copies made."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from campaign import recipients

    writer, first, copies = None, None, 0
    step = min(SLICE, max(n // 5, 1))  # a small (quick) file still has several slices
    for k, start in enumerate(range(0, n, step)):
        size = min(step, n - start)
        people = recipients(size, seed=1 + k)
        if first is None:
            first = people.iloc[:duplicates].reset_index(drop=True)
        elif size > duplicates:  # the slice's last rows become copies of the first slice's
            people = pd.concat([people.iloc[: size - duplicates], first], ignore_index=True)
            copies += duplicates
        table = pa.Table.from_pandas(people, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    return copies


def measure(path: str, rows: int, copies: int, chunk_rows: int, resume: bool) -> dict:
    """One send of a campaign file, in this (fresh) process."""
    import pandas as pd
    from campaign import TEMPLATES
    from null_provider import NullProvider

    import targetsms_frames as tsf

    with NullProvider() as null, tempfile.TemporaryDirectory() as tmp:
        client = tsf.Client(null.login, null.password, url=null.url)
        output, journal = Path(tmp) / "sent.parquet", Path(tmp) / "campaign.journal"
        options = dict(
            campaign="bench-10m", journal=journal, templates=TEMPLATES, chunk_rows=chunk_rows
        )
        started = time.perf_counter()
        # The null provider has no account gate: no preflight (the baselines ask none).
        counts = tsf.send_file(path, output, client, progress=False, preflight=False, **options)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        books = null.ledger(reset=True)
        accepted = rows - copies
        assert counts == (
            {"accepted": accepted, "invalid": copies} if copies else {"accepted": rows}
        ), counts
        assert books["phones"] == books["distinct"] == accepted and books["repeated"] == 0, books
        sent = pd.read_parquet(output, columns=["row", "outcome", "error", "id_message"])
        assert sent["row"].tolist() == list(range(rows)), "one row per file row, in order"
        invalid = sent["outcome"].eq("invalid")
        assert sent.loc[invalid, "error"].str.contains("duplicate of row").all()
        assert sent.loc[~invalid, "id_message"].str.fullmatch(r"[0-9]+").all()
        del sent
        result = {"seconds": seconds, "peak_mb": peak, "rows": rows}
        if resume:
            started = time.perf_counter()
            again = tsf.send_file(path, output, client, progress=False, preflight=False, **options)
            result["resume_s"] = time.perf_counter() - started
            assert again == counts, again
            assert null.ledger()["phones"] == 0, "a resume posts nothing that was accepted"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--base-rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--duplicates", type=int, default=1_000, help="copies per slice")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--copies", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--resume", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        result = measure(args.measure, args.rows, args.copies, args.chunk_rows, args.resume)
        print(json.dumps(result))
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size, resume in ((args.base_rows, True), (args.rows, False)):
            path = str(Path(tmp) / f"campaign-{size}.parquet")
            copies = write_campaign(path, size, args.duplicates)
            options = ["--measure", path, "--rows", str(size), "--copies", str(copies)]
            options += ["--chunk-rows", str(args.chunk_rows), *(["--resume"] if resume else [])]
            results[size] = child(Path(__file__).name, *options)
            Path(path).unlink()
    base, big = results[args.base_rows], results[args.rows]
    scale = args.rows / args.base_rows
    times = big["seconds"] / base["seconds"]
    limit = LINEAR_FACTOR * scale / 10  # 11× for ten times the rows
    peak = max(base["peak_mb"], big["peak_mb"])
    emit(
        [
            row(
                f"campaign file {args.rows:,} rows → send_file → null provider "
                f"(chunks of {args.chunk_rows:,}; one run each)",
                f"{big['seconds']:.0f} s, peak {big['peak_mb']:,.0f} MB "
                f"({args.rows / big['seconds']:,.0f} rows/s)",
                f"{args.base_rows:,} rows: {base['seconds']:.1f} s, peak {base['peak_mb']:,.0f} MB"
                f"; resume of it {base['resume_s']:.1f} s",
                f"{times:.1f}× the time for {scale:g}× the rows",
                f"≤ {MEMORY_TARGET_MB:,} MB peak; ≤ {limit:g}× the time",
                peak <= MEMORY_TARGET_MB and times <= limit,
                "one output row per file row, in order; the cross-chunk copies (and only "
                "they) invalid as duplicates; null ledger: every accepted client id once; "
                "the resume posts nothing",
                kind="absolute memory; ratio of times",
            )
        ],
        args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
