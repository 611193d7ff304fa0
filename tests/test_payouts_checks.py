"""The payout checks fail on the rows they exist for (and only on those)."""

from __future__ import annotations

from pathlib import Path

from models_py.payouts.checks import lines_under_plans_in_force, no_negative_payable
from models_py.payouts.plans import load_plans
from models_py.payouts.store import ensure_tables

PLAN = """plan_id: ae
version: "{version}"
effective_from: {start}
effective_to: {end}
applies_to: {{role: ae}}
currency: USD
tiers: {{method: marginal, bands: [{{from: 0, rate: 0.05}}]}}
"""


def line(period: str, line_type: str, version: str, detail: str = "{}") -> tuple:
    return ("run", "ae", version, "R1", period, line_type, "ref", None, None, -10, "USD", detail,
            "open")


def test_lines_must_be_under_a_plan_in_force_and_a_clawback_under_the_month_it_corrects(
        conn, tmp_path: Path):
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans/a.yml").write_text(PLAN.format(version="2025", start="2025-01-01",
                                                      end="2025-12-31"), encoding="utf-8")
    (tmp_path / "plans/b.yml").write_text(PLAN.format(version="2026", start="2026-01-01",
                                                      end="2026-12-31"), encoding="utf-8")
    plans = load_plans(tmp_path / "plans")
    ensure_tables(conn)
    rows = [line("2025-12", "commission", "2025"),
            # posted in 2026 for December 2025, under the 2025 plan: fine
            line("2026-01", "clawback", "2025", '{"original_period": "2025-12"}'),
            line("2026-02", "commission", "2025")]  # the 2025 plan paying in 2026: wrong
    conn.executemany("INSERT INTO finance.commission_payout_lines VALUES "
                     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    outcome = lines_under_plans_in_force(conn, plans)
    assert not outcome.passed
    assert outcome.problems == [f"2026-02: plan ae 2025 ({tmp_path / 'plans/a.yml'}) is not in "
                                "force then"]


def test_a_negative_payable_fails_unless_it_comes_from_clawbacks(conn):
    ensure_tables(conn)
    conn.execute("""INSERT INTO finance.commission_payouts VALUES
        ('run', 'R1', '2026-01', 'ae', '1', 0, NULL, NULL, 0, 0, 0, -50, 0, 0, -50, 'USD', 'open'),
        ('run', 'R2', '2026-01', 'ae', '1', 0, NULL, NULL, 0, 0, 0, 0, -20, 0, -20, 'USD', 'open')
    """)
    outcome = no_negative_payable(conn)
    assert outcome.problems == ["R2 2026-01: total -20.00, clawbacks 0.00"]
