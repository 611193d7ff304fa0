"""Lead scoring (issue 13): features that never look past the scoring day, metrics checked
against their definitions, and the model on the real Olist marketing funnel against the
source-only baseline recomputed here from the files."""

from __future__ import annotations

import csv
import itertools
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from models_py.scoring import evaluate
from models_py.scoring.features import CATEGORICAL, NUMERIC, LeadWindow, lead_frame

STAGING = (
    """CREATE TABLE staging.stg_crm__leads (lead_id VARCHAR, created_date DATE, source VARCHAR,
        campaign VARCHAR, account_id VARCHAR, opportunity_id VARCHAR, is_converted BOOLEAN,
        converted_date DATE)""",
    """CREATE TABLE staging.stg_crm__accounts (account_id VARCHAR, industry VARCHAR,
        size_segment VARCHAR, region VARCHAR)""",
    """CREATE TABLE staging.stg_crm__activities (activity_id VARCHAR, account_id VARCHAR,
        occurred_date DATE)""",
    """CREATE TABLE staging.stg_crm__opportunities (opportunity_id VARCHAR, lead_id VARCHAR,
        is_won BOOLEAN, close_date DATE, is_deleted BOOLEAN DEFAULT false)""",
)


def crm(conn: duckdb.DuckDBPyConnection, rng: np.random.Generator, leads: int = 60) -> None:
    conn.execute("CREATE SCHEMA staging")
    for statement in STAGING:
        conn.execute(statement)
    start = date(2025, 1, 1)
    for i in range(leads):
        created = start + timedelta(days=int(rng.integers(0, 300)))
        account = f"A{i}"  # one lead per account: a later row belongs to one lead
        converted = created + timedelta(days=int(rng.integers(0, 40))) if i % 2 else None
        conn.execute("INSERT INTO staging.stg_crm__leads VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [f"L{i}", created, ["web", "event", None][i % 3], f"C{i % 4}", account,
                      f"O{i}" if i % 2 else None, converted is not None, converted])
        for k in range(int(rng.integers(0, 6))):
            conn.execute("INSERT INTO staging.stg_crm__activities VALUES (?, ?, ?)",
                         [f"T{i}-{k}", account,
                          created + timedelta(days=int(rng.integers(-10, 40)))])
        if i % 2:
            conn.execute("INSERT INTO staging.stg_crm__opportunities "
                         "(opportunity_id, lead_id, is_won, close_date) VALUES (?, ?, ?, ?)",
                         [f"O{i}", f"L{i}", bool(i % 3),
                          created + timedelta(days=int(rng.integers(1, 150)))])
    for a in range(leads):
        conn.execute("INSERT INTO staging.stg_crm__accounts VALUES (?, ?, ?, ?)",
                     [f"A{a}", ["retail", "tech"][a % 2], "smb", ["East", "West"][a % 2]])


FEATURES = ["lead_id", "created_date", "scoring_date", *CATEGORICAL, *NUMERIC]


def test_features_never_use_rows_after_the_scoring_day():
    """Move every activity after its lead's scoring day a year later, add activities and won
    deals after it, and drop what happened after the as-of day: the features stay the same
    (only the outcome may change)."""
    conn = duckdb.connect()
    crm(conn, np.random.default_rng(3))
    window = LeadWindow(as_of=date(2025, 9, 30), window_days=14, horizon_days=60)
    before = lead_frame(conn, window)
    assert before.activities_in_window.sum() > 0 and before.won.any()
    conn.execute("""
        UPDATE staging.stg_crm__activities AS a SET occurred_date = a.occurred_date + 365
        FROM staging.stg_crm__leads AS l
        WHERE l.account_id = a.account_id
          AND a.occurred_date > least(l.created_date + 14, DATE '2025-09-30')""")
    conn.execute("""
        INSERT INTO staging.stg_crm__activities
        SELECT 'late-' || lead_id, account_id, least(created_date + 15, DATE '2025-09-30') + 1
        FROM staging.stg_crm__leads""")
    conn.execute("UPDATE staging.stg_crm__opportunities SET is_won = true")
    after = lead_frame(conn, window)
    assert after[FEATURES].equals(before[FEATURES])
    assert not after.won.equals(before.won)  # the outcome did change: the test has teeth


def test_an_account_linked_at_a_later_conversion_is_not_known_on_the_scoring_day():
    """CRMs link a lead to its account when it converts: a lead converted after its scoring
    day is scored without the account (and without the activities logged with it)."""
    conn = duckdb.connect()
    crm(conn, np.random.default_rng(3))
    window = LeadWindow(as_of=date(2025, 12, 31), window_days=14, horizon_days=60)
    frame = lead_frame(conn, window).set_index("lead_id")
    leads = conn.execute("SELECT lead_id, is_converted, converted_date, created_date "
                         "FROM staging.stg_crm__leads").fetchall()
    late = [lead for lead, converted, day, created in leads
            if converted and day > created + timedelta(days=14)]
    known = [lead for lead, converted, day, created in leads
             if not converted or day <= created + timedelta(days=14)]
    assert late and known
    assert (frame.loc[late, "industry"] == "(none)").all()
    assert (frame.loc[late, "activities_in_window"] == 0).all()
    assert (frame.loc[known, "industry"] != "(none)").all()


def test_deleted_deals_are_no_wins():
    conn = duckdb.connect()
    crm(conn, np.random.default_rng(3))
    window = LeadWindow(as_of=date(2025, 12, 31), window_days=14, horizon_days=150)
    won = lead_frame(conn, window).set_index("lead_id").won
    conn.execute("UPDATE staging.stg_crm__opportunities SET is_deleted = true")
    assert won.any() and not lead_frame(conn, window).won.any()


def test_a_lead_is_labelled_only_once_its_horizon_has_passed():
    conn = duckdb.connect()
    crm(conn, np.random.default_rng(5))
    window = LeadWindow(as_of=date(2025, 6, 30), window_days=14, horizon_days=60)
    frame = lead_frame(conn, window)
    expected = [d + timedelta(days=60) <= date(2025, 6, 30)
                for d in frame.created_date.dt.date]
    assert frame.labelled.tolist() == expected
    assert (frame.created_date.dt.date <= date(2025, 6, 30)).all()
    assert (frame.scoring_date.dt.date <= date(2025, 6, 30)).all()


def test_metrics_match_their_definitions():
    rng = np.random.default_rng(11)
    y = rng.random(200) < 0.3
    p = np.round(rng.random(200), 1)  # ties on purpose
    pairs = [(1.0 if a > b else 0.5 if a == b else 0.0)
             for a, b in itertools.product(p[y], p[~y])]
    assert evaluate.auc(y, p) == pytest.approx(sum(pairs) / len(pairs), abs=1e-12)
    assert evaluate.brier(y, p) == pytest.approx(float(np.mean((p - y) ** 2)))
    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    assert evaluate.log_loss(y, p) == pytest.approx(
        -float(np.mean(y * np.log(clipped) + (~y) * np.log(1 - clipped))))
    bins = evaluate.reliability(y, p)
    assert bins.leads.sum() == 200 and len(bins) == 10
    assert evaluate.auc(np.zeros(5, dtype=bool), p[:5]) is None


REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
FUNNEL = REAL / "olist_marketing_funnel"


def records(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.real
@pytest.mark.e2e
@pytest.mark.skipif(not FUNNEL.is_dir(), reason=f"real exports not found at {FUNNEL} "
                    "(shared/data/real is not part of the repository)")
def test_the_lead_model_beats_conversion_by_source_on_the_olist_funnel(tmp_path):
    """The shipped olist_marketing_funnel profile, then `sales-wh score`. The source-only
    baseline and its AUC and Brier score are recomputed here from the two CSV files; the
    model must beat it on the newest leads (the held-out period) on both."""
    from orchestration.cli import main

    landing = tmp_path / "landing" / "funnel"
    landing.mkdir(parents=True)
    for path in FUNNEL.glob("*.csv"):
        (landing / path.name).write_bytes(path.read_bytes())
    (landing / "profile.yml").write_text("extends: olist_marketing_funnel\n")
    home = tmp_path / "home"
    assert main(["build", "--landing", str(landing.parent), "--home", str(home)]) == 0
    assert main(["score", "--home", str(home)]) == 0

    leads = records(FUNNEL / "olist_marketing_qualified_leads_dataset.csv")
    won = {d["mql_id"]: date.fromisoformat(d["won_date"][:10])
           for d in records(FUNNEL / "olist_closed_deals_dataset.csv")}
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        metrics = {row[0]: row[1:] for row in conn.execute(
            "SELECT candidate, auc, brier, chosen, calibration_from, test_from, train_rows, "
            "calibration_rows, test_rows, test_positives FROM scoring.model_metrics "
            "WHERE model = 'lead_score'").fetchall()}
        scores = conn.execute("SELECT count(*), min(score), max(score), count(DISTINCT decile)"
                              " FROM marts.mart_lead_scores").fetchall()[0]
    _, _, _, calibration_from, test_from, *counts = metrics["model"]
    assert sum(counts[:3]) == len(leads) == 8000 and scores[0] == 8000
    assert 0 < scores[1] < scores[2] < 1 and scores[3] == 10

    def outcome(lead: dict) -> bool:
        arrived = date.fromisoformat(lead["first_contact_date"])
        return lead["mql_id"] in won and (won[lead["mql_id"]] - arrived).days <= 90

    seen = [lead for lead in leads if date.fromisoformat(lead["first_contact_date"]) < test_from]
    test = [lead for lead in leads if date.fromisoformat(lead["first_contact_date"]) >= test_from]
    overall = sum(map(outcome, seen)) / len(seen)
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for lead in seen:
        tally[lead["origin"] or "unknown"][0] += outcome(lead)
        tally[lead["origin"] or "unknown"][1] += 1
    rate = {s: (w + 20 * overall) / (n + 20) for s, (w, n) in tally.items()}
    y = np.array([outcome(lead) for lead in test])
    p = np.array([rate.get(lead["origin"] or "unknown", overall) for lead in test])
    assert counts[3] == int(y.sum()) > 100
    base_auc, base_brier, *_ = metrics["source_only"]
    assert base_auc == pytest.approx(evaluate.auc(y, p), abs=1e-12)
    assert base_brier == pytest.approx(float(np.mean((p - y) ** 2)), abs=1e-12)
    model_auc, model_brier, chosen, *_ = metrics["model"]
    assert chosen and model_auc > base_auc and model_brier < base_brier
    assert calibration_from < test_from


def test_deal_features_never_use_rows_after_the_day(built_home, tmp_path):
    """Replay the generated company's deals on one past day, then erase everything dated
    after that day (later stages, closings, amount updates, first orders) and replay again:
    that day's rows are the same."""
    import shutil

    from models_py.scoring.deals import CATEGORICAL as DEAL_CATEGORICAL
    from models_py.scoring.deals import NUMERIC as DEAL_NUMERIC
    from models_py.scoring.deals import deal_snapshots

    path = tmp_path / "w.duckdb"
    shutil.copyfile(built_home / "warehouse.duckdb", path)
    columns = ["opportunity_id", "day", "created_date", *DEAL_CATEGORICAL, *DEAL_NUMERIC]
    with duckdb.connect(str(path)) as conn:
        as_of = conn.execute("SELECT as_of_date FROM intermediate.int_as_of_date"
                             ).fetchall()[0][0]
        before = deal_snapshots(conn, as_of)
        day = sorted(before.day.dt.date.unique())[len(before.day.unique()) // 2]
        on_day = before[before.day.dt.date == day].reset_index(drop=True)
        assert len(on_day) > 20 and on_day.stage.nunique() > 1
        assert (on_day.customer == "existing").any() and on_day.owner_win_rate.nunique() > 1
        conn.execute("DELETE FROM staging.stg_crm__opportunity_stage_history "
                     "WHERE entered_date > ?", [day])
        conn.execute("UPDATE staging.stg_crm__opportunities SET is_closed = false, "
                     "is_won = false WHERE close_date > ?", [day])
        conn.execute("DELETE FROM raw.crm__opportunities WHERE coalesce(updated_date, "
                     "CAST(_loaded_at AS DATE)) > ?", [day])
        conn.execute("DELETE FROM intermediate.int_customer_first_orders "
                     "WHERE first_order_date > ?", [day])
        after = deal_snapshots(conn, as_of)
    replayed = after[after.day.dt.date == day].reset_index(drop=True)
    assert replayed[columns].equals(on_day[columns])
