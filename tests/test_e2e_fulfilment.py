"""Order fulfilment (handbook 6.4.2) against the generated company's files: every column of
mart_order_fulfilment and the counts of mart_returns recomputed here from the landing CSVs
(csv module, no warehouse code), and the satisfaction of responses split by how the order's
delivery went."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from pathlib import Path

import pytest
from kpi_oracle import as_of_day, day, latest, month_of

from ingest.warehouse import connect

pytestmark = pytest.mark.e2e


def query(home: Path, sql: str) -> list[tuple]:
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        return conn.execute(sql).fetchall()


def parcels(landing: Path) -> list[dict]:
    """Each shipment with its order's channel and customer's region, and its outcome."""
    as_of = as_of_day(landing)
    orders = latest(landing, "orders/orders", ("order_id",), "updated_at")
    accounts = latest(landing, "crm/accounts", ("account_id",))
    out = []
    for (_,), ship in latest(landing, "orders/shipments", ("shipment_id",), "updated_at").items():
        order = orders.get((ship["order_id"],))
        account = accounts.get((order["account_id"],)) if order else None
        shipped = day(ship["shipped_at"])
        promised = day(ship["promised_at"]) if ship["promised_at"] else None
        delivered = day(ship["delivered_at"]) if ship["delivered_at"] else None
        status = ship["status"] or ("delivered" if delivered else "in_transit")
        on_time = None if delivered is None or promised is None else delivered <= promised
        late = bool((delivered and promised and delivered > promised)
                    or (delivered is None and status == "in_transit" and promised
                        and promised < as_of))
        out.append({
            "key": (month_of(shipped), order["channel"] if order else "(unknown)",
                    (account or {}).get("region") or "(unknown)", ship["carrier"] or "(unknown)"),
            "order_id": ship["order_id"], "status": status, "on_time": on_time, "late": late,
            "to_ship": (shipped - day(order["order_date"])).days if order else None,
            "to_deliver": (delivered - shipped).days if delivered else None,
        })
    return out


def median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def test_every_fulfilment_column_matches_the_files(built_home, small_landing):
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for parcel in parcels(small_landing):
        groups[parcel["key"]].append(parcel)
    expected = {}
    for key, rows in groups.items():
        promised = [r for r in rows if r["on_time"] is not None]
        on_time = sum(bool(r["on_time"]) for r in promised)
        expected[key] = (
            len(rows), len({r["order_id"] for r in rows}),
            sum(r["to_deliver"] is not None for r in rows),
            sum(r["status"] == "in_transit" for r in rows), len(promised), on_time,
            on_time / len(promised) if promised else None,
            sum(r["late"] for r in rows), sum(r["status"] == "lost" for r in rows),
            sum(r["status"] == "returned" for r in rows),
            median([r["to_ship"] for r in rows if r["to_ship"] is not None]),
            median([r["to_deliver"] for r in rows if r["to_deliver"] is not None]),
        )
    got = {tuple(r[:4]): tuple(r[4:]) for r in query(built_home, """
        SELECT month, channel, region, carrier, shipments, orders_shipped, delivered,
            in_transit, delivered_with_promise, delivered_on_time, on_time_rate,
            late_shipments, lost_shipments, returned_shipments, median_days_order_to_ship,
            median_days_ship_to_deliver
        FROM marts.mart_order_fulfilment""")}
    assert len(expected) > 100
    assert got.keys() == expected.keys()
    for key, want in expected.items():
        for name, g, w in zip(("shipments", "orders", "delivered", "in_transit", "promised",
                               "on_time", "rate", "late", "lost", "returned", "to_ship",
                               "to_deliver"), got[key], want, strict=True):
            assert (g is None and w is None) or math.isclose(g, w, rel_tol=1e-12), (key, name)
    # The generator delivers most parcels on time, and some late: the rate is informative.
    total = [sum(v[i] for v in expected.values()) for i in (4, 5, 7)]
    assert 0.7 < total[1] / total[0] < 0.95 and total[2] > 0


def test_returns_by_category_and_channel_match_the_files(built_home, small_landing):
    products = latest(small_landing, "orders/products", ("product_id",))
    orders = latest(small_landing, "orders/orders", ("order_id",), "updated_at")
    returned: dict[tuple, int] = defaultdict(int)
    for (_,), ret in latest(small_landing, "orders/returns", ("return_id",)).items():
        returned[(ret["order_id"], ret["line_no"])] += int(ret["quantity"])
    as_of = as_of_day(small_landing)
    expected: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for (order_id, line_no), line in latest(small_landing, "orders/order_lines",
                                            ("order_id", "line_no")).items():
        order = orders.get((order_id,))
        if order is None or order["status"] == "cancelled" or day(order["order_date"]) > as_of:
            continue
        product = products.get((line["product_id"],))
        key = (month_of(day(order["order_date"])), order["channel"],
               product["category"] if product else "unknown")
        sold = int(line["quantity"])
        expected[key][0] += sold
        expected[key][1] += min(returned[(order_id, line_no)], sold)
    got = {tuple(r[:3]): [r[3], r[4]] for r in query(built_home, """
        SELECT month, channel, product_category, units_sold, units_returned
        FROM marts.mart_returns""")}
    assert got == dict(expected)
    assert sum(v[1] for v in expected.values()) > 0


def test_late_deliveries_score_lower(built_home, small_landing):
    """Responses about an order count under _late_delivery when a parcel of it was late or
    lost, under _on_time_delivery when every parcel arrived by the promise; the generated
    customers are less satisfied after a late delivery."""
    by_order: dict[str, list[dict]] = defaultdict(list)
    for parcel in parcels(small_landing):
        by_order[parcel["order_id"]].append(parcel)

    def delivery(order_id: str | None) -> str | None:
        rows = by_order.get(order_id or "")
        if not rows:
            return None
        if any(r["late"] or r["status"] == "lost" for r in rows):
            return "late"
        return "on_time" if all(r["on_time"] for r in rows) else None

    as_of = as_of_day(small_landing)
    counts = {kind: [0, 0] for kind in ("late", "on_time")}
    for (_,), response in latest(small_landing, "survey/responses", ("response_id",)).items():
        kind = delivery(response["order_id"])
        if kind and response["survey_type"] == "csat" and day(response["submitted_at"]) <= as_of:
            counts[kind][0] += 1
            counts[kind][1] += int(response["score"]) >= 4
    got = query(built_home, """
        SELECT sum(csat_responses_late_delivery), sum(csat_satisfied_late_delivery),
            sum(csat_responses_on_time_delivery), sum(csat_satisfied_on_time_delivery)
        FROM marts.mart_customer_satisfaction""")[0]
    assert list(got) == counts["late"] + counts["on_time"]
    assert counts["late"][0] > 0
    assert counts["late"][1] / counts["late"][0] < counts["on_time"][1] / counts["on_time"][0]
