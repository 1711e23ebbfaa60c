# The two set-up commands of the README:
#   make run   — install zhili and start the demo city at http://127.0.0.1:8000 (SQLite)
#   make test  — install the test tools and run lint, type checks and the whole test suite
# Both create ./.venv on first use. Set ZHILI_TEST_DATABASE_URL to test against PostgreSQL.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SIZE ?= small
SEED ?= 1

.PHONY: run test lint install install-test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/zhili demo --size $(SIZE) --seed $(SEED) --serve

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: install-test
	$(BIN)/python bench/grid_lookup.py

clean:
	rm -rf $(VENV) var
