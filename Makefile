# The few verbs a newcomer needs. `make demo` and `make test` work from a clean clone:
# they create .venv and install everything they use.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
# This machine's pip config lists mirror folders that may be absent; drop that noise only.
PIP_QUIET := { grep -v 'is ignored: it is neither a file nor a directory' || true; }
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LAKE ?= lake
DEMO_DATA ?= data/demo

.DEFAULT_GOAL := help
.PHONY: help venv demo test lint format docs bench clean browser bench-quality

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | $(PIP_QUIET)
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[dev]' 2>&1 | $(PIP_QUIET)
	touch $(STAMP)

venv: $(STAMP) ## create or refresh .venv with pinned packages

demo: venv ## generate sample data, ingest it into ./lake and print where it landed
	$(BIN)/ecom-pipeline --lake $(LAKE) demo --out $(DEMO_DATA)

lint: venv ## ruff (lint + format check), mypy, sqlfluff on the named queries
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd sql && ../$(BIN)/sqlfluff lint . --dialect athena

browser: ## install Debian's chromium for the dashboard's browser tests (when missing)
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

test: lint browser ## every check and test: lint, types, docs freshness, unit and integration tests
	$(BIN)/pytest -n 2 --dist loadfile

format: venv ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

docs: venv ## regenerate docs/DATA_DICTIONARY.md from the data contracts
	$(BIN)/python -m pipeline_lib.schemas.dictionary > docs/DATA_DICTIONARY.md

BENCH_LAKE ?= /tmp/ecom-bench-lake

bench: venv ## benchmarks at 1M transactions: generate, ingest, run, partition layouts, queries, API
	$(BIN)/python benchmarks/bench_foundation.py
	$(BIN)/python benchmarks/bench_pipeline.py --keep $(BENCH_LAKE)
	$(BIN)/python benchmarks/bench_partitioning.py --lake $(BENCH_LAKE)
	$(BIN)/python benchmarks/bench_queries.py --lake $(BENCH_LAKE)
	rm -rf $(BENCH_LAKE)

bench-quality: venv ## fault-injection benchmark of the quality audit -> benchmarks/results/quality.json
	$(BIN)/python benchmarks/bench_quality.py

clean: ## remove the venv, the local lake and generated data
	rm -rf $(VENV) $(LAKE) data reports/runs .pytest_cache .mypy_cache .ruff_cache
