# Accord: `make run` for the embedded default, `make test` for the checks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ACCORD := $(BIN)/accord

.PHONY: run test install dev lint typecheck pytest clean prerequisites

prerequisites:
	@sh scripts/prerequisites.sh

$(BIN)/python: | prerequisites
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(VENV)/.installed $@

install: prerequisites $(VENV)/.installed
dev: prerequisites $(VENV)/.installed-dev

run: install
	$(ACCORD) migrate --noinput
	$(ACCORD) demo --sample
	$(ACCORD) run

lint: dev
	$(BIN)/ruff check accord tests benchmarks
	$(BIN)/ruff format --check accord tests benchmarks

typecheck: dev
	$(BIN)/mypy accord

# SQLite first (with browser tests and API fuzzing); then PostgreSQL when
# ACCORD_TEST_DATABASE_URL names a database.
pytest: dev
	$(BIN)/pytest
	@if [ -n "$$ACCORD_TEST_DATABASE_URL" ]; then \
	  echo "== pytest on PostgreSQL ($$ACCORD_TEST_DATABASE_URL) =="; \
	  ACCORD_DATABASE_URL="$$ACCORD_TEST_DATABASE_URL" $(BIN)/pytest -m "not browser and not fuzz"; \
	fi

test: lint typecheck pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
