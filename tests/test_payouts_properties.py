"""Properties of the payout rules, over many generated cases (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models_py.payouts.engine import Credit, Inputs, RepMonth, Return, compute, payouts
from models_py.payouts.plans import load_plans

PLAN = """
plan_id: p
version: "1"
effective_from: 2026-01-01
applies_to: {role: ae}
currency: USD
clawback: {window_days: 60}
tiers:
  method: marginal
  bands:
    - {from: 0.0, to: 0.5, rate: 0.00}
    - {from: 0.5, to: 1.0, rate: 0.05}
    - {from: 1.0, to: 1.5, rate: 0.08}
    - {from: 1.5, rate: 0.10}
draw: {type: recoverable, per_period: 1500}
spiffs:
  - {id: c, period: 2026-02, top: 1, metric: net_revenue, amount: 1000}
"""
MONTHS = ["2026-01", "2026-02", "2026-03"]
CASES = settings(max_examples=60, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])

cents = st.integers(min_value=1, max_value=30_000_000).map(lambda c: D(c) / 100)


def plans(tmp_path: Path):
    folder = tmp_path / "plans"
    folder.mkdir(exist_ok=True)
    (folder / "p.yml").write_text(PLAN, encoding="utf-8")
    return load_plans(folder)


def data(tmp_path: Path, credits: list[Credit], returns: list[Return] = (), **kw) -> Inputs:
    reps = ("R1", "R2")
    return Inputs(plans=plans(tmp_path), periods=MONTHS,
                  reps={(r, m): RepMonth(r, m, "ae", None) for r in reps for m in MONTHS},
                  credits={"net_revenue": credits}, returns=list(returns),
                  quotas={(r, m): (D("100000"), "USD") for r in reps for m in MONTHS}, **kw)


@CASES
@given(total=cents, cuts=st.lists(st.integers(min_value=1, max_value=10_000), max_size=8))
def test_marginal_commission_is_the_same_however_credit_is_split_into_deals(tmp_path, total,
                                                                              cuts):
    whole = compute(data(tmp_path, [Credit("R1", "O0", date(2026, 1, 5), total)]))
    weights = [*cuts, 1]
    parts = [total * w / sum(weights) for w in weights[:-1]]
    parts.append(total - sum(parts))
    split = compute(data(tmp_path, [Credit("R1", f"O{i}", date(2026, 1, 5 + i % 20), p)
                                    for i, p in enumerate(parts)]))
    def commission(result):
        return sum((ln.amount for ln in result.lines if ln.line_type == "commission"), D(0))
    assert commission(whole) == commission(split)


@CASES
@given(amounts=st.lists(st.tuples(st.sampled_from(["R1", "R2"]), st.integers(0, 2), cents),
                        min_size=1, max_size=12),
       returned=st.lists(st.tuples(st.integers(0, 11), st.integers(1, 90), st.integers(1, 100)),
                         max_size=4))
def test_lines_always_sum_to_the_payouts(tmp_path, amounts, returned):
    credits = [Credit(rep, f"O{i}", date(2026, 1 + month, 10), amount)
               for i, (rep, month, amount) in enumerate(amounts)]
    returns = [Return(credits[i % len(credits)].rep_id, credits[i % len(credits)].source_ref,
                      credits[i % len(credits)].day,
                      date.fromordinal(credits[i % len(credits)].day.toordinal() + days),
                      credits[i % len(credits)].amount * pct / 100)
               for i, days, pct in returned]
    lines = compute(data(tmp_path, credits, returns)).lines
    for row in payouts(lines):
        mine = [ln.amount for ln in lines if (ln.rep_id, ln.period) == (row["rep_id"],
                                                                      row["period"])]
        assert row["total_payable"] == sum(mine, D(0))
        parts = ("commission", "spiffs", "overrides", "clawbacks", "adjustments", "draw")
        assert row["total_payable"] == sum((row[p] for p in parts), D(0))
    assert all(ln.amount == ln.amount.quantize(D("0.01")) for ln in lines)


@CASES
@given(amounts=st.lists(st.tuples(st.sampled_from(["R1", "R2"]), st.integers(0, 2), cents),
                        min_size=1, max_size=10),
       returned=st.lists(st.tuples(st.integers(0, 9), st.integers(1, 120), st.integers(1, 100)),
                         min_size=1, max_size=4))
def test_locking_then_rebuilding_changes_no_locked_row(tmp_path, amounts, returned):
    credits = [Credit(rep, f"O{i}", date(2026, 1 + month, 10), amount)
               for i, (rep, month, amount) in enumerate(amounts)]
    first = compute(data(tmp_path, credits))
    locked = {"2026-01": [replace(ln, period_status="locked") for ln in first.lines
                          if ln.period == "2026-01"]}
    snapshot = {k: v for k, v in first.credits.items() if k[0] == "2026-01"}
    returns = [Return(credits[i % len(credits)].rep_id, credits[i % len(credits)].source_ref,
                      credits[i % len(credits)].day,
                      date.fromordinal(credits[i % len(credits)].day.toordinal() + days),
                      credits[i % len(credits)].amount * pct / 100)
               for i, days, pct in returned]
    again = compute(data(tmp_path, credits, returns, locked_lines=locked,
                         locked_credits=snapshot))
    assert [ln for ln in again.lines if ln.period == "2026-01"] == locked["2026-01"]
    # What January lost is clawed back in February, to the cent.
    reopened = compute(data(tmp_path, credits, returns))
    for rep in ("R1", "R2"):
        def earned(result, rep=rep):
            return sum((ln.amount for ln in result.lines if ln.rep_id == rep
                        and ln.period == "2026-01" and ln.line_type in ("commission", "cap")),
                       D(0))
        clawed = sum((ln.amount for ln in again.lines if ln.rep_id == rep
                      and ln.line_type == "clawback"), D(0))
        assert clawed == earned(reopened) - earned(first)
