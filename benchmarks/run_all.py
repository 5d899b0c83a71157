"""Run every benchmark, one after the other, and print their figures as one table.

python benchmarks/run_all.py [--rows 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    scripts = [
        ("sandbox_throughput.py", ["--runs", str(args.runs)]),
        ("bench_plan.py", ["--rows", str(args.rows), "--runs", str(args.runs)]),
        ("bench_pipeline.py", ["--rows", str(args.rows)]),
    ]
    lines = []
    for script, options in scripts:
        out = subprocess.run(
            [sys.executable, str(HERE / script), *options],
            capture_output=True,
            text=True,
            check=True,
            cwd=HERE,
        )
        lines += [
            f"| {script} | {line.strip()} |" for line in out.stdout.splitlines() if line.strip()
        ]
    print("| script | figure |\n|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
