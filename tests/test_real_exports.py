"""The real public exports in ../shared/data/real through the shipped profiles.

Expected figures are counted here from the source files with Python's csv module; the
warehouse must hold exactly the source rows minus the quarantined ones, for the reasons listed.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest

from ingest.contracts import entity
from ingest.landing import ingest_entity
from ingest.warehouse import connect

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
MAVEN = REAL / "maven_crm_sales_opportunities"
OLIST = REAL / "olist_ecommerce_sample3000"

pytestmark = [
    pytest.mark.real,
    pytest.mark.skipif(not (MAVEN.is_dir() and OLIST.is_dir()),
                       reason=f"real exports not found at {REAL} (shared/data/real is not "
                       "part of the repository; these tests run where it is mounted)"),
]


def records(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def landing_with(tmp: Path, folder: str, source: Path, profile: str, files=None) -> Path:
    """A landing folder in the test's temporary directory whose `folder/` holds copies of the
    real files (links out of a landing folder are refused, as a hostile one would be)."""
    target = tmp / "landing" / folder
    target.mkdir(parents=True)
    for path in sorted(source.glob("*.csv")) if files is None else files:
        shutil.copyfile(path, target / path.name)
    (target / "profile.yml").write_text(profile, encoding="utf-8")
    return tmp / "landing"


def build(landing: Path, home: Path, *extra: str) -> None:
    from orchestration.cli import main

    assert main(["build", "--landing", str(landing), "--home", str(home), *extra]) == 0


@pytest.fixture(scope="session")
def maven_home(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("maven")
    build(landing_with(tmp, "maven", MAVEN, "extends: maven_crm\n"), tmp / "home")
    return tmp / "home"


@pytest.fixture(scope="session")
def olist_home(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("olist")
    build(landing_with(tmp, "olist", OLIST, "extends: olist\n"), tmp / "home",
          "--reporting-currency", "BRL")
    return tmp / "home"


def query(home: Path, sql: str) -> list[tuple]:
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_maven_pipeline_loads_every_dated_deal_and_quarantines_the_undated(maven_home):
    pipeline = records(MAVEN / "sales_pipeline.csv")
    undated = [r for r in pipeline if not r["engage_date"].strip()]
    assert len(pipeline) == 8800 and len(undated) == 500
    [(read, loaded, quarantined)] = query(maven_home, (
        "SELECT rows_read, rows_loaded, rows_quarantined FROM audit.load_log "
        "WHERE file_path = 'maven/sales_pipeline.csv'"))
    assert (read, loaded, quarantined) == (len(pipeline), len(pipeline) - len(undated),
                                           len(undated))
    reasons = dict(query(maven_home, "SELECT reason, count(*) FROM audit.quarantine GROUP BY 1"))
    assert reasons == {"created_at: required value is missing": len(undated)}
    lines = {r[0] for r in query(maven_home, "SELECT line_number FROM audit.quarantine")}
    assert lines == {i + 2 for i, r in enumerate(pipeline) if not r["engage_date"].strip()}
    [(staged,)] = query(maven_home, "SELECT count(*) FROM staging.stg_crm__opportunities")
    assert staged == len(pipeline) - len(undated)


def test_maven_reference_files_and_value_maps(maven_home):
    counts = dict(query(maven_home, """
        SELECT 'reps', count(*) FROM staging.stg_crm__reps UNION ALL
        SELECT 'accounts', count(*) FROM staging.stg_crm__accounts UNION ALL
        SELECT 'products', count(*) FROM staging.stg_orders__products"""))
    assert counts == {"reps": len(records(MAVEN / "sales_teams.csv")),
                      "accounts": len(records(MAVEN / "accounts.csv")),
                      "products": len(records(MAVEN / "products.csv"))}
    products = {r[0] for r in query(
        maven_home, "SELECT DISTINCT product_id FROM staging.stg_crm__opportunities")}
    assert "GTXPro" not in products and "GTX Pro" in products
    assert products <= {r["product"] for r in records(MAVEN / "products.csv")}
    industries = {r[0] for r in query(maven_home, "SELECT industry FROM staging.stg_crm__accounts")}
    assert "technolgy" not in industries and "technology" in industries
    stages = Counter(r[0] for r in query(
        maven_home, "SELECT canonical_stage FROM staging.stg_crm__opportunities"))
    source = Counter(r["deal_stage"] for r in records(MAVEN / "sales_pipeline.csv")
                     if r["engage_date"].strip())
    assert stages == {"closed_won": source["Won"], "closed_lost": source["Lost"],
                      "qualification": source["Engaging"]}


def test_maven_mdy_variant_gives_the_same_dates(tmp_path):
    [variant] = sorted((MAVEN / "variants").glob("*.csv"))
    landing = landing_with(tmp_path, "maven", MAVEN,
                           "extends: maven_crm\noptions: {date_order: MDY}\n", files=[variant])
    with connect(tmp_path / "w.duckdb") as conn:
        [result] = ingest_entity(conn, landing, entity("crm", "opportunities")).files
        got = dict(conn.execute("SELECT opportunity_id, created_at::DATE::VARCHAR || '/' || "
                                "coalesce(close_date::VARCHAR, '') FROM "
                                "raw.crm__opportunities").fetchall())
    expected = {r["opportunity_id"]: f"{r['engage_date']}/{r['close_date']}"
                for r in records(MAVEN / "sales_pipeline.csv") if r["engage_date"]}
    assert result.rows_loaded == len(expected)
    assert got == expected


def test_olist_staging_matches_the_files(olist_home):
    expected = {
        "stg_orders__orders": len(records(OLIST / "olist_orders_dataset.csv")),
        "stg_orders__shipments": sum(1 for r in records(OLIST / "olist_orders_dataset.csv")
                                     if r["order_delivered_carrier_date"]),
        "stg_orders__order_lines": len(records(OLIST / "olist_order_items_dataset.csv")),
        "stg_orders__payments": len(records(OLIST / "olist_order_payments_dataset.csv")),
        "stg_survey__responses": len(records(OLIST / "olist_order_reviews_dataset.csv")),
        "stg_crm__accounts": len(records(OLIST / "olist_customers_dataset.csv")),
        "stg_orders__products": len(records(OLIST / "olist_products_dataset.csv")),
    }
    quarantined = query(olist_home, "SELECT file_path, reason, count(*) FROM audit.quarantine "
                                    "GROUP BY ALL")
    assert quarantined == []  # the sample is clean for the contracts: nothing set aside
    for table, rows in expected.items():
        assert query(olist_home, f"SELECT count(*) FROM staging.{table}") == [(rows,)], table


def test_olist_reviews_keep_their_text_lines_and_customer(olist_home):
    path = OLIST / "olist_order_reviews_dataset.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        start, lines, multiline = 2, {}, 0
        for row in reader:
            lines[f"{row[0]}:{row[1]}"] = start
            multiline += "\n" in row[4] or "\n" in row[3]
            start = reader.line_num + 1
    assert multiline > 100  # the oddity this test is about
    got = dict(query(olist_home, "SELECT response_id, _source_line FROM "
                                 "staging.stg_survey__responses"))
    assert got == lines
    orders = {r["order_id"]: r["customer_id"]
              for r in records(OLIST / "olist_orders_dataset.csv")}
    accounts = dict(query(olist_home, "SELECT response_id, account_id FROM "
                                      "staging.stg_survey__responses"))
    assert all(accounts[key] == orders[key.split(":")[1]] for key in accounts)


def test_maven_win_probabilities_for_the_open_deals(maven_home):
    """`sales-wh score` on the Maven export: one probability per deal still Engaging (the
    open deals of the file), learned from monthly replays with deals held out by creation
    date; the model beats the stage-only baseline on the newest deals' Brier score. (This
    export has no leads and no stage history: no lead scores, and the stage baseline is the
    base rate.)"""
    from orchestration.cli import main

    assert main(["score", "--home", str(maven_home)]) == 0
    assert query(maven_home, "SELECT DISTINCT model FROM scoring.model_metrics") == [
        ("win_probability",)]  # no leads in this export: no lead model, and no failure
    engaging = {r["opportunity_id"] for r in records(MAVEN / "sales_pipeline.csv")
                if r["deal_stage"] == "Engaging"}
    scored = dict(query(maven_home, "SELECT opportunity_id, win_probability FROM "
                                    "scoring.win_probabilities"))
    assert set(scored) == engaging and all(0 <= p <= 1 for p in scored.values())
    metrics = {row[0]: row[1:] for row in query(
        maven_home, "SELECT candidate, auc, brier, test_from, calibration_from, test_rows "
                    "FROM scoring.model_metrics WHERE model = 'win_probability'")}
    auc, brier, test_from, calibration_from, rows = metrics["model"]
    assert rows > 1000 and calibration_from < test_from
    assert auc > 0.6 and brier < metrics["stage_only"][1]
    assert metrics["stage_only"][1] == pytest.approx(metrics["base_rate"][1], abs=1e-12)
    bins = query(maven_home, "SELECT count(*), max(abs(mean_predicted - observed_rate)) FROM "
                             "scoring.reliability WHERE model = 'win_probability' AND "
                             "candidate = 'model'")
    assert bins[0][0] == 10 and bins[0][1] < 0.25  # reported in the closing note, per tenth


def test_maven_rep_kpis_match_the_pipeline_file(maven_home):
    """Won/lost counts, win rate and bookings per agent and close month, from the CSV."""
    from collections import defaultdict
    from datetime import date
    from decimal import Decimal

    expected: dict[tuple[date, str], list] = defaultdict(lambda: [0, 0, Decimal(0)])
    for row in records(MAVEN / "sales_pipeline.csv"):
        if row["deal_stage"] not in ("Won", "Lost") or not row["engage_date"].strip():
            continue
        key = (date.fromisoformat(row["close_date"][:8] + "01"), row["sales_agent"])
        expected[key][0 if row["deal_stage"] == "Won" else 1] += 1
        if row["deal_stage"] == "Won":
            expected[key][2] += Decimal(row["close_value"])
    got = {(m, r): (w, lost, rate, b) for m, r, w, lost, rate, b in query(
        maven_home, "SELECT month, rep_id, won_count, lost_count, win_rate, bookings_amount "
                    "FROM marts.mart_rep_kpis WHERE won_count + lost_count > 0")}
    assert set(got) == set(expected)
    for key, (won, lost, bookings) in expected.items():
        assert got[key][:2] == (won, lost), key
        assert got[key][2] == pytest.approx(won / (won + lost)), key
        assert got[key][3] == bookings, key
    assert sum(v[0] for v in expected.values()) == 4238  # every Won deal of the export


def test_olist_revenue_and_review_scores_per_month(olist_home):
    """Revenue (item prices of orders not cancelled, by purchase month, BRL) and CSAT (share of
    review scores 4-5, by review month) recomputed from the Olist files."""
    from collections import defaultdict
    from decimal import Decimal

    orders = {r["order_id"]: r for r in records(OLIST / "olist_orders_dataset.csv")}
    as_of = max(o["order_purchase_timestamp"][:10] for o in orders.values())
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for item in records(OLIST / "olist_order_items_dataset.csv"):
        order = orders[item["order_id"]]
        if order["order_status"] in ("canceled", "unavailable"):
            continue
        revenue[order["order_purchase_timestamp"][:7]] += Decimal(item["price"])
    got = {m.isoformat()[:7]: v for m, v in query(
        olist_home, "SELECT month, sum(net_revenue) FROM marts.mart_channel_performance "
                    "GROUP BY month HAVING sum(net_revenue) <> 0")}
    assert got == dict(revenue)
    scores: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for review in records(OLIST / "olist_order_reviews_dataset.csv"):
        if review["review_creation_date"][:10] <= as_of:
            month = scores[review["review_creation_date"][:7]]
            month[0] += 1
            month[1] += int(review["review_score"]) >= 4
    csat = {m.isoformat()[:7]: (n, ok) for m, n, ok in query(
        olist_home, "SELECT month, sum(csat_responses), sum(csat_satisfied) FROM "
                    "marts.mart_customer_satisfaction GROUP BY month "
                    "HAVING sum(csat_responses) > 0")}
    assert csat == {m: tuple(v) for m, v in scores.items()}


def test_olist_on_time_delivery_per_month(olist_home):
    """Shipments from the Olist orders file (handbook 6.4.2): every order handed to a carrier
    is a parcel shipped that day; it is on time when delivered to the customer by the
    estimated delivery date. Per ship month, recomputed from the file: parcels, delivered,
    delivered on time, and the on-time rate in mart_order_fulfilment."""
    from collections import defaultdict

    orders = records(OLIST / "olist_orders_dataset.csv")
    shipped = [o for o in orders if o["order_delivered_carrier_date"]]
    per_month: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for order in shipped:
        month = per_month[order["order_delivered_carrier_date"][:7]]
        month[0] += 1
        delivered = order["order_delivered_customer_date"][:10]
        if delivered and order["order_estimated_delivery_date"]:
            month[1] += 1
            month[2] += delivered <= order["order_estimated_delivery_date"][:10]
    got = {m.isoformat()[:7]: (n, d, ok, rate) for m, n, d, ok, rate in query(
        olist_home, "SELECT month, sum(shipments), sum(delivered_with_promise), "
                    "sum(delivered_on_time), sum(delivered_on_time) / sum(delivered_with_promise)"
                    " FROM marts.mart_order_fulfilment GROUP BY month")}
    expected = {m: (n, d, ok, ok / d if d else None) for m, (n, d, ok) in per_month.items()}
    assert got == expected
    # One mart row per ship month here (one channel, unknown carrier): its own rate agrees.
    rates = query(olist_home, "SELECT count(*), count(*) FILTER (WHERE on_time_rate = "
                              "delivered_on_time / delivered_with_promise) "
                              "FROM marts.mart_order_fulfilment WHERE delivered_with_promise > 0")
    assert rates[0][0] == rates[0][1] > 0
    # Orders never handed to a carrier are skipped, not quarantined, and counted as such.
    logged = query(olist_home, "SELECT rows_read, rows_loaded, rows_quarantined, rows_skipped "
                               "FROM audit.load_log WHERE entity = 'shipments'")
    assert logged == [(len(orders), len(shipped), 0, len(orders) - len(shipped))]


FUNNEL = REAL / "olist_marketing_funnel"
MQL_PROFILE = """\
name: olist_mql
options:
  timezone: Asia/Shanghai
files:
  - pattern: "olist_marketing_qualified_leads_dataset.csv"
    source: crm
    entity: leads
    rename:
      mql_id: lead_id
      first_contact_date: created_at
      origin: source
    defaults:
      source: unknown
    constants:
      status: new
"""


@pytest.mark.skipif(not FUNNEL.is_dir(), reason=f"{FUNNEL} not found")
def test_olist_leads_count_in_their_calendar_month_east_of_utc(tmp_path):
    """`2018-02-01` is February in every time zone: with the profile in Asia/Shanghai the
    lead funnel counts each marketing-qualified lead in the month of its first contact date
    (counted in the file), never a day earlier in UTC."""
    files = [FUNNEL / "olist_marketing_qualified_leads_dataset.csv"]
    landing = landing_with(tmp_path, "funnel", FUNNEL, MQL_PROFILE, files)
    build(landing, tmp_path / "home", "--reporting-currency", "BRL")
    expected = Counter(r["first_contact_date"][:7]
                       for r in records(files[0]) if r["first_contact_date"])
    got = dict(query(tmp_path / "home", "SELECT strftime(month, '%Y-%m'), sum(leads_created) "
                     "FROM marts.mart_lead_funnel GROUP BY 1"))
    assert got == dict(expected)
    assert expected["2018-01"] == 1141 and got["2018-01"] == 1141
