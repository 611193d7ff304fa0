"""Whole-process benchmark of the commission payouts for a generated company.

Generates the company and builds its warehouse once (not timed), then runs the payouts alone
as a process (`python -m models_py.payouts.pipeline`) under `/usr/bin/time -v`, several times
on a fresh copy of the warehouse, and prints the median wall time and peak memory. Usage:

    uv run python bench/payouts.py --scale 1 --runs 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from run import ROOT, count, timed  # bench/run.py


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--scale", default="1")
    args.add_argument("--runs", type=int, default=5)
    options = args.parse_args()
    work = Path(tempfile.mkdtemp(prefix=f"bench-payouts-{options.scale}-"))
    try:
        cli = [sys.executable, "-m", "orchestration.cli"]
        subprocess.run([*cli, "generate", "--out", str(work / "landing"), "--scale",
                        options.scale], cwd=ROOT, check=True, capture_output=True)
        subprocess.run([*cli, "build", "--landing", str(work / "landing"), "--home",
                        str(work / "home")], cwd=ROOT, check=True, capture_output=True)
        walls, rss, said = [], [], ""
        for _ in range(options.runs):
            copy = work / "copy.duckdb"
            shutil.copy(work / "home" / "warehouse.duckdb", copy)
            seconds, peak, said = timed([sys.executable, "-m", "models_py.payouts.pipeline",
                                         str(copy), str(work / "landing/plan/commission_plans")])
            walls.append(seconds)
            rss.append(peak)
        lines = count(said, r"payouts: (\d+) lines")
        print("| step | scale | lines | median wall s | runs (s) | peak RSS MiB |")
        print("|---|---|---|---|---|---|")
        print(f"| payouts (all reps, all months) | {options.scale} | "
              f"{lines} | {statistics.median(walls):.2f} | "
              f"{', '.join(f'{w:.2f}' for w in walls)} | {max(rss) // 1024} |")
        print(said.strip())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
