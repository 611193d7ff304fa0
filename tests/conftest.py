"""Shared fixtures: a small generated company and a warehouse built from it through Dagster."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.warehouse import connect
from synthetic.generate import generate

SMALL_SCALE = 0.1
SEED = 7


@pytest.fixture(scope="session")
def small_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("company") / "landing"
    generate(landing, scale=SMALL_SCALE, seed=SEED)
    return landing


@pytest.fixture(scope="session")
def built_home(small_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from orchestration.cli import main

    home = tmp_path_factory.mktemp("home")
    assert main(["build", "--landing", str(small_landing), "--home", str(home)]) == 0
    return home


@pytest.fixture
def conn(tmp_path: Path):
    """A fresh warehouse file for one test, closed afterwards."""
    with connect(tmp_path / "w.duckdb") as connection:
        yield connection
