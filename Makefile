# Two commands: `make run` (server + web page on SQLite) and `make test` (lint, types, tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@test -f accord.db || $(BIN)/accord init
	$(BIN)/accord serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/tally.py
	$(BIN)/python bench/votes_http.py
	$(BIN)/python bench/milestones.py
	$(BIN)/python bench/wait_latency.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
