# ruff: noqa: E501  (a table of column descriptions reads better unwrapped)
"""Write models/marts/sales/_kpi_marts.yml: docs, contracts and tests of the KPI marts."""

from pathlib import Path

MONEY = "decimal(38,12)"
METRICS = [
    ("net_revenue", MONEY, "Order lines qty x unit_price - discount - returns, cancelled orders excluded, by order month, reporting currency.", True),
    ("net_revenue_new_customers", MONEY, "Net revenue from customers whose first ever order falls in the month.", True),
    ("net_revenue_existing_customers", MONEY, "Net revenue from customers who ordered before the month.", True),
    ("orders", "integer", "Non-cancelled orders in the month.", True),
    ("active_customers", "integer", "Distinct customers with a non-cancelled order in the month.", True),
    ("new_customers", "integer", "Customers whose first ever order falls in the month.", True),
    ("quota_amount", MONEY, "Quota for the month (plan/quotas), reporting currency; null when none was set.", False),
    ("attainment", "double", "net_revenue / quota_amount; null without a quota.", False),
    ("won_count", "integer", "Deals closed won in the month (deleted deals excluded).", True),
    ("lost_count", "integer", "Deals closed lost in the month (deleted deals excluded).", True),
    ("win_rate", "double", "won / (won + lost) by count; null when nothing closed. Open deals never count.", False),
    ("win_rate_by_amount", "double", "won amount / (won + lost amount); null when nothing closed.", False),
    ("bookings_amount", MONEY, "Won opportunity amounts at close date, reporting currency (rate of the close date).", True),
    ("average_deal_size", "double", "bookings_amount / won_count; null without wins.", False),
    ("median_sales_cycle_days", "double", "Median of close date - created date over deals won in the month.", False),
    ("opportunities_created", "integer", "Opportunities created in the month (deleted excluded).", True),
    ("pipeline_created_amount", MONEY, "Amount of opportunities created in the month, reporting currency (unvalued deals count 0).", True),
    ("leads_created", "integer", "Leads created in the month owned by the node.", True),
    ("leads_converted", "integer", "Of those leads, the ones converted (status converted).", True),
    ("lead_conversion_rate", "double", "leads_converted / leads_created; null without leads.", False),
    ("activities", "integer", "Logged activities (calls, emails, meetings, visits, demos).", True),
    ("customer_visits", "integer", "Activities of type visit.", True),
    ("cross_sell_rate", "double", "Of the customers buying in the month, the share buying from two or more product categories.", False),
    ("nps_responses", "integer", "NPS responses attributed to the node in the month.", True),
    ("nps", "double", "% promoters (9-10) - % detractors (0-6), -100..100; null with no responses.", False),
    ("csat_responses", "integer", "CSAT responses attributed to the node in the month.", True),
    ("csat", "double", "Share of CSAT responses scoring 4-5, 0..1; null with no responses.", False),
    ("complaints", "integer", "Complaints opened in the month attributed to the node.", True),
    ("complaints_per_100_orders", "double", "complaints / orders x 100; null without orders.", False),
    ("customers_previous_month", "integer", "Customers active with the node in the previous month.", False),
    ("retention_rate", "double", "Of customers active with the node last month, the share active again this month.", False),
]
RANGES = {"win_rate": (0, 1), "win_rate_by_amount": (0, 1), "lead_conversion_rate": (0, 1),
          "cross_sell_rate": (0, 1), "csat": (0, 1), "retention_rate": (0, 1), "nps": (-100, 100)}

MARTS = {
    "mart_rep_kpis": ("rep_id", """Rep KPIs per month (METRICS.md §7, handbook ch. 9.1). Grain: one row per month x rep.
      Every employed rep appears every month (zeros, not gaps); revenue and deals with no known
      rep appear under rep_id '(unassigned)'. rep_name, role, manager_id, team and region are
      as they stood in that month (dim_rep history).""", [
        ("rep_id", "varchar", "The rep, or '(unassigned)'."),
        ("rep_name", "varchar", "Rep name in that month."),
        ("role", "varchar", "ae, sdr, manager or channel, in that month."),
        ("manager_id", "varchar", "The manager the rep reported to in that month."),
        ("team", "varchar", "The rep's team in that month."),
        ("region", "varchar", "The rep's region in that month."),
        ("is_employed", "boolean", "Whether the rep was employed (hire/end dates) in the month."),
    ]),
    "mart_manager_kpis": ("manager_id", """Rep KPIs rolled up to the manager each rep reported to in that month.
      Grain: one row per month x manager. Ratios and medians are computed from the team's
      events, never averaged from its reps.""", [
        ("manager_id", "varchar", "The manager, or '(unassigned)'."),
        ("manager_name", "varchar", "The manager's name."),
        ("manager_region", "varchar", "The manager's own region (current)."),
    ]),
    "mart_region_kpis": ("region", """Rep KPIs rolled up to the region each rep belonged to in that month.
      Grain: one row per month x region.""", [
        ("region", "varchar", "The region, or '(unassigned)'."),
    ]),
}


def column(name: str, data_type: str, description: str, not_null: bool = False,
           tests: list[str] | None = None) -> str:
    out = [f"      - name: {name}", f"        description: \"{description}\"",
           f"        data_type: {data_type}"]
    if not_null:
        out.append("        constraints: [{type: not_null}]")
    if tests:
        out.append("        data_tests:")
        out += [f"          - {t}" for t in tests]
    return "\n".join(out)


def main() -> None:
    lines = ["# Generated by dbt_project/scripts/gen_kpi_yaml.py; edit that script, not this file.",
             "version: 2", "", "models:"]
    for model, (node, description, dims) in MARTS.items():
        lines += [f"  - name: {model}", "    description: >", f"      {description}",
                  "    config:", "      contract:", "        enforced: true",
                  "    data_tests:", "      - unique_combination_of_columns:",
                  "          arguments:", f"            combination_of_columns: [month, {node}]",
                  "    columns:",
                  column("month", "date", "First day of the calendar month.", True,
                         ["relationships:\n              arguments:\n                to: ref('dim_date')\n                field: date_day"])]
        for name, data_type, text in dims:
            tests = None
            if name == "rep_id":
                tests = ["relationships:\n              arguments:\n                to: ref('stg_crm__reps')\n                field: rep_id\n              config:\n                where: \"rep_id <> '(unassigned)'\""]
            lines.append(column(name, data_type, text, name == node, tests))
        for name, data_type, text, required in METRICS:
            tests = None
            if name in RANGES:
                low, high = RANGES[name]
                tests = [f"value_between:\n              arguments:\n                min_value: {low}\n                max_value: {high}"]
            lines.append(column(name, data_type, text, required, tests))
        lines.append("")
    Path(__file__).resolve().parent.parent.joinpath(
        "models/marts/sales/_kpi_marts.yml").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
