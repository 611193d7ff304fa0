"""`--as-of D` replays the past: a build with `--as-of D` equals, table for table, a build of
the same files with every record dated after D removed (both built with `--as-of D`, so both
have the same "today").

The truncation is done here, independently of the warehouse: each entity's record is dated by
the column that says when it came to exist (an order by its order date, its lines and payments
by their order's, a rep version by its updated_at, an FX rate by its date...); records with a
date after D are dropped from the CSV files. Lineage columns (`_source_line`...) differ by
construction and are left out of the comparison; everything else must be identical.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest
from kpi_oracle import expected_kpis
from test_e2e_kpis import compare

from ingest.warehouse import connect

pytestmark = pytest.mark.e2e

# entity folder -> the column dating its records (None: undated, kept whole)
RECORD_DATES = {
    "crm/reps": "updated_at",
    "crm/accounts": "created_at",
    "crm/leads": "created_at",
    "crm/opportunities": "created_at",
    "crm/opportunity_stage_history": "entered_at",
    "crm/activities": "occurred_at",
    "orders/orders": "order_date",
    "orders/returns": "returned_at",
    "survey/responses": "submitted_at",
    "survey/complaints": "opened_at",
    "plan/fx_rates": "rate_date",
}
BY_ORDER = ("orders/order_lines", "orders/payments")


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def truncate(landing: Path, day: str) -> dict[str, int]:
    """Drop every record dated after `day` (ISO); returns rows removed per entity."""
    removed: dict[str, int] = {}
    late_orders: set[str] = set()
    for entity, column in RECORD_DATES.items():
        for path in sorted((landing / entity).glob("*.csv")):
            header, rows = read(path)
            kept = [r for r in rows if not r[column] or r[column][:10] <= day]
            if entity == "orders/orders":
                late_orders |= {r["order_id"] for r in rows if r[column][:10] > day}
            removed[entity] = removed.get(entity, 0) + len(rows) - len(kept)
            write(path, header, kept)
    for entity in BY_ORDER:
        for path in sorted((landing / entity).glob("*.csv")):
            header, rows = read(path)
            kept = [r for r in rows if r["order_id"] not in late_orders]
            removed[entity] = removed.get(entity, 0) + len(rows) - len(kept)
            write(path, header, kept)
    return removed


def tables(home: Path, schemas: tuple[str, ...]) -> dict[str, str]:
    """A digest of every table of `schemas`, lineage columns left out, rows sorted."""
    digests = {}
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        names = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema "
            f"IN ({', '.join(repr(s) for s in schemas)}) ORDER BY 1, 2").fetchall()
        for schema, table in names:
            columns = [c for (c,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
                "table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()
                if not c.startswith("_")]
            rows = conn.execute(
                f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} '
                f'FROM "{schema}"."{table}" ORDER BY ALL').fetchall()
            digests[f"{schema}.{table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def order_dates(landing: Path) -> list[str]:
    [path] = sorted((landing / "orders/orders").glob("*.csv"))
    return sorted(r["order_date"] for r in read(path)[1])


def test_as_of_build_equals_a_build_of_the_files_known_on_that_day(small_landing, tmp_path):
    from orchestration.cli import main

    dates = order_dates(small_landing)
    day = dates[len(dates) * 2 // 3]  # two thirds in: open deals, later closes, later returns
    full_home, cut_home = tmp_path / "full", tmp_path / "cut"
    assert main(["build", "--landing", str(small_landing), "--home", str(full_home),
                 "--as-of", day]) == 0
    cut = tmp_path / "landing"
    shutil.copytree(small_landing, cut)
    removed = truncate(cut, day)
    # The replay has something to prove: every dated entity lost records after the day.
    assert all(removed[e] > 0 for e in ("crm/opportunities", "orders/orders",
                                        "orders/order_lines", "plan/fx_rates")), removed
    assert main(["build", "--landing", str(cut), "--home", str(cut_home), "--as-of", day]) == 0
    full = tables(full_home, ("intermediate", "marts"))
    replayed = tables(cut_home, ("intermediate", "marts"))
    assert len(full) >= 25 and set(full) == set(replayed)
    assert [t for t in full if full[t] != replayed[t]] == []
    with connect(full_home / "warehouse.duckdb", read_only=True) as conn:
        assert conn.execute("SELECT max(order_date) FROM marts.fct_orders").fetchall()[0][0] \
            .isoformat() <= day
    # What both builds undo (deals closed later, leads converted later, cancellations and
    # returns recorded later) is checked against the files as they stood on the day.
    expected = expected_kpis(small_landing, "rep_id", as_of=date.fromisoformat(day))
    problems = compare(full_home, "mart_rep_kpis", expected)
    assert problems == [], f"{len(problems)} differences, e.g. " + "\n".join(problems[:15])


def test_past_pipeline_days_do_not_move_when_newer_data_arrives(small_landing, tmp_path):
    """Every day up to D of mart_pipeline_daily is the same in a replay as of D and in the
    build of everything delivered since: a past day is valued at its own FX rate."""
    from orchestration.cli import main

    dates = order_dates(small_landing)
    day = dates[len(dates) // 2]
    homes = {"then": tmp_path / "then", "now": tmp_path / "now"}
    assert main(["build", "--landing", str(small_landing), "--home", str(homes["then"]),
                 "--as-of", day]) == 0
    assert main(["build", "--landing", str(small_landing), "--home", str(homes["now"])]) == 0
    rows = {}
    for name, home in homes.items():
        with connect(home / "warehouse.duckdb", read_only=True) as conn:
            rows[name] = conn.execute(
                "SELECT * FROM marts.mart_pipeline_daily WHERE date_day <= ? ORDER BY ALL",
                [day]).fetchall()
    assert len(rows["then"]) > 1000
    assert rows["then"] == rows["now"]
