"""Whole-process benchmarks: `sales-wh generate` and `sales-wh build` at chosen scales.

Each measurement runs the real command under `/usr/bin/time -v` in a fresh folder, several
times, and reports the median wall time and peak memory (max RSS). Usage:

    uv run python bench/run.py --scales 0.002,1,22 --runs 3
    uv run python bench/run.py --scales 200:1          # 10 M order lines, once

Cases per scale: generate; the order-lines ingest alone; DuckDB alone loading every export
(the floor); a build from empty; a build with no new files; and a build after delivering the
newest 1 % of orders to a warehouse built without them (bench/holdback.py).
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

from holdback import hold_back

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


def row(step: str, scale: str, lines: str, runs: list[tuple[float, int]]) -> float:
    walls = [w for w, _ in runs]
    median = statistics.median(walls)
    print(f"| {step} | {scale} | {lines} | {median:.1f} | "
          f"{', '.join(f'{w:.1f}' for w in walls)} | "
          f"{max(r for _, r in runs) / 1024:.0f} |", flush=True)
    return median


def bench_scale(scale: str, runs: int, cli: list[str], spark: bool = False
                ) -> dict[str, float]:
    """Every case at one scale (and a fresh build on Spark too when `spark`); returns the
    medians the summary needs."""
    work = Path(tempfile.mkdtemp(prefix=f"bench-{scale}-"))
    landing, home = work / "landing", work / "home"
    out: dict[str, float] = {}
    try:
        gen_runs, ingest_runs, floor_runs, ingest_rates = [], [], [], []
        lines = "?"
        for _ in range(runs):
            shutil.rmtree(landing, ignore_errors=True)
            wall, rss, stdout = timed([*cli, "generate", "--out", str(landing), "--scale", scale])
            gen_runs.append((wall, rss))
            lines = count(stdout, r"orders/order_lines\s+([\d,]+)")
        out["lines"] = float(lines.replace(",", "")) if lines != "?" else 0.0
        for _ in range(runs):  # ingest alone: the order-lines export into DuckDB
            wall, rss, stdout = timed([sys.executable, "bench/ingest_entity.py", "--landing",
                                       str(landing), "--db", str(work / "i.duckdb")])
            ingest_runs.append((wall, rss))
            ingest_rates.append(float(count(stdout, r"rows_per_second=(\d+)")))
        for _ in range(runs):  # the floor: DuckDB alone loads every export
            floor_runs.append(timed([sys.executable, "bench/duckdb_floor.py", "--landing",
                                     str(landing), "--db", str(work / "floor.duckdb")])[:2])
        build_runs, rebuild_runs = [], []
        for _ in range(runs):
            shutil.rmtree(home, ignore_errors=True)
            build_runs.append(timed([*cli, "build", "--landing", str(landing),
                                     "--home", str(home)])[:2])
            rebuild_runs.append(timed([*cli, "build", "--landing", str(landing),
                                       "--home", str(home)])[:2])
        # 1 % new files: a warehouse built without the newest 1 % of orders, then their files
        # delivered (a fresh copy of that warehouse for each run).
        base_landing, held, base_home = work / "base_landing", work / "held", work / "base_home"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(landing, base_landing)
        held_lines = hold_back(base_landing, held, 0.01)
        timed([*cli, "build", "--landing", str(base_landing), "--home", str(base_home)])
        shutil.copytree(held, base_landing, dirs_exist_ok=True)
        delta_runs = []
        for _ in range(runs):
            shutil.rmtree(home, ignore_errors=True)
            shutil.copytree(base_home, home)
            delta_runs.append(timed([*cli, "build", "--landing", str(base_landing),
                                     "--home", str(home)])[:2])
        spark_runs = []
        for _ in range(runs if spark else 0):  # the same build, dbt on Spark (local mode)
            shutil.rmtree(home, ignore_errors=True)
            spark_runs.append(timed([*cli, "build", "--landing", str(landing), "--home",
                                     str(home), "--engine", "spark"])[:2])
        row(f"ingest order lines (in-process rows/s: median "
            f"{statistics.median(ingest_rates):,.0f})", scale, lines, ingest_runs)
        row("generate", scale, lines, gen_runs)
        out["floor"] = row("DuckDB alone loads every export (the floor)", scale, lines,
                           floor_runs)
        out["fresh"] = row("build (fresh)", scale, lines, build_runs)
        row("build (no new files)", scale, lines, rebuild_runs)
        out["delta"] = row(f"build (1 % new order files: {held_lines:,} lines)", scale, lines,
                           delta_runs)
        if spark_runs:
            out["spark"] = row("build on Spark (fresh, `--engine spark`, local[2])", scale,
                               lines, spark_runs)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--scales", default="0.002,1,22",
                      help="comma-separated generator scales, each optionally :runs "
                      "(e.g. 0.002,1,22,200:1)")
    args.add_argument("--runs", type=int, default=3, help="runs per case (default 3)")
    args.add_argument("--spark-scales", default="",
                      help="comma-separated scales at which to also build on Spark")
    options = args.parse_args()
    cli = [sys.executable, "-m", "orchestration.cli"]
    print("| step | scale | order lines | median wall s | runs (s) | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    results = {}
    for item in options.scales.split(","):
        scale, _, runs = item.partition(":")
        results[scale] = bench_scale(scale, int(runs or options.runs), cli,
                                     spark=scale in options.spark_scales.split(","))
    print()
    for scale, found in results.items():
        print(f"scale {scale}: 1 % new files cost {found['delta'] / found['fresh']:.0%} of a "
              "fresh build")
        if "spark" in found:
            print(f"scale {scale}: on Spark a fresh build takes {found['spark']:.1f} s, "
                  f"{found['spark'] / found['fresh']:.1f} x DuckDB's {found['fresh']:.1f} s")
    ordered = sorted(results.values(), key=lambda r: r["lines"])
    if len(ordered) >= 2 and ordered[-1]["lines"] > ordered[0]["lines"]:
        small, big = ordered[0], ordered[-1]
        millions = (big["lines"] - small["lines"]) / 1e6
        added = (big["fresh"] - small["fresh"]) / millions
        floor = (big["floor"] - small["floor"]) / millions
        print(f"cost added per 1 M order lines: build {added:.1f} s, DuckDB alone {floor:.1f} s"
              f" ({added / floor:.1f} x)")


if __name__ == "__main__":
    main()
