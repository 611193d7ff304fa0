"""Great Expectations suites over the marts: ranges, value sets and cross-column logic.

dbt tests check keys, grains and relationships as the marts are built; these suites look at the
finished tables the way a BI user would: rates within 0..1, NPS within -100..100, funnel steps
that never grow, a cohort's month 0 at 100 %, segments from the documented set. Each mart's
suite reads only the columns it checks, so the marts stay in DuckDB and memory stays small.

Great Expectations takes seconds to import: it is imported inside `validate_marts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

RATE = (0, 1)
NPS = (-100, 100)


@dataclass(frozen=True)
class Rule:
    """One expectation: `kind` names it, `args` are its arguments."""

    kind: str  # between | in_set | not_null | a_ge_b | rows_at_least
    args: tuple[Any, ...]


def _rates(*columns: str) -> list[Rule]:
    return [Rule("between", (c, *RATE)) for c in columns]


KPI_RULES = [
    *_rates("win_rate", "win_rate_by_amount", "lead_conversion_rate", "cross_sell_rate", "csat",
            "retention_rate"),
    Rule("between", ("nps", *NPS)),
    Rule("between", ("attainment", 0, None)),
    Rule("between", ("median_sales_cycle_days", 0, None)),
    Rule("a_ge_b", ("leads_created", "leads_converted")),
    Rule("a_ge_b", ("active_customers", "new_customers")),
    Rule("not_null", ("net_revenue",)),
]

SUITES: dict[str, list[Rule]] = {
    "mart_rep_kpis": KPI_RULES,
    "mart_manager_kpis": KPI_RULES,
    "mart_region_kpis": KPI_RULES,
    "mart_sales_daily": [Rule("rows_at_least", (1,)), Rule("between", ("orders", 0, None)),
                         Rule("between", ("new_customers", 0, None))],
    "mart_channel_performance": [
        *_rates("revenue_share", "csat"), Rule("between", ("nps", *NPS)),
        Rule("a_ge_b", ("customers", "conflict_customers")),
        Rule("between", ("cost_to_revenue_ratio", 0, None)),
    ],
    "mart_customer_value": [
        *[Rule("between", (c, 1, 5)) for c in ("recency_score", "frequency_score",
                                                "monetary_score")],
        Rule("in_set", ("rfm_segment", ["new", "champions", "loyal", "at_risk", "hibernating",
                                        "potential_loyalists", "needs_attention", "prospect"])),
        *_rates("csat"), Rule("between", ("nps", *NPS)),
        Rule("between", ("recency_days", 0, None)),
    ],
    "mart_customer_retention": [*_rates("retention_rate"),
                                Rule("a_ge_b", ("cohort_customers", "active_customers"))],
    "mart_customer_satisfaction": [
        *_rates("csat", "share_resolved_within_sla", "csat_late_delivery",
                "csat_on_time_delivery"),
        *[Rule("between", (c, *NPS)) for c in ("nps", "nps_late_delivery",
                                                "nps_on_time_delivery")],
        Rule("a_ge_b", ("complaints", "complaints_resolved")),
        Rule("a_ge_b", ("csat_responses", "csat_responses_late_delivery")),
        Rule("a_ge_b", ("csat_responses", "csat_responses_on_time_delivery")),
    ],
    "mart_order_fulfilment": [
        *_rates("on_time_rate"),
        Rule("a_ge_b", ("shipments", "orders_shipped")),
        Rule("a_ge_b", ("shipments", "delivered")),
        Rule("a_ge_b", ("delivered", "delivered_with_promise")),
        Rule("a_ge_b", ("delivered_with_promise", "delivered_on_time")),
        Rule("a_ge_b", ("shipments", "late_shipments")),
        Rule("between", ("median_days_order_to_ship", 0, None)),
        Rule("between", ("median_days_ship_to_deliver", 0, None)),
    ],
    "mart_returns": [*_rates("return_rate"), Rule("a_ge_b", ("units_sold", "units_returned")),
                     Rule("a_ge_b", ("order_lines", "returned_lines"))],
    "mart_lead_funnel": [
        *_rates("qualification_rate", "conversion_rate", "converted_to_won_rate",
                 "lead_to_win_rate"),
        Rule("a_ge_b", ("leads_created", "leads_qualified")),
        Rule("a_ge_b", ("leads_qualified", "leads_converted")),
        Rule("a_ge_b", ("leads_converted", "leads_won")),
    ],
    "mart_opportunity_funnel": [*_rates("conversion_to_later_stage"),
                                Rule("a_ge_b", ("entered", "reached_later_stage"))],
    "mart_pipeline_rep_daily": [Rule("a_ge_b", ("open_deals", "unvalued_deals")),
                                Rule("between", ("open_amount", 0, None))],
    "fct_opportunities": [*_rates("probability", "win_probability")],
    "mart_targets_vs_actual": [Rule("in_set", ("metric", ["revenue", "new_customers",
                                                          "market_share", "csat", "nps",
                                                          "category_mix"]))],
}


@dataclass
class MartOutcome:
    mart: str
    rows: int = 0
    expectations: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def _columns(rules: list[Rule]) -> list[str]:
    names: list[str] = []
    for rule in rules:
        if rule.kind == "a_ge_b":
            names += [rule.args[0], rule.args[1]]
        elif rule.kind != "rows_at_least":
            names.append(rule.args[0])
    return list(dict.fromkeys(names))


def _expectation(rule: Rule, gxe: Any) -> Any:
    if rule.kind == "between":
        column, low, high = rule.args
        return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high)
    if rule.kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(column=rule.args[0], value_set=rule.args[1])
    if rule.kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=rule.args[0])
    if rule.kind == "a_ge_b":
        return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=rule.args[0], column_B=rule.args[1], or_equal=True,
            ignore_row_if="either_value_is_missing")
    if rule.kind == "rows_at_least":
        return gxe.ExpectTableRowCountToBeBetween(min_value=rule.args[0])
    raise ValueError(f"unknown rule {rule.kind}")


def validate_marts(conn: duckdb.DuckDBPyConnection,
                   suites: dict[str, list[Rule]] | None = None) -> list[MartOutcome]:
    """Run each mart's suite on the warehouse; one outcome per mart."""
    from ingest.quality import Validator

    validator = Validator()  # one Great Expectations context and datasource for every mart
    outcomes = []
    for mart, rules in (suites or SUITES).items():
        outcome = MartOutcome(mart)
        columns = ", ".join(f'"{c}"' for c in _columns(rules)) or "1 AS one"
        frame = conn.execute(f'SELECT {columns} FROM marts."{mart}"').df()
        outcome.rows = len(frame)
        results = validator.validate(
            f"marts.{mart}", frame, [_expectation(rule, validator.expectations) for rule in rules])
        outcome.expectations = len(results)
        for item in results:
            if not item.success:
                details = item.result or {}
                examples = (details.get("partial_unexpected_list")
                            or details.get("observed_value"))
                config = item.expectation_config
                count = details.get("unexpected_count", "?")
                outcome.failures.append(f"{config.type}({config.kwargs}): {count} unexpected, "
                                        f"e.g. {str(examples)[:200]}")
        outcomes.append(outcome)
    return outcomes
