"""Checks of a forecast run (issue 10), over forecast.revenue_forecast and backtest_metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

CHECK_NAMES = ("no_missing_months", "intervals_ordered", "coherent_within_a_millionth",
               "backtest_beats_seasonal_naive_on_total")


@dataclass
class ForecastCheck:
    name: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def run_checks(conn: duckdb.DuckDBPyConnection, run_id: str,
               horizon: int = 12) -> list[ForecastCheck]:
    def rows(sql: str, *more: object) -> list[tuple]:
        return conn.execute(sql, [run_id, *more]).fetchall()

    gaps = rows("""
        SELECT level, series, count(*), min(month), max(month)
        FROM forecast.revenue_forecast WHERE run_id = ? GROUP BY ALL
        HAVING count(*) <> ? OR date_diff('month', min(month), max(month)) <> count(*) - 1
    """, horizon)
    disorder = rows("""SELECT level, series, month FROM forecast.revenue_forecast
        WHERE run_id = ? AND NOT (lo95 <= lo80 AND lo80 <= yhat AND yhat <= hi80
                                   AND hi80 <= hi95) ORDER BY ALL""")
    incoherent = rows("""
        WITH f AS (SELECT * FROM forecast.revenue_forecast WHERE run_id = ?),
        company AS (SELECT month, yhat FROM f WHERE level = 'company'),
        sums AS (SELECT level, month, sum(yhat) AS total FROM f
                 WHERE level IN ('region', 'channel', 'category', 'region_category')
                 GROUP BY ALL)
        SELECT sums.level, sums.month, sums.total, company.yhat FROM sums JOIN company
            USING (month)
        WHERE abs(sums.total - company.yhat) > 1e-6 * greatest(abs(company.yhat), 1)
        ORDER BY ALL""")
    skill = rows("""
        WITH m AS (SELECT * FROM forecast.backtest_metrics WHERE run_id = ?),
        chosen AS (SELECT level, series, avg(mase) AS mase FROM m WHERE is_chosen
                   GROUP BY ALL),
        naive AS (SELECT level, series, avg(mase) AS mase FROM m
                  WHERE model = 'seasonal_naive' GROUP BY ALL)
        SELECT chosen.level, chosen.series, chosen.mase, naive.mase FROM chosen
        JOIN naive USING (level, series) WHERE chosen.mase > naive.mase ORDER BY ALL""")
    total = [r for r in skill if r[0] == "company"]
    return [
        ForecastCheck("no_missing_months", not gaps,
                      [f"{lvl} {s}: {n} months {a}..{b}" for lvl, s, n, a, b in gaps]),
        ForecastCheck("intervals_ordered", not disorder,
                      [f"{lvl} {s} {m}" for lvl, s, m in disorder]),
        ForecastCheck("coherent_within_a_millionth", not incoherent,
                      [f"{lvl} {m}: children {t:.2f}, company {c:.2f}"
                       for lvl, m, t, c in incoherent]),
        # Worse than seasonal naive in the backtest: a warning per series, a failure for the
        # company total.
        ForecastCheck("backtest_beats_seasonal_naive_on_total", not total,
                      [f"company: MASE {m:.3f} > seasonal naive {n:.3f}"
                       for _, _, m, n in total],
                      [f"{lvl} {s}: MASE {m:.3f} > seasonal naive {n:.3f}"
                       for lvl, s, m, n in skill if lvl != "company"]),
    ]
