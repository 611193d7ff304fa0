"""The synthetic company: deterministic, complete, internally consistent, and contract-clean."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from ingest.contracts import ENTITIES
from ingest.landing import ingest_entity
from ingest.warehouse import connect
from synthetic.generate import generate


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def read(landing: Path, source: str, entity: str) -> list[dict[str, str]]:
    """Every row of the entity's files in delivery (name) order; for reps, the last snapshot."""
    files = sorted((landing / source / entity).glob("*.csv"))
    if entity == "reps":
        files = files[-1:]
    out: list[dict[str, str]] = []
    for path in files:
        with path.open(newline="", encoding="utf-8") as handle:
            out += list(csv.DictReader(handle))
    return out


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, small_landing):
    # tests/ is on sys.path; a package named "tests" may be another distribution's.
    from conftest import SEED, SMALL_SCALE

    generate(tmp_path / "again", scale=SMALL_SCALE, seed=SEED)
    assert digest(tmp_path / "again") == digest(small_landing)
    generate(tmp_path / "other", scale=SMALL_SCALE, seed=SEED + 1)
    assert digest(tmp_path / "other") != digest(small_landing)


def test_every_entity_is_written_with_its_contract_header(small_landing):
    for entity in ENTITIES:
        files = list((small_landing / entity.source / entity.name).glob("*.csv"))
        assert len(files) == (3 if entity.name == "reps" else 1), entity.table
        for path in files:
            header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
            assert header == list(entity.column_names), entity.table
        assert not list((small_landing / entity.source / entity.name).glob("*.part"))


def test_keys_and_references_hold(small_landing):
    orders = read(small_landing, "orders", "orders")
    lines = read(small_landing, "orders", "order_lines")
    order_ids = {o["order_id"] for o in orders}
    assert len(order_ids) == len(orders)
    assert {line["order_id"] for line in lines} == order_ids  # every order has lines
    accounts = {a["account_id"] for a in read(small_landing, "crm", "accounts")}
    assert {o["account_id"] for o in orders} <= accounts
    reps = {r["rep_id"] for r in read(small_landing, "crm", "reps")}
    assert {o["rep_id"] for o in orders if o["rep_id"]} <= reps
    opportunities = read(small_landing, "crm", "opportunities")
    assert {o["owner_rep_id"] for o in opportunities} <= reps
    line_keys = {(line["order_id"], line["line_no"]): int(line["quantity"]) for line in lines}
    for ret in read(small_landing, "orders", "returns"):
        assert 1 <= int(ret["quantity"]) <= line_keys[(ret["order_id"], ret["line_no"])]


def test_the_company_looks_like_a_business(small_landing):
    orders = read(small_landing, "orders", "orders")
    assert {o["channel"] for o in orders} == {"direct", "distributor", "online", "retail",
                                              "partner"}
    assert {o["currency"] for o in orders} == {"USD", "EUR"}
    statuses = {o["status"] for o in orders}
    assert {"cancelled", "delivered"} <= statuses
    months = {o["order_date"][:7] for o in orders}
    assert len(months) == 24
    stages = {o["stage"] for o in read(small_landing, "crm", "opportunities")}
    assert {"Closed Won", "Closed Lost", "Prospecting"} <= stages
    leads = read(small_landing, "crm", "leads")
    by_source: dict[str, list[bool]] = {}
    for lead in leads:
        by_source.setdefault(lead["source"], []).append(lead["status"] == "converted")
    rates = {s: sum(v) / len(v) for s, v in by_source.items()}
    assert rates["referral"] > rates["outbound"]  # sources convert differently
    reps = read(small_landing, "crm", "reps")
    assert {r["role"] for r in reps} == {"manager", "ae", "sdr", "channel"}
    assert any(r["end_date"] for r in reps)
    # The hierarchy changes over time: some reps report to another manager in a later export.
    snapshots = [{r["rep_id"]: r["manager_id"] for r in csv.DictReader(p.open(encoding="utf-8"))}
                 for p in sorted((small_landing / "crm/reps").glob("*.csv"))]
    assert any(snapshots[0][rep] != snapshots[-1][rep] for rep in snapshots[0])


def test_scale_multiplies_volume(tmp_path, small_landing):
    generate(tmp_path / "bigger", scale=0.3, seed=7)
    small = len(read(small_landing, "orders", "order_lines"))
    bigger = len(read(tmp_path / "bigger", "orders", "order_lines"))
    assert 2.4 < bigger / small < 3.6


def test_generated_files_pass_the_contracts_without_quarantine(small_landing, tmp_path):
    with connect(tmp_path / "w.duckdb") as conn:
        for entity in ENTITIES:
            outcome = ingest_entity(conn, small_landing, entity)
            for result in outcome.files:
                assert result.status == "loaded", result.message
                assert result.rows_quarantined == 0, (entity.table, result.reasons)
                assert result.rows_loaded > 0


def test_generate_keeps_the_users_files_and_refuses_to_overwrite_them(tmp_path):
    from orchestration.cli import main

    out = tmp_path / "landing"
    assert main(["generate", "--out", str(out), "--scale", "0.05"]) == 0
    mine = out / "crm/leads/my_leads_export.csv"
    mine.write_text("lead_id,created_at,source,status\nL1,2026-01-02,web,new\n")
    assert main(["generate", "--out", str(out), "--scale", "0.05", "--seed", "3"]) == 0
    assert mine.read_text().startswith("lead_id")  # still there, untouched
    generated = sorted(p.name for p in (out / "crm/leads").iterdir())
    assert generated == ["2026-10-31.csv", "my_leads_export.csv"]
    # A user's file where the generator would write its own: refused, nothing half-written.
    fresh = tmp_path / "other"
    fresh.mkdir()
    (fresh / "crm/leads").mkdir(parents=True)
    (fresh / "crm/leads/2026-10-31.csv").write_text("mine\n")
    (fresh / ".sales-wh-generated").write_text("")
    assert main(["generate", "--out", str(fresh), "--scale", "0.05"]) == 2
    assert (fresh / "crm/leads/2026-10-31.csv").read_text() == "mine\n"
    assert list(fresh.rglob("*.part")) == []


def test_a_tiny_company_generates(tmp_path):
    from synthetic.generate import generate

    rows = generate(tmp_path, scale=0.05, seed=42)
    assert rows["orders/order_lines"] > 0 and list(tmp_path.rglob("*.part")) == []


def test_a_mini_company_has_a_plan_it_can_be_paid_under(tmp_path):
    """At a few dozen order lines a month, quotas are still positive (in hundreds) and no
    deduction is keyed against a month that earned no commission: the mini company builds
    (the benchmark's 'mini company' row found both)."""
    generate(tmp_path, scale=0.002, seed=42)
    with next((tmp_path / "plan/quotas").glob("*.csv")).open(encoding="utf-8") as handle:
        quotas = [float(r["quota_amount"]) for r in csv.DictReader(handle)]
    with next((tmp_path / "plan/commission_adjustments").glob("*.csv")).open(
            encoding="utf-8") as handle:
        adjustments = [float(r["amount"]) for r in csv.DictReader(handle)]
    assert quotas and min(quotas) >= 100
    assert all(amount > 0 for amount in adjustments)
