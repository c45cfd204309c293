# faers — make targets. Every target that needs Python builds .venv itself (only when pyproject.toml changes).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FAERS := $(BIN)/faers
export FAERS_HOME ?= $(CURDIR)/cache
# pytest-xdist workers (one per core on the 2-core machines we run on); a test file runs in one worker, so its
# module fixtures are built once
WORKERS ?= 2
PYTEST := $(BIN)/pytest -q -n $(WORKERS) --dist loadfile

.DEFAULT_GOAL := help
.PHONY: help test test-unit test-integration test-faults demo refresh report bench lint clean venv

help: ## Show this help
	@echo "faers — FDA Adverse Event Reporting System: download, load, analyse"
	@echo
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## Create/refresh the virtualenv

test: $(STAMP) ## Run the unit and integration tests (offline)
	$(PYTEST) -m "not slow"

test-unit: $(STAMP) ## Unit tests only
	$(PYTEST) tests/unit

test-integration: $(STAMP) ## Integration tests only
	$(PYTEST) tests/integration -m "not slow"

test-faults: $(STAMP) ## Full reliability/fault-injection campaign (slow)
	$(PYTEST) -m faults

demo: $(STAMP) ## Whole pipeline offline: generate an FDA-format mirror, serve it on 127.0.0.1, refresh, report
	$(BIN)/python -m faers.demo

refresh: $(STAMP) ## Download missing quarters from FDA and load them (needs network)
	$(FAERS) refresh

report: $(STAMP) ## Write the CAR T second-primary-malignancy study to reports/
	$(FAERS) report

bench: $(STAMP) ## Benchmarks at full-FAERS scale (writes bench/results.md, bench/results.json)
	$(BIN)/python -m bench.run

lint: $(STAMP) ## ruff
	$(BIN)/ruff check faers tests bench

clean: ## Remove the virtualenv, caches and generated reports (keeps downloaded data)
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis reports
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
