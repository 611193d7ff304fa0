"""Whole-process benchmarks: `sales-wh generate` and `sales-wh build` at chosen scales.

Each measurement runs the real command under `/usr/bin/time -v` in a fresh folder, several
times, and reports the median wall time and peak memory (max RSS). Usage:

    uv run python bench/run.py --scales 1,22 --runs 3
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str]) -> tuple[float, int, str]:
    """Run `command` under /usr/bin/time -v; return (wall seconds, max RSS KiB, stdout)."""
    done = subprocess.run(["/usr/bin/time", "-v", *command], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        logs = [p for p in map(Path, command) if (p / "logs" / "build.log").exists()]
        detail = (logs[0] / "logs" / "build.log").read_text()[-6000:] if logs else ""
        sys.exit(f"failed: {' '.join(command)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
                 f"\n--- build.log ---\n{detail}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", done.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    assert wall and rss, done.stderr[-1000:]
    parts = [float(p) for p in wall.group(1).split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return seconds, int(rss.group(1)), done.stdout


def count(stdout: str, pattern: str) -> str:
    found = re.search(pattern, stdout)
    return found.group(1) if found else "?"


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--scales", default="1,22", help="comma-separated generator scales")
    args.add_argument("--runs", type=int, default=3)
    options = args.parse_args()
    cli = [sys.executable, "-m", "orchestration.cli"]
    print("| step | scale | order lines | median wall s | runs (s) | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    for scale in options.scales.split(","):
        work = Path(tempfile.mkdtemp(prefix=f"bench-{scale}-"))
        try:
            gen_runs, build_runs, rebuild_runs, ingest_runs = [], [], [], []
            ingest_rates = []
            lines = "?"
            for _ in range(options.runs):
                shutil.rmtree(work / "landing", ignore_errors=True)
                wall, rss, out = timed([*cli, "generate", "--out", str(work / "landing"),
                                        "--scale", scale])
                gen_runs.append((wall, rss))
                lines = count(out, r"orders/order_lines\s+([\d,]+)")
            for _ in range(options.runs):  # ingest alone: the order-lines export into DuckDB
                wall, rss, out = timed([sys.executable, "bench/ingest_entity.py", "--landing",
                                        str(work / "landing"), "--db", str(work / "i.duckdb")])
                ingest_runs.append((wall, rss))
                ingest_rates.append(float(count(out, r"rows_per_second=(\d+)")))
            for _ in range(options.runs):
                shutil.rmtree(work / "home", ignore_errors=True)
                build_runs.append(timed([*cli, "build", "--landing", str(work / "landing"),
                                         "--home", str(work / "home")])[:2])
                # The same landing folder again: nothing new loads, dbt rebuilds the marts.
                rebuild_runs.append(timed([*cli, "build", "--landing", str(work / "landing"),
                                           "--home", str(work / "home")])[:2])
            print(f"| ingest order lines (in-process rows/s: median "
                  f"{statistics.median(ingest_rates):,.0f}) | {scale} | {lines} | "
                  f"{statistics.median([w for w, _ in ingest_runs]):.1f} | "
                  f"{', '.join(f'{w:.1f}' for w, _ in ingest_runs)} | "
                  f"{max(r for _, r in ingest_runs) / 1024:.0f} |", flush=True)
            for step, runs in (("generate", gen_runs), ("build (fresh)", build_runs),
                               ("build (no new files)", rebuild_runs)):
                walls = [w for w, _ in runs]
                print(f"| {step} | {scale} | {lines} | {statistics.median(walls):.1f} | "
                      f"{', '.join(f'{w:.1f}' for w in walls)} | "
                      f"{max(r for _, r in runs) / 1024:.0f} |", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
