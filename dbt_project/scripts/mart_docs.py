# ruff: noqa: E501  (a table of descriptions reads better unwrapped)
"""Descriptions and grains of the marts, for gen_mart_yaml.py."""

MONEY = "Reporting currency."


# The three KPI marts share their metric columns (macros/kpi_rollup.sql).
KPI_METRICS = {
    "net_revenue": 'Order lines qty x unit_price - discount - returns, cancelled orders excluded, by order month, reporting currency.',
    "net_revenue_new_customers": 'Net revenue from customers whose first ever order falls in the month.',
    "net_revenue_existing_customers": 'Net revenue from customers who ordered before the month.',
    "orders": 'Non-cancelled orders in the month.',
    "active_customers": 'Distinct customers with a non-cancelled order in the month.',
    "new_customers": 'Customers whose first ever order falls in the month.',
    "quota_amount": 'Quota for the month (plan/quotas), reporting currency; null when none was set.',
    "attainment": 'net_revenue / quota_amount; null without a quota.',
    "won_count": 'Deals closed won in the month (deleted deals excluded).',
    "lost_count": 'Deals closed lost in the month (deleted deals excluded).',
    "win_rate": 'won / (won + lost) by count; null when nothing closed. Open deals never count.',
    "win_rate_by_amount": 'won amount / (won + lost amount); null when nothing closed.',
    "bookings_amount": 'Won opportunity amounts at close date, reporting currency (rate of the close date).',
    "average_deal_size": 'bookings_amount / won_count; null without wins.',
    "median_sales_cycle_days": 'Median of close date - created date over deals won in the month.',
    "opportunities_created": 'Opportunities created in the month (deleted excluded).',
    "pipeline_created_amount": 'Amount of opportunities created in the month, reporting currency (unvalued deals count 0).',
    "leads_created": 'Leads created in the month owned by the node.',
    "leads_converted": 'Of those leads, the ones converted (status converted).',
    "lead_conversion_rate": 'leads_converted / leads_created; null without leads.',
    "activities": 'Logged activities (calls, emails, meetings, visits, demos).',
    "customer_visits": 'Activities of type visit.',
    "cross_sell_rate": 'Of the customers buying in the month, the share buying from two or more product categories.',
    "nps_responses": 'NPS responses attributed to the node in the month.',
    "nps": '% promoters (9-10) - % detractors (0-6), -100..100; null with no responses.',
    "csat_responses": 'CSAT responses attributed to the node in the month.',
    "csat": 'Share of CSAT responses scoring 4-5, 0..1; null with no responses.',
    "complaints": 'Complaints opened in the month attributed to the node.',
    "complaints_per_100_orders": 'complaints / orders x 100; null without orders.',
    "customers_previous_month": 'Customers active with the node in the previous month.',
    "retention_rate": 'Of customers active with the node last month, the share active again this month.',
}
KPI_REQUIRED = ['net_revenue', 'net_revenue_new_customers', 'net_revenue_existing_customers', 'orders', 'active_customers', 'new_customers', 'won_count', 'lost_count', 'bookings_amount', 'opportunities_created', 'pipeline_created_amount', 'leads_created', 'leads_converted', 'activities', 'customer_visits', 'nps_responses', 'csat_responses', 'complaints']

MARTS: dict[str, dict] = {
    "core": {
        "dim_date": dict(grain=["date_day"], description="The calendar, one row per day from the first month of data to the end of the year after the as-of date, with calendar and fiscal periods (fiscal year starts in var fiscal_year_start_month and is named by the year it ends in).", columns={
            "date_day": "The day.", "day_of_week": "ISO day of week, Monday = 1.", "is_weekend": "Saturday or Sunday.",
            "week_start": "Monday of the ISO week.", "day_of_month": "1..31.", "month_start": "First day of the month.", "month_end": "Last day of the month.",
            "calendar_month": "1..12.", "calendar_quarter": "1..4.", "quarter_start": "First day of the quarter.", "calendar_year": "Year.", "year_start": "1 January.",
            "fiscal_month": "1..12, 1 = the fiscal year's first month.", "fiscal_quarter": "1..4.", "fiscal_year": "Fiscal year, named by the calendar year in which it ends.",
            "is_past_or_today": "On or before the as-of date.", "is_as_of_date": "The as-of date itself."}),
        "dim_channel": dict(grain=["channel"], description="Sales channels from the channel_map seed, plus any channel seen in orders or deals that the map lacks (is_unmapped).", columns={
            "channel": "Channel code.", "channel_name": "Display name.", "channel_type": "direct, indirect, or unmapped.", "is_indirect": "Sold through intermediaries.", "is_unmapped": "Seen in the data but missing from the channel map."}),
        "dim_product": dict(grain=["product_id"], description="Products with category, list price and unit cost; products sold but missing from the product export are kept (is_unknown_product).", columns={
            "product_id": "Product key.", "product_name": "Name.", "category": "Product category ('unknown' when not exported).", "list_price": "List price, product currency.",
            "unit_cost": "Unit cost, product currency; null when unknown (then margins are unknown).", "currency": "Currency of price and cost.", "is_unknown_product": "Sold but not in the product export."}),
        "dim_customer": dict(grain=["account_id"], description="Customers (accounts): classification, owner, first and last order. Customers that bought but are missing from the accounts export are kept (is_unknown_account). Contact details stay in staging (PII).", columns={
            "account_id": "Account key.", "account_name": "Name.", "region": "Customer region.", "country": "Country.", "industry": "Industry.", "size_segment": "enterprise, mid_market or smb.",
            "owner_rep_id": "Account owner (current).", "created_at": "When the account was created (UTC).", "first_order_date": "First non-cancelled order.", "last_order_date": "Latest non-cancelled order.",
            "order_count": "Non-cancelled orders.", "is_unknown_account": "Bought but not in the accounts export.", "is_customer": "Has at least one non-cancelled order."}),
        "dim_rep": dict(grain=["rep_version_key"], description="Reps with their hierarchy history: one row per rep and version; a version holds from valid_from (inclusive) to valid_to (exclusive). Versions date from the record's updated_at, else from the load of its file; the first version holds from 1900.", columns={
            "rep_version_key": "rep_id@valid_from.", "rep_id": "Rep key.", "rep_name": "Name in this version.", "role": "ae, sdr, manager or channel.", "region": "Region in this version.",
            "team": "Team in this version.", "manager_id": "Manager in this version.", "manager_name": "The manager's current name.", "hire_date": "Hire date.", "end_date": "Last day employed.",
            "valid_from": "Version start (UTC).", "valid_to": "Version end (UTC), null for the current version.", "is_current": "The version in force now."}),
    },
    "sales": {
    "mart_rep_kpis": dict(grain=["month", "rep_id"], not_null=KPI_REQUIRED, description="Rep KPIs per month (METRICS.md §7, handbook ch. 9.1). Grain: one row per month x rep. Every employed rep appears every month (zeros, not gaps); revenue and deals with no known rep appear under rep_id '(unassigned)'. rep_name, role, manager_id, team and region are as they stood in that month (dim_rep history).", columns={**{'month': 'First day of the calendar month.', 'rep_id': "The rep, or '(unassigned)'.", 'rep_name': 'Rep name in that month.', 'role': 'ae, sdr, manager or channel, in that month.', 'manager_id': 'The manager the rep reported to in that month.', 'team': "The rep's team in that month.", 'region': "The rep's region in that month.", 'is_employed': 'Whether the rep was employed (hire/end dates) in the month.'}, **KPI_METRICS}),
    "mart_manager_kpis": dict(grain=["month", "manager_id"], not_null=KPI_REQUIRED, description="Rep KPIs rolled up to the manager each rep reported to in that month. Grain: one row per month x manager. Ratios and medians are computed from the team's events, never averaged from its reps.", columns={**{'month': 'First day of the calendar month.', 'manager_id': "The manager, or '(unassigned)'.", 'manager_name': "The manager's name.", 'manager_region': "The manager's own region (current)."}, **KPI_METRICS}),
    "mart_region_kpis": dict(grain=["month", "region"], not_null=KPI_REQUIRED, description='Rep KPIs rolled up to the region each rep belonged to in that month. Grain: one row per month x region.', columns={**{'month': 'First day of the calendar month.', 'region': "The region, or '(unassigned)'."}, **KPI_METRICS}),
        "fct_order_lines": dict(grain=["order_id", "line_no"], description="Order lines with revenue at the order date net of discounts, cancellations and returns (a return's share of the line, rounded half-up to the cent, reduces the original order's month), cost and gross margin. Source and reporting currency; no other rounding.", columns={
            "order_id": "Order key.", "line_no": "Line number.", "order_date": "Order date.", "order_month": "First day of the order month.", "account_id": "Customer.",
            "rep_id": "Rep credited with the order (null for unassisted channels).", "channel": "Channel.", "order_status": "placed, shipped, delivered, cancelled or returned.",
            "opportunity_id": "The won deal the order came from, if any.", "product_id": "Product.", "product_category": "Product category.", "currency": "Order currency.",
            "quantity": "Units ordered.", "unit_price": "Price per unit, order currency.", "discount_amount": "Line discount, order currency.", "gross_amount": "quantity x unit_price.",
            "net_amount": "gross_amount - discount_amount.", "returned_quantity": "Units returned (capped at the quantity).", "return_amount": "Returned share of net_amount, rounded to the cent.",
            "net_revenue": "net_amount - return_amount; 0 when cancelled. Order currency.", "rate_to_reporting": "FX rate of the order date.", "net_revenue_reporting": f"net_revenue x rate. {MONEY}",
            "cost_amount_reporting": f"unit cost x units kept; null when the unit cost is unknown. {MONEY}", "gross_margin_reporting": f"net_revenue_reporting - cost_amount_reporting. {MONEY}",
            "is_cancelled": "The order was cancelled.", "is_returned": "Some units were returned.", "is_new_customer_order": "The customer's first ever non-cancelled order.",
            "has_unit_cost": "The product's unit cost is known.", "_source_file": "Landing file of the line.", "_source_line": "Line of the record in that file."}),
        "fct_orders": dict(grain=["order_id"], description="Orders with their lines summed; is_new_customer_order marks a customer's first ever non-cancelled order.", columns={
            "order_id": "Order key.", "account_id": "Customer.", "order_date": "Order date.", "order_month": "First day of the order month.", "channel": "Channel.", "order_status": "Status.",
            "rep_id": "Rep credited.", "opportunity_id": "Originating deal.", "currency": "Order currency.", "line_count": "Lines.", "quantity": "Units.", "gross_amount": "Sum of lines.",
            "discount_amount": "Sum of discounts.", "net_amount": "Sum of net amounts.", "returned_quantity": "Units returned.", "return_amount": "Returned amount.", "net_revenue": "Net revenue, order currency.",
            "net_revenue_reporting": MONEY, "cost_amount_reporting": MONEY, "gross_margin_reporting": MONEY, "is_cancelled": "Cancelled.", "is_new_customer_order": "The customer's first order.",
            "has_no_lines": "No lines were delivered for the order.", "has_unit_cost": "Every line's unit cost is known.", "_source_file": "Landing file.", "_source_line": "Line in that file."}),
        "fct_opportunities": dict(grain=["opportunity_id"], description="Opportunities with eligibility flags as columns (is_win_rate_eligible, is_open_pipeline, ...), amounts in the reporting currency (closed deals at the close date's rate, open ones at the as-of date's), and the sales cycle of won deals. Deleted deals are kept and flagged.", columns={
            "opportunity_id": "Deal key.", "owner_rep_id": "Owner.", "account_id": "Account (null: unknown account).", "lead_id": "Originating lead.", "lead_source": "The lead's source; no_lead or unknown.",
            "product_id": "Product.", "product_category": "Category.", "channel": "direct or partner.", "created_at": "Created (UTC).", "created_date": "Created date.", "created_month": "Created month.",
            "close_date": "Close date (expected, while open).", "close_month": "Close month.", "updated_at": "Last update.", "source_stage": "Stage as the CRM calls it.", "canonical_stage": "Mapped stage.",
            "stage_order": "1..5.", "probability": "0..1; the CRM's, else the stage default.", "forecast_category": "commit, best_case, pipeline or omitted.", "currency": "Deal currency.",
            "amount": "Deal amount, deal currency; null = unvalued.", "rate_to_reporting": "FX rate used.", "amount_reporting": MONEY, "weighted_amount_reporting": f"amount x probability. {MONEY}",
            "lost_reason": "Why it was lost.", "sales_cycle_days": "close_date - created_date, won deals only.", "is_deleted": "Soft-deleted in the CRM.", "is_closed": "Won or lost.",
            "is_won": "Closed won.", "is_lost": "Closed lost.", "is_win_rate_eligible": "Closed and not deleted: counts in win rates.", "is_open_pipeline": "Open and not deleted.",
            "is_unvalued": "No amount.", "is_unknown_account": "No account.", "_source_file": "Landing file.", "_source_line": "Line in that file."}),
        "mart_sales_daily": dict(grain=["date_day"], description="Daily sales KPIs (METRICS.md §9), one row per day to the as-of date, zeros on quiet days.", columns={
            "date_day": "The day.", "bookings_amount": f"Won deal amounts closed that day. {MONEY}", "deals_won": "Deals won that day.", "net_revenue": f"Net revenue of orders that day. {MONEY}",
            "orders": "Non-cancelled orders that day.", "new_customers": "First orders that day.", "opportunities_created": "Deals created that day.", "pipeline_created_amount": f"Their amount. {MONEY}"}),
        "mart_targets_vs_actual": dict(grain=["period", "metric", "scope"], description="Targets (plan/targets) against actuals (METRICS.md §8): revenue, new_customers, market_share (revenue / plan/market_size), category_mix (category share of revenue), csat (0-1), nps (-100..100); scopes company, region:<customer region>, channel:<c>, category:<c>. Periods after the as-of date are not measured.", columns={
            "period": "YYYY-MM.", "period_month": "First day of the period.", "metric": "The target's metric.", "scope": "company, region:.., channel:.., category:..", "target_value": "Target.",
            "actual_value": "Actual; null when not measured yet.", "gap": "actual - target.", "pct_of_target": "actual / target.", "is_measured": "The period has started by the as-of date."}),
    },
    "channel": {
        "mart_channel_performance": dict(grain=["month", "channel"], description="Channel performance per month (METRICS.md §4): revenue, orders, customers, gross margin, channel cost and cost-to-revenue, revenue share, CSAT/NPS and complaints of the channel's customers, and channel conflict (customers buying through more than one channel in the month, and their revenue in this channel).", columns={
            "month": "First day of the month.", "channel": "Channel.", "net_revenue": MONEY, "orders": "Non-cancelled orders.", "customers": "Distinct customers.", "gross_margin": f"Revenue - cost. {MONEY}",
            "margin_is_complete": "Every line's cost was known.", "channel_cost": "plan/channel_costs for the month.", "cost_to_revenue_ratio": "channel_cost / net_revenue.",
            "revenue_share": "Share of the month's revenue.", "nps_responses": "NPS responses.", "nps": "-100..100; null without responses.", "csat_responses": "CSAT responses.",
            "csat": "Share 4-5, 0..1; null without responses.", "complaints": "Complaints opened.", "complaints_per_100_orders": "complaints / orders x 100.",
            "conflict_customers": "Customers who bought through another channel too in the month.", "conflict_revenue": f"Their revenue in this channel. {MONEY}"}),
    },
    "customer": {
        "mart_customer_value": dict(grain=["account_id"], description="Customer value (METRICS.md §5): classification, orders, revenue, RFM quintile scores (5 best) and segment, historical CLV (revenue, margin), a simple 12-month predicted CLV (monthly run rate x 12, halved under churn risk), cost-to-serve (channel costs allocated by revenue share), satisfaction, complaints, and a churn-risk flag with its reason.", columns={
            "account_id": "Customer.", "account_name": "Name.", "region": "Region.", "country": "Country.", "industry": "Industry.", "size_segment": "Segment.", "owner_rep_id": "Owner.",
            "first_order_date": "First order.", "last_order_date": "Latest order.", "orders": "Non-cancelled orders.", "net_revenue": MONEY, "average_order_value": "net_revenue / orders.",
            "tenure_months": "Months from the first order to the as-of month, inclusive.", "orders_per_month": "Purchase frequency.", "recency_days": "Days since the last order.",
            "recency_score": "1-5 (5 = most recent).", "frequency_score": "1-5.", "monetary_score": "1-5.", "rfm_segment": "new, champions, loyal, at_risk, hibernating, potential_loyalists, needs_attention or prospect.",
            "historical_clv_revenue": "Revenue to date.", "historical_clv_margin": "Gross margin to date; null when some cost is unknown.", "predicted_clv_12m_revenue": "Revenue expected in the next 12 months.",
            "cost_to_serve": "Channel costs allocated by revenue share (each share rounded to the cent).", "nps_responses": "NPS responses.", "nps": "-100..100.", "csat_responses": "CSAT responses.", "csat": "0..1.",
            "complaints": "Complaints.", "open_complaints": "Unresolved complaints.", "is_churn_risk": "Any churn signal.", "churn_risk_reason": "The first churn signal found.",
            "is_customer": "Has ordered.", "is_unknown_account": "Not in the accounts export."}),
        "mart_customer_retention": dict(grain=["cohort_month", "month_offset"], description="Cohort retention (METRICS.md §5): customers by first-order month, active (a non-cancelled order) in each later month.", columns={
            "cohort_month": "First-order month.", "month_offset": "Months after the first (0 = first).", "activity_month": "The month measured.", "cohort_customers": "Customers in the cohort.",
            "active_customers": "Of them, active in the month.", "retention_rate": "active / cohort.", "net_revenue": f"The cohort's revenue in the month. {MONEY}"}),
        "mart_customer_satisfaction": dict(grain=["month", "region", "channel", "rep_id"], description="Customer satisfaction (METRICS.md §6) per month x customer region x channel x rep, for every combination with a response, complaint or order; counts are additive so BI can roll up and recompute NPS = %promoters(9-10) - %detractors(0-6) and CSAT = share of 4-5.", columns={
            "month": "First day of the month.", "region": "Customer region or (unknown).", "channel": "Channel or (none).", "rep_id": "Rep or (none).", "nps_responses": "NPS responses.",
            "promoters": "Scores 9-10.", "detractors": "Scores 0-6.", "nps": "-100..100; null without responses.", "csat_responses": "CSAT responses.", "csat_satisfied": "Scores 4-5.",
            "csat": "0..1; null without responses.", "orders": "Non-cancelled orders.", "complaints": "Complaints opened.", "complaints_per_100_orders": "complaints / orders x 100.",
            "complaints_resolved": "Of them, resolved.", "median_resolution_hours": "Median hours to resolve.", "share_resolved_within_sla": "Resolved within var complaint_sla_hours (48) / complaints."}),
    },
    "pipeline": {
        "mart_lead_funnel": dict(grain=["month", "lead_source", "rep_id"], description="The lead funnel (METRICS.md §1) by lead creation month (a cohort) x lead source x lead owner: created, qualified, converted to an opportunity, won; the conversion of each step and median days between steps.", columns={
            "month": "Leads' creation month.", "lead_source": "Source.", "rep_id": "Lead owner.", "leads_created": "Leads.", "leads_qualified": "Reached qualified.", "leads_converted": "Became an opportunity.",
            "leads_won": "Whose opportunity was won.", "qualification_rate": "qualified / created.", "conversion_rate": "converted / qualified.", "win_rate": "won / converted.",
            "lead_to_win_rate": "won / created.", "median_days_to_qualify": "created -> qualified.", "median_days_to_convert": "qualified -> converted.", "median_days_to_win": "converted -> won."}),
        "mart_opportunity_funnel": dict(grain=["cohort_month", "canonical_stage"], description="The opportunity funnel (METRICS.md §2) by creation month x canonical stage: deals entering the stage, going on to any later stage (skips count, losses do not), the conversion, and median days in the stage.", columns={
            "cohort_month": "Deals' creation month.", "canonical_stage": "Stage.", "stage_order": "1..5.", "entered": "Deals that entered the stage.",
            "reached_later_stage": "Of them, reached a later stage (not closed_lost).", "conversion_to_later_stage": "reached_later_stage / entered; null for closed stages.", "median_days_in_stage": "Median days until the next stage."}),
        "mart_pipeline_daily": dict(grain=["date_day", "opportunity_id"], description="The pipeline replayed from the stage history (METRICS.md §3): every open deal on every day, its stage that day, amount and weighted amount (default stage probability). Amounts are current (no amount history).", columns={
            "date_day": "The day.", "opportunity_id": "Deal.", "owner_rep_id": "Owner.", "stage": "Stage at the end of the day.", "expected_close_date": "Close date.", "open_amount": MONEY,
            "probability": "Default probability of the stage, 0..1.", "weighted_amount": f"open_amount x probability. {MONEY}", "is_unvalued": "No amount."}),
        "mart_pipeline_rep_daily": dict(grain=["date_day", "rep_id", "stage"], description="The replayed pipeline per day x rep x stage.", columns={
            "date_day": "The day.", "rep_id": "Owner.", "stage": "Stage.", "open_deals": "Open deals.", "unvalued_deals": "Of them, without amount.", "open_amount": MONEY, "weighted_amount": MONEY}),
        "mart_pipeline_coverage": dict(grain=["date_day", "rep_id"], description="Pipeline coverage per day x rep with a quota that month: open pipeline expected to close in the month / (quota - bookings so far in the month); null when that gap is not positive.", columns={
            "date_day": "The day.", "rep_id": "Rep.", "quota_amount": MONEY, "bookings_to_date": f"Won so far in the month. {MONEY}", "open_pipeline_closing_in_month": MONEY, "coverage": "The ratio."}),
    },
}

EXPOSURES = """
exposures:
  - name: sales_performance_dashboard
    type: dashboard
    maturity: medium
    description: BI dashboard for sales leadership - rep, team and region KPIs, targets, daily sales.
    owner: {name: Sales Operations, email: sales-ops@example.com}
    depends_on:
      - ref('mart_rep_kpis')
      - ref('mart_manager_kpis')
      - ref('mart_region_kpis')
      - ref('mart_targets_vs_actual')
      - ref('mart_sales_daily')
  - name: pipeline_and_funnel_dashboard
    type: dashboard
    maturity: medium
    description: BI dashboard of the lead and opportunity funnels and the daily pipeline with coverage.
    owner: {name: Sales Operations, email: sales-ops@example.com}
    depends_on:
      - ref('mart_lead_funnel')
      - ref('mart_opportunity_funnel')
      - ref('mart_pipeline_daily')
      - ref('mart_pipeline_rep_daily')
      - ref('mart_pipeline_coverage')
  - name: channel_and_customer_dashboard
    type: dashboard
    maturity: medium
    description: BI dashboard of channel performance and conflict, customer value, retention and satisfaction.
    owner: {name: Marketing and Customer Success, email: cx@example.com}
    depends_on:
      - ref('mart_channel_performance')
      - ref('mart_customer_value')
      - ref('mart_customer_retention')
      - ref('mart_customer_satisfaction')
  - name: finance_commission_export
    type: application
    maturity: medium
    description: Finance's commission and revenue export - credits come from order-line revenue and rep KPIs.
    owner: {name: Finance, email: finance@example.com}
    depends_on:
      - ref('fct_order_lines')
      - ref('fct_orders')
      - ref('mart_rep_kpis')
"""
