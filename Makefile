# Lianxin (连心桥). `make run` serves the demo; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres install migrate demo serve schema migrations lint deadcode check clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/lianxin migrate

demo: migrate
	$(BIN)/lianxin demo --if-empty

run: demo
	@echo "Lianxin: GraphiQL at http://127.0.0.1:8000/graphql, the pages at http://127.0.0.1:8000/app"
	$(BIN)/lianxin serve

serve: install
	$(BIN)/lianxin serve

# The checks first (lint, format, types, dead code: any finding fails), then the whole suite on
# SQLite, then again on PostgreSQL when LIANXIN_TEST_POSTGRES_URL is set. Tests run in random order:
# the seed is printed at the end, and `-p randomly --randomly-seed=N` repeats an order.
# TEST_WORKERS pytest processes (pytest-xdist), one per core by default; each builds a database of
# its own, so `make test TEST_WORKERS=0` (one process) answers the same.
TEST_WORKERS ?= auto
test: check
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)
	@if [ -n "$$LIANXIN_TEST_POSTGRES_URL" ]; then \
		echo "=== the suite again on PostgreSQL ==="; \
		LIANXIN_TEST_DB=postgres $(BIN)/python -m pytest -q -n $(TEST_WORKERS); \
	else \
		echo "(LIANXIN_TEST_POSTGRES_URL not set: PostgreSQL run skipped; .ci/run sets it)"; \
	fi

schema: install
	$(BIN)/lianxin export-schema

migrations: install
	$(BIN)/tortoise -c server.database.TORTOISE_ORM makemigrations

# Lint, format and types; configuration in pyproject.toml (migrations/ruff.toml for landed migrations).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy server schema lianxin bench

# Dead code in lianxin/ server/ schema/ bench/ (vulture; settings in pyproject.toml, framework-used names
# with their reasons in vulture_whitelist.py).
deadcode: install
	$(BIN)/vulture

# Everything `make test` checks before it runs the tests.
check: lint deadcode

clean:
	rm -rf $(VENV) var .pytest_cache
