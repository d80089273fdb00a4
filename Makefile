# Jiefen 解纷 — `make help` lists the targets.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/jiefen_test
PYTEST_ARGS ?=
XDIST ?= -n 2

.PHONY: help run test test-sqlite test-pg test-fast lint migrate seed bench setup

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/jiefen: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $(BIN)/jiefen

setup: $(BIN)/jiefen ## create the venv and install (Debian libraries too, when root)
	@bash .ci/system-deps.sh run

run: setup ## migrate, load the demo town, serve on http://127.0.0.1:8000
	$(BIN)/jiefen migrate
	$(BIN)/jiefen seed-demo
	$(BIN)/jiefen serve --host 127.0.0.1 --port 8000

migrate: setup ## apply migrations to JIEFEN_DATABASE_URL (default: var/jiefen.db)
	$(BIN)/jiefen migrate

lint: setup ## ruff
	$(BIN)/ruff check .

test-sqlite: setup ## the whole suite on SQLite
	$(BIN)/python -m pytest -q $(XDIST) $(PYTEST_ARGS)

test-pg: setup ## the database tests on PostgreSQL
	JIEFEN_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q $(XDIST) -m "db" $(PYTEST_ARGS)

test-fast: setup ## everything but slow and browser tests, SQLite only
	$(BIN)/python -m pytest -q -m "not slow and not browser" $(PYTEST_ARGS)

test: setup ## set everything up, then lint and the whole suite on both engines
	@bash .ci/system-deps.sh test
	@bash .ci/services.sh
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-pg

bench: setup ## run the benchmarks under bench/
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done
