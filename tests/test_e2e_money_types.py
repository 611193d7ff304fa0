"""Money is DECIMAL in every mart: the declared contracts (written by hand) say so, and the
built tables agree with them column for column. A DOUBLE is only allowed for a ratio, a score or
a median of days, and those are named so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ingest.warehouse import connect
from orchestration.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.e2e

# Column names a DOUBLE may have: rates and shares, NPS/CSAT, medians, per-100 rates, coverage,
# the deal model's win probability.
NOT_MONEY = re.compile(r"(_rate|_ratio|share|^conversion_|^attainment$|^nps(_|$)|^csat(_|$)"
                       r"|^median_|_per_100_|^pct_of_target$|^orders_per_month$|^coverage$"
                       r"|^win_probability$)")


def declared() -> dict[tuple[str, str], str]:
    types = {}
    for path in (DBT_PROJECT_DIR / "models" / "marts").rglob("_*__models.yml"):
        for model in yaml.safe_load(Path(path).read_text())["models"]:
            for column in model.get("columns", []):
                # `string`, which DuckDB reads as VARCHAR and Spark as STRING (one contract
                # for both engines, issue 14).
                declared_type = column["data_type"].replace(" ", "").lower()
                types[(model["name"], column["name"])] = (
                    "varchar" if declared_type == "string" else declared_type)
    return types


def test_no_money_column_is_a_binary_float_and_tables_match_their_contracts(built_home):
    contracts = declared()
    with connect(built_home / "warehouse.duckdb", read_only=True) as conn:
        built = {(t, c): d.lower().replace(" ", "") for t, c, d in conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'marts'").fetchall()}
    assert len(contracts) > 300
    assert {k: v for k, v in built.items() if contracts.get(k) != v} == {}
    assert set(contracts) == set(built)
    doubles = sorted(c for (_, c), d in contracts.items() if d in ("double", "float"))
    assert [c for c in doubles if not NOT_MONEY.search(c)] == []
