# The single entry point. `make run` serves the seeded API on SQLite; `make test` runs what CI runs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed
BENCH_STAMP   := $(VENV)/.bench-installed
BENCH_ARGS    ?= --engine sqlite --scales 10k,100k,1m --soak 300

.PHONY: run serve migrate seed export test lint typecheck pytest fmt clean bench load

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
	$(BIN)/mypy app tests bench

pytest: $(DEV_STAMP)
	$(BIN)/pytest

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable '.[dev,bench]'
	touch $@ $(DEV_STAMP) $(RUNTIME_STAMP)

## bench: benchmarks, never part of `make test` (needs wrk: apt-get install -y wrk)
bench: $(BENCH_STAMP)
	@command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install -y wrk"; exit 1; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## load: the mixed-load and crash tests run longer, never part of `make test`
load: $(DEV_STAMP)
	MIXED_LOAD_SECONDS=$${MIXED_LOAD_SECONDS:-60} CRASH_TRIALS=$${CRASH_TRIALS:-5} \
		$(BIN)/pytest -n 0 -s tests/test_mixed_load.py tests/test_crash.py

.PHONY: fuzz
## fuzz: the long schemathesis run for releases (coverage phase too), on SQLite and PostgreSQL
fuzz: $(DEV_STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} FUZZ_SCENARIOS=$${FUZZ_SCENARIOS:-60} \
		FUZZ_PHASES=$${FUZZ_PHASES:-examples,coverage,fuzzing} $(BIN)/pytest -n 0 -s tests/test_fuzz.py

fmt: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) bench/data busan.db busan.db-wal busan.db-shm busan.db-writers .pytest_cache .mypy_cache .ruff_cache
