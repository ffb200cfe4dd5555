# The single entry point. `make run` serves the seeded API on SQLite; `make test` runs what CI runs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed

.PHONY: run serve migrate seed export test lint typecheck pytest fmt clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	touch $@ $(RUNTIME_STAMP)

## run: create the environment, migrate, seed and serve on http://127.0.0.1:$${PORT:-8000}
run: seed serve

serve: $(RUNTIME_STAMP)
	$(BIN)/python -m app serve

migrate: $(RUNTIME_STAMP)
	$(BIN)/python -m app migrate

seed: migrate
	$(BIN)/python -m app seed

export: $(RUNTIME_STAMP)
	$(BIN)/python -m app export

## test: lint, type-check and the whole test suite on SQLite and PostgreSQL
test: lint typecheck pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy app tests

pytest: $(DEV_STAMP)
	$(BIN)/pytest

fmt: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) busan.db busan.db-wal busan.db-shm .pytest_cache .mypy_cache .ruff_cache
