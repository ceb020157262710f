# event_analytics: `make run` to see it work, `make test` to prove it does. `make help` lists all.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
# Python builds come from the machine, never downloaded (no network beyond the registries).
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

SAMPLE_START ?= 2025-01-01
SAMPLE_DAYS ?= 7
SAMPLE_EVENTS ?= 20000
SAMPLE_SEED ?= 42
SAMPLE_END := $(shell python3 -c "import datetime as d; print(d.date.fromisoformat('$(SAMPLE_START)') + d.timedelta(days=$(SAMPLE_DAYS) - 1))")
HOST ?= 127.0.0.1
PORT ?= 3000

# The marts' dbt project. Its manifest is built here, once, never when the code loads.
DBT_PROJECT := dbt_project
DBT_MANIFEST := $(DBT_PROJECT)/target/manifest.json
DBT_PROJECT_MODULE := src/event_analytics/dbt/project.py
DBT_FILES := $(shell find $(DBT_PROJECT) \( -name target -o -name logs \) -prune -o \
	-type f \( -name '*.sql' -o -name '*.yml' \) -print)

.PHONY: help setup dbt-manifest sample prepare-instance materialize run serve test lint typecheck pytest check-defs clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled at install: a process that imports uncompiled source compiles it again
# every time when PYTHONDONTWRITEBYTECODE is set, which cost each run seconds of start-up.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	touch $@

setup: $(VENV)/.synced $(DBT_MANIFEST) ## Create .venv with the locked dependencies, build the dbt manifest
	@$(BIN)/python -m compileall -q src

# dbt parse, through dagster-dbt's deployment command. Re-run whenever a dbt file changes.
$(DBT_MANIFEST): $(VENV)/.synced $(DBT_FILES) $(DBT_PROJECT_MODULE)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dagster-dbt project prepare-and-package \
		--file $(DBT_PROJECT_MODULE)
	touch $@

dbt-manifest: $(DBT_MANIFEST) ## Rebuild the dbt manifest if the dbt project changed

# generate writes only into a new, empty or sample folder (it marks its own); it also creates
# data/, the folder of the default warehouse file.
sample: setup ## Write a deterministic sample landing zone under data/landing
	$(BIN)/event-analytics generate --out data/landing --start $(SAMPLE_START) \
		--days $(SAMPLE_DAYS) --events-per-day $(SAMPLE_EVENTS) --seed $(SAMPLE_SEED)

# Dagster creates pools lazily; runs starting together on a fresh instance could share the
# only slot (see src/event_analytics/instance.py), so the pools exist before the first run.
prepare-instance: setup ## Create the Dagster instance's pools in dagster_home/ (idempotent)
	DAGSTER_HOME=$(CURDIR)/dagster_home $(BIN)/event-analytics prepare-instance

materialize: prepare-instance ## Materialize the sample days as one range run, then the history marts
	DAGSTER_HOME=$(CURDIR)/dagster_home $(BIN)/dagster asset materialize \
		-m event_analytics.definitions --select 'not tag:history' \
		--partition-range $(SAMPLE_START)...$(SAMPLE_END)
	DAGSTER_HOME=$(CURDIR)/dagster_home $(BIN)/dagster asset materialize \
		-m event_analytics.definitions --select 'tag:history'

serve: prepare-instance ## Serve the Dagster UI on http://$(HOST):$(PORT) (sensors and automation running)
	DAGSTER_HOME=$(CURDIR)/dagster_home $(BIN)/dagster dev -w workspace.yaml \
		--host $(HOST) --port $(PORT)

run: sample materialize serve ## Set up, write sample data, materialize it, serve the UI

lint: setup ## ruff lint and format check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup ## mypy over the package and the tests
	$(BIN)/mypy src tests bench

check-defs: setup ## Load the Definitions the way the UI does
	$(BIN)/dg check defs

pytest: setup ## Run the test suite (slow end-to-end tests included)
	$(BIN)/pytest

test: lint typecheck check-defs pytest ## Everything CI runs

# The benchmark (docs/performance.md): the project against pandas and DuckDB's floors on the
# same generated files, then orchestration over many days. Choose sizes with SIZES; pass any
# other option of `python -m bench --help` in BENCH_ARGS (e.g. BENCH_ARGS=--skip-backfill).
SIZES ?= 1M
BENCH_ARGS ?=
.PHONY: bench
bench: setup ## Benchmark: 1M events and the backfill scenarios (choose sizes: make bench SIZES=1M,5M,20M)
	$(BIN)/python -m bench --sizes $(SIZES) $(BENCH_ARGS)

clean: ## Remove the environments, sample data and run history
	rm -rf $(VENV) $(TOOLS) data .pytest_cache .mypy_cache .ruff_cache
	rm -rf $(DBT_PROJECT)/target $(DBT_PROJECT)/logs
	find dagster_home -mindepth 1 ! -name dagster.yaml -exec rm -rf {} +
