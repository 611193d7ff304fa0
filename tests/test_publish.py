"""Publishing on a small warehouse made here: who locked a month is masked, any other email or
phone number in a BI-facing column stops the publish and leaves the previous copy."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from models_py.serving.publish import PublishRefused, publish, published_build


def warehouse(path, extra_sql: str = "") -> None:
    with duckdb.connect(str(path)) as conn:
        conn.execute("""
            CREATE SCHEMA marts; CREATE SCHEMA finance; CREATE SCHEMA audit;
            CREATE SCHEMA staging;
            CREATE TABLE marts.fct AS SELECT 1 AS id, 'East' AS region;
            CREATE TABLE staging.contacts AS SELECT 'a@b.com' AS email;
            CREATE TABLE finance.period_locks AS SELECT '2025-01' AS period,
                'controller@example.com' AS locked_by, TIMESTAMP '2025-02-03' AS locked_at;
            CREATE TABLE audit.load_log (source VARCHAR, entity VARCHAR, rows_read BIGINT,
                rows_loaded BIGINT, rows_quarantined BIGINT, loaded_at TIMESTAMP,
                status VARCHAR);
            CREATE TABLE audit.quarantine (source VARCHAR, entity VARCHAR, reason VARCHAR);
        """ + extra_sql)


def test_who_locked_is_masked_and_staging_is_not_published(tmp_path):
    source = tmp_path / "warehouse.duckdb"
    warehouse(source)
    published = publish(source, tmp_path, "build-1", datetime(2026, 11, 30))
    with duckdb.connect(str(published.path), read_only=True) as conn:
        assert conn.execute("SELECT locked_by FROM serving.period_locks").fetchall() == [
            ("c*****@example.com",)]
        assert conn.execute("SELECT locked_by FROM finance.period_locks").fetchall() == [
            ("c*****@example.com",)]
        schemas = {s for (s,) in conn.execute(
            "SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()}
    assert schemas == {"marts", "finance", "serving"}
    assert published_build(tmp_path)[0] == "build-1"


@pytest.mark.parametrize("value", ["buyer1@customer.example", "+1-555-8962079",
                                   "(555) 123-4567"])
def test_a_contact_detail_anywhere_else_stops_the_publish(tmp_path, value):
    source = tmp_path / "warehouse.duckdb"
    warehouse(source)
    publish(source, tmp_path, "build-1", datetime(2026, 11, 30))
    with duckdb.connect(str(source)) as conn:
        conn.execute("CREATE TABLE marts.leaky AS SELECT 1 AS id, ? AS note", [value])
    with pytest.raises(PublishRefused, match=r"marts\.leaky\.note"):
        publish(source, tmp_path, "build-2", datetime(2026, 12, 1))
    assert published_build(tmp_path)[0] == "build-1"  # the previous copy stays
    assert not list((tmp_path / "serving").glob(".*.part"))
    assert not list((tmp_path / "serving" / "parquet").rglob("*leaky*"))


def test_dates_periods_and_ids_are_not_mistaken_for_phone_numbers(tmp_path):
    source = tmp_path / "warehouse.duckdb"
    warehouse(source, """
        CREATE TABLE marts.ids AS SELECT * FROM (VALUES ('2026-10-31'), ('2025-01..2025-03'),
            ('SO000000063'), ('R0014@2026-10'), ('A0000031'), ('2026-10-31 12:00:00'))
            t(value);""")
    published = publish(source, tmp_path, "build-1", datetime(2026, 11, 30))
    assert published.tables["marts.ids"] == 6
