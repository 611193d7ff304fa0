"""Every raw row ends up counted: in the facts (flagged) or in quarantine with a reason.

The small company gets a second delivery with what real order systems and CRMs send: a line
whose order never arrives, a return of more units than were sold, a deal closed without a close
date. Counted here from the files: order lines read = fact lines + quarantined lines, and
returns read = returns in staging + quarantined returns.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from ingest.warehouse import connect

pytestmark = pytest.mark.e2e


def csv_rows(folder: Path) -> int:
    total = 0
    for path in folder.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            total += sum(1 for _ in csv.DictReader(handle))
    return total


def first_row(folder: Path) -> dict[str, str]:
    [path] = sorted(folder.glob("*.csv"))[:1]
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.DictReader(handle))


def test_raw_lines_are_fact_lines_plus_quarantined(small_landing, tmp_path):
    from orchestration.cli import main

    landing = tmp_path / "landing"
    shutil.copytree(small_landing, landing)
    line = first_row(landing / "orders/order_lines")
    (landing / "orders/order_lines/late.csv").write_text(
        "order_id,line_no,product_id,quantity,unit_price,discount_amount\n"
        f"SO-NEVER-DELIVERED,1,{line['product_id']},3,10.00,0\n"
        f"SO-NEVER-DELIVERED,2,{line['product_id']},x,10.00,0\n", encoding="utf-8")
    (landing / "orders/returns/late.csv").write_text(
        "return_id,order_id,line_no,returned_at,quantity,reason\n"
        f"RT-TOO-MANY,{line['order_id']},{line['line_no']},2026-01-05 10:00:00,"
        f"{int(line['quantity']) + 5},damaged\n", encoding="utf-8")
    opportunity = first_row(landing / "crm/opportunities")
    (landing / "crm/opportunities/late.csv").write_text(
        "opportunity_id,owner_rep_id,created_at,stage,close_date\n"
        f"OPP-NO-CLOSE,{opportunity['owner_rep_id']},2025-01-02 09:00:00,Closed Won,\n",
        encoding="utf-8")
    home = tmp_path / "home"
    assert main(["build", "--landing", str(landing), "--home", str(home)]) == 0

    lines_read = csv_rows(landing / "orders/order_lines")
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        def one(sql: str) -> tuple:
            return conn.execute(sql).fetchall()[0]

        fact_lines, orphans = one("SELECT count(*), count(*) FILTER (WHERE is_orphan_line) "
                                  "FROM marts.fct_order_lines")
        [quarantined] = one("SELECT count(*) FROM audit.quarantine WHERE entity = 'order_lines'")
        [logged] = one("SELECT sum(rows_read) FROM audit.load_log WHERE entity = 'order_lines'")
        assert lines_read == logged == fact_lines + quarantined
        assert (orphans, quarantined) == (1, 1)
        orphan = one("SELECT order_date, net_revenue, net_revenue_reporting, is_cancelled "
                     "FROM marts.fct_order_lines WHERE order_id = 'SO-NEVER-DELIVERED'")
        assert orphan == (None, 0, 0, False)
        # The return of more units than the line sold is quarantined, not capped silently;
        # the line keeps its revenue.
        too_many = one("SELECT line_number, reason FROM audit.quarantine "
                       "WHERE file_path = 'orders/returns/late.csv'")
        assert too_many[0] == 2 and "more units returned than the order line sold" in too_many[1]
        [returns_staged] = one("SELECT count(*) FROM staging.stg_orders__returns")
        [returns_quarantined] = one("SELECT count(*) FROM audit.quarantine "
                                    "WHERE entity = 'returns'")
        assert csv_rows(landing / "orders/returns") == returns_staged + returns_quarantined
        line_now = one("SELECT quantity, returned_quantity, excess_returned_quantity "
                       f"FROM marts.fct_order_lines WHERE order_id = '{line['order_id']}' "
                       f"AND line_no = {line['line_no']}")
        assert line_now[0] == int(line["quantity"]) and line_now[2] == 0
        reason = one("SELECT reason FROM audit.quarantine WHERE file_path = "
                     "'crm/opportunities/late.csv'")
        assert "closed deal" in reason[0] and "close date" in reason[0]
        # The orphan line carries no revenue anywhere: the marts still reconcile with it.
        facts = one("SELECT sum(net_revenue_reporting) FROM marts.fct_order_lines")
        kpis = one("SELECT sum(net_revenue) FROM marts.mart_rep_kpis")
        assert facts == kpis


def test_a_truncated_order_lines_export_fails_the_build_instead_of_zero_revenue(
        small_landing, tmp_path):
    """The order lines arrive as a .csv.gz cut off in transfer: the file is rejected as
    truncated, and the orders left without lines fail the build (not revenue 0 in the marts)."""
    import gzip

    from orchestration.cli import main

    landing = tmp_path / "landing"
    shutil.copytree(small_landing, landing)
    [lines] = sorted((landing / "orders/order_lines").glob("*.csv"))
    packed = gzip.compress(lines.read_bytes())
    lines.unlink()
    (landing / "orders/order_lines/lines.csv.gz").write_bytes(packed[: len(packed) // 3])
    home = tmp_path / "home"
    assert main(["build", "--landing", str(landing), "--home", str(home)]) == 1
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        [(status, message)] = conn.execute(
            "SELECT status, message FROM audit.load_log WHERE entity = 'order_lines'").fetchall()
    assert status == "rejected" and "truncated" in message
    log = (home / "logs/build.log").read_text(encoding="utf-8")
    assert "FAILED marts/fct_orders :: orders_and_lines_match_up" in log
    # The test says in its own words what is wrong and where to look.
    assert "is orders/order_lines or orders/orders missing or rejected?" in log


def test_missing_reps_say_deliver_crm_reps(small_landing, tmp_path, capsys):
    """A company delivers no crm/reps: the build stops at staging saying which exports use rep
    ids and what to deliver, not on a relationship test between marts."""
    from orchestration.cli import main

    landing = tmp_path / "landing"
    shutil.copytree(small_landing, landing)
    owners = set()
    for path in (landing / "crm/opportunities").glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            owners |= {row["owner_rep_id"] for row in csv.DictReader(handle)}
    shutil.rmtree(landing / "crm/reps")
    home = tmp_path / "home"
    assert main(["build", "--landing", str(landing), "--home", str(home)]) == 1
    out = capsys.readouterr().out
    assert "FAILED staging/stg_crm__reps :: reps_are_delivered" in out
    [said] = [line.strip() for line in out.splitlines() if "no reps were delivered" in line]
    assert said.startswith("no reps were delivered: deliver crm/reps (rep_id, rep_name, region, "
                           "role; see SOURCE_CONTRACTS.md); rep ids are used by ")
    assert f"crm/opportunities ({len(owners)})" in said
    assert "relationships" not in out
