"""The rep KPIs of METRICS.md §7, computed from the landing files alone, the way a controller
would check them: Python's csv and Decimal, no SQL, no code shared with the warehouse.

Used by the end-to-end tests to check every column of `mart_rep_kpis` and its manager and
region roll-ups (with the hierarchy as it stood each month, from the dated rep exports).
Follows the definitions as written:
- revenue at the order date, net of discounts, cancellations and returns (a return's share of
  the line exact to 1e-12), in the reporting currency at the order date's rate (the latest
  rate on or before it), each line exact to 1e-12;
- new customer: the customer's first non-cancelled order (ties: smallest id), counted once,
  for that order's rep; revenue "from new customers" is the revenue of customers in the month
  of their first order;
- bookings and win rate by close month, deleted deals excluded; open deals never count;
- a lead is converted with a conversion time or the status converted;
- satisfaction: responses and complaints carrying a rep, else the account's owner;
- counts of a month without activity are 0, ratios over nothing are None.
"""

from __future__ import annotations

import bisect
import csv
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

PICO = Decimal("1e-12")
UNASSIGNED = "(unassigned)"
CLOSED = {"closed won": "won", "won": "won", "closed_won": "won",
          "closed lost": "lost", "lost": "lost", "closed_lost": "lost"}


def files(landing: Path, entity: str) -> list[Path]:
    return sorted((landing / entity).glob("*.csv"))


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [{k: (v.strip() or None) for k, v in row.items()} for row in csv.DictReader(handle)]


def latest(landing: Path, entity: str, key: tuple[str, ...], version: str | None = None) -> dict:
    """Newest version per key: latest `version`, then the later file, then the later line."""
    best: dict[tuple, tuple] = {}
    for number, path in enumerate(files(landing, entity)):
        for line, row in enumerate(read(path)):
            k = tuple(row[c] for c in key)
            rank = (row.get(version) or "" if version else "", number, line)
            if k not in best or rank > best[k][0]:
                best[k] = (rank, row)
    return {k: v[1] for k, v in best.items()}


def day(text: str) -> date:
    return date.fromisoformat(text[:10])


def month_of(d: date) -> date:
    return d.replace(day=1)


def next_month(m: date) -> date:
    return date(m.year + m.month // 12, m.month % 12 + 1, 1)


def month_end(m: date) -> date:
    return next_month(m) - timedelta(days=1)


def ratio(numerator, denominator) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


class Rates:
    """Rate to the reporting currency on a day: the latest published on or before it."""

    def __init__(self, landing: Path, reporting: str, as_of: date) -> None:
        self.reporting = reporting
        series: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
        for row in latest(landing, "plan/fx_rates", ("rate_date", "currency")).values():
            if day(row["rate_date"]) > as_of:  # not published yet on the day
                continue
            series[row["currency"]].append(
                (day(row["rate_date"]), Decimal(row["rate_to_reporting"])))
        self.series = {c: sorted(s) for c, s in series.items()}

    def on(self, currency: str | None, when: date) -> Decimal | None:
        if currency in (None, self.reporting):
            return Decimal(1)
        series = self.series.get(currency, [])
        position = bisect.bisect_right([d for d, _ in series], when) - 1
        return series[position][1] if position >= 0 else None


@dataclass
class Node:
    """Everything one node (rep, manager or region) did in one month."""

    revenue: Decimal = Decimal(0)
    revenue_new: Decimal = Decimal(0)
    orders: set = field(default_factory=set)
    customers: dict = field(default_factory=lambda: defaultdict(set))  # account -> categories
    new_customers: set = field(default_factory=set)
    quota: Decimal | None = None
    won: int = 0
    lost: int = 0
    bookings: Decimal = Decimal(0)
    lost_amount: Decimal = Decimal(0)
    cycles: list = field(default_factory=list)
    created: int = 0
    pipeline_created: Decimal = Decimal(0)
    leads: int = 0
    converted: int = 0
    activities: int = 0
    visits: int = 0
    nps: list = field(default_factory=list)
    csat: list = field(default_factory=list)
    complaints: int = 0


class Hierarchy:
    """Each rep's record as it stood at the end of each month (or on the as-of day)."""

    def __init__(self, landing: Path, as_of: date) -> None:
        self.as_of = as_of
        self.versions: dict[str, list[tuple[datetime, dict]]] = defaultdict(list)
        for path in files(landing, "crm/reps"):
            for row in read(path):
                stamp = (datetime.fromisoformat(row["updated_at"]) if row.get("updated_at")
                         else datetime.fromisoformat(path.stem[:10]))
                self.versions[row["rep_id"]].append((stamp, row))
        for versions in self.versions.values():
            versions.sort(key=lambda v: v[0])

    def record(self, rep: str, month: date) -> dict | None:
        cutoff = datetime.combine(min(month_end(month), self.as_of) + timedelta(days=1),
                                  datetime.min.time())
        versions = [(stamp, row) for stamp, row in self.versions.get(rep, [])
                    if stamp.date() <= self.as_of]  # versions recorded later did not exist yet
        known = [row for stamp, row in versions if stamp < cutoff]
        return known[-1] if known else (versions[0][1] if versions else None)

    def employed(self, rep: str, month: date) -> bool:
        row = self.record(rep, month)
        if not row:
            return False
        hired = not row.get("hire_date") or day(row["hire_date"]) <= month_end(month)
        return hired and (not row.get("end_date") or day(row["end_date"]) >= month)

    def node(self, level: str, rep: str, month: date) -> str:
        if level == "rep_id":
            return rep
        row = self.record(rep, month) if rep != UNASSIGNED else None
        return (row or {}).get(level) or UNASSIGNED


def as_of_day(landing: Path) -> date:
    orders = latest(landing, "orders/orders", ("order_id",), "updated_at").values()
    deals = latest(landing, "crm/opportunities", ("opportunity_id",), "updated_at").values()
    leads = latest(landing, "crm/leads", ("lead_id",)).values()
    return max([day(o["order_date"]) for o in orders]
               + [day(lead["created_at"]) for lead in leads]
               + [day(d["updated_at"]) for d in deals if d.get("updated_at")]
               + [day(d["close_date"]) for d in deals
                  if d.get("close_date") and (d["stage"] or "").lower() in CLOSED])


def expected_kpis(landing: Path, level: str = "rep_id", reporting: str = "USD",
                  as_of: date | None = None) -> dict:
    """{(month, node): {column: value}} for every row mart_rep_kpis (level rep_id),
    mart_manager_kpis (manager_id) or mart_region_kpis (region) should hold; with `as_of`, as
    they stood on that day (what happened later did not happen yet)."""
    as_of = as_of or as_of_day(landing)
    rates = Rates(landing, reporting, as_of)
    hierarchy = Hierarchy(landing, as_of)
    nodes: dict[tuple[date, str], Node] = defaultdict(Node)

    def at(rep: str | None, when: date) -> Node:
        return nodes[(month_of(when), hierarchy.node(level, rep or UNASSIGNED, month_of(when)))]

    products = latest(landing, "orders/products", ("product_id",))
    orders = latest(landing, "orders/orders", ("order_id",), "updated_at")
    # An order is cancelled once its cancellation is recorded (updated_at) by the day.
    kept = {o: row for (o,), row in orders.items() if day(row["order_date"]) <= as_of
            and not (row["status"] == "cancelled" and day(row["updated_at"]) <= as_of)}
    first_order: dict[str, tuple[date, str]] = {}
    for order_id, row in kept.items():
        candidate = (day(row["order_date"]), order_id)
        if candidate < first_order.get(row["account_id"], (date.max, "")):
            first_order[row["account_id"]] = candidate
    returned: dict[tuple[str, str], int] = defaultdict(int)
    for row in latest(landing, "orders/returns", ("return_id",)).values():
        if day(row["returned_at"]) <= as_of:
            returned[(row["order_id"], row["line_no"])] += int(row["quantity"])
    for (order_id, line_no), line in latest(landing, "orders/order_lines",
                                            ("order_id", "line_no")).items():
        order = kept.get(order_id)
        if order is None or day(order["order_date"]) > as_of:
            continue
        when = day(order["order_date"])
        quantity = int(line["quantity"])
        net = quantity * Decimal(line["unit_price"]) - Decimal(line["discount_amount"] or "0")
        back = min(returned[(order_id, line_no)], quantity)
        refund = (net * back / quantity).quantize(PICO, ROUND_HALF_UP) if back else Decimal(0)
        revenue = ((net - refund) * rates.on(order["currency"], when)).quantize(PICO, ROUND_HALF_UP)
        node = at(order["rep_id"], when)
        account = order["account_id"]
        category = (products.get((line["product_id"],)) or {}).get("category") or "unknown"
        node.revenue += revenue
        node.orders.add(order_id)
        node.customers[account].add(category)
        first_day, first_id = first_order[account]
        if month_of(first_day) == month_of(when):
            node.revenue_new += revenue
        if first_id == order_id:
            node.new_customers.add(account)

    for row in latest(landing, "plan/quotas", ("rep_id", "period")).values():
        month = day(row["period"] + "-01")
        node = at(row["rep_id"], month)
        amount = Decimal(row["quota_amount"]) * rates.on(row["currency"], month)
        node.quota = (node.quota or Decimal(0)) + amount

    deals = latest(landing, "crm/opportunities", ("opportunity_id",), "updated_at").values()
    for deal in deals:
        if (deal.get("is_deleted") or "false").lower() in ("true", "1", "yes", "y") and \
                day(deal.get("updated_at") or deal["created_at"]) <= as_of:
            continue
        created = day(deal["created_at"])
        outcome = CLOSED.get((deal["stage"] or "").lower())
        if outcome and day(deal["close_date"]) > as_of:
            outcome = None  # closed later: still open on the day
        amount = Decimal(deal["amount"]) if deal.get("amount") else None
        currency = deal.get("currency") or reporting
        if created <= as_of:
            node = at(deal["owner_rep_id"], created)
            node.created += 1
            rate_day = day(deal["close_date"]) if outcome else as_of
            if amount is not None:
                node.pipeline_created += amount * rates.on(currency, rate_day)
        if outcome and day(deal["close_date"]) <= as_of:
            closed = day(deal["close_date"])
            node = at(deal["owner_rep_id"], closed)
            value = amount * rates.on(currency, closed) if amount is not None else None
            if outcome == "won":
                node.won += 1
                node.bookings += value or 0
                node.cycles.append((closed - created).days)
            else:
                node.lost += 1
                node.lost_amount += value or 0

    for lead in latest(landing, "crm/leads", ("lead_id",)).values():
        if day(lead["created_at"]) <= as_of:
            node = at(lead["owner_rep_id"], day(lead["created_at"]))
            node.leads += 1
            converted_by_then = lead.get("converted_at") and day(lead["converted_at"]) <= as_of
            node.converted += bool(converted_by_then or (lead["status"] == "converted"
                                                         and not lead.get("converted_at")))
    for activity in latest(landing, "crm/activities", ("activity_id",)).values():
        if day(activity["occurred_at"]) <= as_of:
            node = at(activity["rep_id"], day(activity["occurred_at"]))
            node.activities += 1
            node.visits += activity["type"] == "visit"
    owners = {a: row.get("owner_rep_id") for (a,), row in
              latest(landing, "crm/accounts", ("account_id",)).items()}
    for response in latest(landing, "survey/responses", ("response_id",)).values():
        when = day(response["submitted_at"])
        if when <= as_of:
            node = at(response.get("rep_id") or owners.get(response["account_id"]), when)
            (node.nps if response["survey_type"] == "nps" else node.csat).append(
                int(response["score"]))
    for complaint in latest(landing, "survey/complaints", ("complaint_id",)).values():
        when = day(complaint["opened_at"])
        if when <= as_of:
            at(complaint.get("rep_id") or owners.get(complaint["account_id"]), when).complaints += 1

    return _rows(nodes, hierarchy, level, landing, as_of)


def _first_month(landing: Path, as_of: date) -> date:
    orders = latest(landing, "orders/orders", ("order_id",), "updated_at").values()
    deals = latest(landing, "crm/opportunities", ("opportunity_id",), "updated_at").values()
    leads = latest(landing, "crm/leads", ("lead_id",)).values()
    return month_of(min([day(o["order_date"]) for o in orders]
                        + [day(d["created_at"]) for d in deals]
                        + [day(lead["created_at"]) for lead in leads] + [as_of]))


def _rows(nodes, hierarchy: Hierarchy, level: str, landing: Path, as_of: date) -> dict:
    first = _first_month(landing, as_of)
    keys = {k for k in nodes if first <= k[0] <= as_of}
    month = first
    while month <= as_of:
        for rep in hierarchy.versions:
            if hierarchy.employed(rep, month):
                node = hierarchy.node(level, rep, month)
                if node != UNASSIGNED or level == "rep_id":
                    keys.add((month, node))
        month = next_month(month)
    expected = {}
    for month, name in keys:
        n = nodes.get((month, name), Node())
        before = nodes.get((month_of(month - timedelta(days=1)), name), Node())
        previous = set(before.customers)
        closed = n.won + n.lost
        nps = len(n.nps)
        expected[(month, name)] = {
            "net_revenue": n.revenue,
            "net_revenue_new_customers": n.revenue_new,
            "net_revenue_existing_customers": n.revenue - n.revenue_new,
            "orders": len(n.orders),
            "active_customers": len(n.customers),
            "new_customers": len(n.new_customers),
            "quota_amount": n.quota,
            "attainment": ratio(n.revenue, n.quota),
            "won_count": n.won,
            "lost_count": n.lost,
            "win_rate": ratio(n.won, closed),
            "win_rate_by_amount": ratio(n.bookings, n.bookings + n.lost_amount) if closed
            else None,
            "bookings_amount": n.bookings,
            "average_deal_size": (n.bookings / n.won).quantize(PICO, ROUND_HALF_UP) if n.won
            else None,
            "median_sales_cycle_days": statistics.median(n.cycles) if n.cycles else None,
            "opportunities_created": n.created,
            "pipeline_created_amount": n.pipeline_created,
            "leads_created": n.leads,
            "leads_converted": n.converted,
            "lead_conversion_rate": ratio(n.converted, n.leads),
            "activities": n.activities,
            "customer_visits": n.visits,
            "cross_sell_rate": ratio(sum(len(c) >= 2 for c in n.customers.values()),
                                     len(n.customers)),
            "nps_responses": nps,
            "nps": 100 * (sum(s >= 9 for s in n.nps) - sum(s <= 6 for s in n.nps)) / nps
            if nps else None,
            "csat_responses": len(n.csat),
            "csat": ratio(sum(s >= 4 for s in n.csat), len(n.csat)),
            "complaints": n.complaints,
            "complaints_per_100_orders": 100 * n.complaints / len(n.orders) if n.orders
            else None,
            "customers_previous_month": len(previous),
            "retention_rate": ratio(len(previous & set(n.customers)), len(previous)),
        }
    return expected
