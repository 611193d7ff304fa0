"""The Great Expectations suite at ingest: passes on good loads, fails (and keeps failing)
on bad ones, and a retracted load leaves no trace in raw or quarantine."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.contracts import entity
from ingest.landing import ingest_entity
from ingest.quality import retract_file, validate_pending_loads
from ingest.warehouse import connect

ORDERS = entity("orders", "orders")
HEADER = "order_id,account_id,order_date,channel,status,currency,updated_at\n"


@pytest.fixture
def loaded(tmp_path: Path):
    landing = tmp_path / "landing"
    path = landing / "orders/orders/o.csv"
    path.parent.mkdir(parents=True)
    path.write_text(HEADER + "O1,A1,2026-01-01,direct,placed,USD,2026-01-02\n"
                    "O2,A1,2026-01-01,online,placed,USD,2026-01-02\n"
                    "O3,A1,2026-01-01,online,nonsense,USD,2026-01-02\n", encoding="utf-8")
    with connect(tmp_path / "w.duckdb") as conn:
        ingest_entity(conn, landing, ORDERS)
        yield conn


def test_good_loads_pass_once_and_are_not_validated_again(loaded):
    first = validate_pending_loads(loaded, ORDERS)
    assert first.passed, first.failures
    assert first.load_ids == [1] and first.rows_checked == 2 and first.expectations >= 8
    again = validate_pending_loads(loaded, ORDERS)
    assert again.load_ids == [] and again.passed


def test_rows_that_bypassed_the_loader_fail_the_suite_until_retracted(loaded):
    # Simulate a writer other than ingest: a duplicate key, an unknown channel, a missing
    # account, and a load whose counts no longer add up.
    loaded.execute("INSERT INTO raw.orders__orders (order_id, account_id, order_date, channel, "
                   "status, currency, updated_at, _load_id) VALUES "
                   "('O1', NULL, DATE '2026-01-01', 'fax', 'placed', 'USD', "
                   "TIMESTAMP '2026-01-02', 1)")
    outcome = validate_pending_loads(loaded, ORDERS)
    assert not outcome.passed
    text = "\n".join(outcome.failures)
    assert "expect_compound_columns_to_be_unique" in text
    assert "expect_column_values_to_be_in_set" in text and "fax" in text
    assert "expect_column_values_to_not_be_null" in text
    assert "conservation: expect_column_pair_values_to_be_equal" in text
    assert not validate_pending_loads(loaded, ORDERS).passed  # still blocking next run
    assert retract_file(loaded, "orders/orders/o.csv") == [1]
    assert loaded.execute("SELECT count(*) FROM raw.orders__orders").fetchall() == [(0,)]
    assert loaded.execute("SELECT count(*) FROM audit.quarantine").fetchall() == [(0,)]
    assert validate_pending_loads(loaded, ORDERS).load_ids == []


def test_schema_drift_fails_the_suite(loaded):
    loaded.execute("ALTER TABLE raw.orders__orders ALTER COLUMN order_date TYPE VARCHAR")
    outcome = validate_pending_loads(loaded, ORDERS)
    assert any(f.startswith("schema:") and "order_date" in f for f in outcome.failures)



def _fifty_orders(tmp_path: Path, name: str):
    landing = tmp_path / name
    path = landing / "orders/orders/o.csv"
    path.parent.mkdir(parents=True)
    path.write_text(HEADER + "".join(f"O{i},A1,2026-01-01,direct,placed,USD,2026-01-02\n"
                                     for i in range(50)), encoding="utf-8")
    return connect(tmp_path / f"{name}.duckdb"), landing


@pytest.mark.parametrize("duplicate", [False, True])
def test_a_load_validated_in_slices_still_finds_a_duplicate_key(tmp_path, monkeypatch,
                                                                duplicate):
    """Big loads reach Great Expectations in slices (bounded memory). Slices follow the key,
    so two versions of a key are never in different slices and uniqueness still holds."""
    import ingest.quality as quality

    outcomes = {}
    for rows_per_frame in (1_000_000, 7):  # one frame, then ceil(50 / 7) = 8 slices
        monkeypatch.setattr(quality, "ROWS_PER_FRAME", rows_per_frame)
        manager, landing = _fifty_orders(tmp_path, f"r{rows_per_frame}")
        with manager as conn:
            ingest_entity(conn, landing, ORDERS)
            if duplicate:
                conn.execute("INSERT INTO raw.orders__orders SELECT * FROM raw.orders__orders "
                             "WHERE order_id = 'O17'")
            outcomes[rows_per_frame] = validate_pending_loads(conn, ORDERS)
    whole, sliced = outcomes[1_000_000], outcomes[7]
    assert sliced.rows_checked == whole.rows_checked == 50 + duplicate
    row_expectations = whole.expectations - 2  # the schema and conservation checks
    assert sliced.expectations == 2 + 8 * row_expectations
    assert whole.passed is sliced.passed is (not duplicate)
    if duplicate:
        assert any("expect_compound_columns_to_be_unique" in f for f in sliced.failures)
