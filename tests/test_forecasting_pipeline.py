"""The pipeline forecast prices an open deal by when such deals were actually won, so deals
that slip past their close date are not counted in a quarter they never land in."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest

from models_py.forecasting.pipeline import Deal, forecast_pipeline

START = date(2024, 1, 1)


def _history(n_months: int, day: date) -> tuple[list[Deal], dict[str, date]]:
    """Every month two deals are created, each said to close 30 days later and each won 120
    days after it was created (every deal slips three months); amounts 1,000 each. Deals
    not won by `day` are open, with the day they will be won on the side."""
    deals, lands = [], {}
    for k in range(n_months):
        created = date(START.year + k // 12, k % 12 + 1, 5)
        for j in range(2):
            won_on, said = created + timedelta(days=120), created + timedelta(days=30)
            name = f"O{k}-{j}"
            if won_on < day:
                deals.append(Deal(name, created, won_on, 1000.0, True, won_on, False,
                                  ((created, "qualification"), (won_on, "closed_won"))))
            else:
                lands[name] = won_on
                deals.append(Deal(name, created, said, 1000.0, False, None, False,
                                  ((created, "qualification"),)))
    return deals, lands


def test_a_deal_that_always_slips_is_expected_in_the_quarter_it_lands_in():
    day = date(2026, 10, 31)  # 61 days left in 2026Q4
    deals, lands = _history(34, day)  # created 2024-01 .. 2026-10
    current, following = forecast_pipeline(deals, day)
    won_october = sum(d.amount for d in deals if d.won and date(2026, 10, 1) <= d.closed_on)
    assert current.closed_won_to_date == won_october == 2000  # the June deals
    # Open today: the July to October deals, which say they close in Aug .. Nov (mostly
    # past, so a close-date rule puts them all in Q4). They land 120 days after creation:
    # July and August's in Nov/Dec (Q4), September and October's in Jan/Feb (Q1).
    in_q4 = 1000.0 * sum(date(2026, 11, 1) <= d <= date(2026, 12, 31) for d in lands.values())
    in_q1 = 1000.0 * sum(date(2027, 1, 1) <= d <= date(2027, 3, 31) for d in lands.values())
    assert (in_q4, in_q1) == (4000, 4000)
    assert current.expected - current.new_business == pytest.approx(won_october + in_q4,
                                                                    rel=0.1)
    assert following.expected - following.new_business == pytest.approx(in_q1, rel=0.1)
    assert np.isfinite([current.p10, current.p90]).all()


def test_the_deal_models_win_probability_prices_the_deals_it_scored():
    """Where the deal model scored an open deal, its chance in a quarter is the model's win
    probability times the share of such wins landing in the quarter; the deals it did not
    score keep the learned rates. Here every deal is won 120 days after creation, so a deal
    the model gives 0.5 is worth half its amount to the quarter it lands in."""
    day = date(2026, 10, 31)
    deals, lands = _history(34, day)
    scored = {name for name in sorted(lands)[::2]}  # every other open deal
    priced = [replace(d, model_chance=0.5) if d.opportunity_id in scored else d
              for d in deals]
    current, following = forecast_pipeline(priced, day)
    assert current.priced_by_model == following.priced_by_model == len(scored) == 4

    def worth(first: date, last: date) -> float:
        return sum(1000.0 * (0.5 if name in scored else 1.0)
                   for name, lands_on in lands.items() if first <= lands_on <= last)

    in_q4, in_q1 = worth(date(2026, 11, 1), date(2026, 12, 31)), worth(date(2027, 1, 1),
                                                                        date(2027, 3, 31))
    assert (in_q4, in_q1) == (3000, 3000)
    assert current.expected - current.new_business == pytest.approx(2000 + in_q4, rel=0.1)
    assert following.expected - following.new_business == pytest.approx(in_q1, rel=0.1)
    # A model probability of zero leaves the deal nothing within its horizon.
    nothing = [replace(d, model_chance=0.0) if d.opportunity_id in lands else d
               for d in deals]
    current, following = forecast_pipeline(nothing, day)
    assert current.expected - current.new_business == pytest.approx(2000, abs=1e-9)
    assert following.expected - following.new_business == pytest.approx(0, abs=1e-9)
