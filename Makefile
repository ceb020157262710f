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
# A range run (single-run backfill) plans each asset once for the whole range instead of once
# per partition: a year-long backfill then writes 3 planned events, not ~1,100 (each costs
# ~10 ms on the SQLite instance). What it gives up: a failed range run leaves its partitions
# "missing", not "failed", in the UI (the run itself shows failed, and the run-failure alert
# names every partition). docs/performance.md has the measurements; deploy/ sets it too.
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS := true

# The sample ends today (UTC), so the demo behaves as production does: yesterday's
# daily_summary is in before the deadline check asks for it, freshness is minutes old, and
# the landing sensor finds nothing new. Computed once per make, so a run across midnight
# still materializes the days it generated.
SAMPLE_DAYS ?= 7
ifndef SAMPLE_START
SAMPLE_START := $(shell python3 -c "import datetime as d; print(d.datetime.now(d.UTC).date() - d.timedelta(days=$(SAMPLE_DAYS) - 1))")
endif
SAMPLE_EVENTS ?= 20000
SAMPLE_SEED ?= 42
SAMPLE_END := $(shell python3 -c "import datetime as d; print(d.date.fromisoformat('$(SAMPLE_START)') + d.timedelta(days=$(SAMPLE_DAYS) - 1))")
SAMPLE_LANDING ?= data/landing
HOST ?= 127.0.0.1
PORT ?= 3000
# V=1 shows what is quiet by default: install lines, the Dagster daemon's INFO lines.
V ?=
LOG_LEVEL ?= $(if $(V),info,warning)

# The project's Dagster instance and its virtualenv, for every Dagster command below. `dg`
# expects the project's virtualenv to be the active one (else it warns on every command).
DAGSTER := DAGSTER_HOME=$(CURDIR)/dagster_home VIRTUAL_ENV=$(CURDIR)/$(VENV)
# dg dev and dg launch run under a supervisor: in a process group of its own, stopped with
# everything it started by Ctrl-C or SIGTERM (also in the background), runs in flight
# canceled, no colour codes when the output is not a terminal. See
# src/event_analytics/devserver/. exec: the recipe's shell becomes the supervisor, so the TERM
# make forwards to its child on SIGTERM reaches the supervisor itself.
SUPERVISED := $(DAGSTER) exec $(BIN)/python -m event_analytics.devserver
# A run's log at INFO: each step's outcome and what it loaded, not every engine event.
INFO_LOGS := '{"loggers": {"console": {"config": {"log_level": "INFO"}}}}'
# Dagster's own selection parser calls its own API with a beta parameter (`include_sources`)
# and warns about that on every `tag:` or `not` selection: nothing this project uses or can
# change. Only that message is silenced, only for `dg launch`.
LAUNCH_WARNINGS := PYTHONWARNINGS='ignore:Parameter `include_sources` of function `AssetSelection'

# The marts' dbt project. Its manifest is built here, once, never when the code loads.
DBT_PROJECT := dbt_project
DBT_MANIFEST := $(DBT_PROJECT)/target/manifest.json
DBT_PROJECT_MODULE := src/event_analytics/dbt/project.py
DBT_FILES := $(shell find $(DBT_PROJECT) \( -name target -o -name logs \) -prune -o \
	-type f \( -name '*.sql' -o -name '*.yml' \) -print)

.PHONY: help setup dbt-manifest sample land prepare-instance materialize run serve test lint typecheck pytest check-defs clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled at install: a process that imports uncompiled source compiles it again
# every time when PYTHONDONTWRITEBYTECODE is set, which cost each run seconds of start-up.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode $(if $(V),,--quiet)
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
sample: setup ## Write a deterministic sample landing zone under data/landing, ending today
	$(BIN)/event-analytics generate --out $(SAMPLE_LANDING) --start $(SAMPLE_START) \
		--days $(SAMPLE_DAYS) --events-per-day $(SAMPLE_EVENTS) --seed $(SAMPLE_SEED)

# What a producer does: a new file in today's folder, for the running UI to pick up.
land: setup ## Land a new file of events for today in the sample landing zone (make run running)
	$(BIN)/python -m event_analytics.devserver land --landing $(SAMPLE_LANDING)

# Dagster creates pools lazily; runs starting together on a fresh instance could share the
# only slot (see src/event_analytics/instance.py), so the pools exist before the first run.
prepare-instance: setup ## Create the Dagster instance's pools in dagster_home/ (idempotent)
	$(DAGSTER) $(BIN)/event-analytics prepare-instance

# `dg launch` executes the run in its own process, the assets' checks included. The daily
# assets take the sample's days as one range run; the history marts (unpartitioned) follow.
materialize: prepare-instance ## Materialize the sample days as one range run, then the history marts
	$(LAUNCH_WARNINGS) $(SUPERVISED) launch -- --assets 'not tag:history' \
		--partition-range $(SAMPLE_START)...$(SAMPLE_END) --config-json $(INFO_LOGS)
	$(LAUNCH_WARNINGS) $(SUPERVISED) launch -- --assets 'tag:history' --config-json $(INFO_LOGS)

serve: prepare-instance ## Serve the Dagster UI on http://$(HOST):$(PORT) (sensors and automation running)
	$(SUPERVISED) serve --host $(HOST) --port $(PORT) --log-level $(LOG_LEVEL)

run: sample materialize serve ## Set up, write sample data ending today, materialize it, serve the UI

lint: setup ## ruff lint and format check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup ## mypy over the package and the tests
	$(BIN)/mypy src tests bench

check-defs: setup ## Load the Definitions the way the UI does
	$(DAGSTER) $(BIN)/dg check defs

pytest: setup ## Run the test suite (slow end-to-end tests included)
	$(BIN)/pytest

doctor: setup ## Check the code location against the guide's rules (docs/doctor.md)
	$(BIN)/event-analytics doctor

test: lint typecheck check-defs doctor pytest ## Everything CI runs

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
