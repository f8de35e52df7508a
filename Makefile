# Two commands: `make run` (server + web page on SQLite) and `make test` (lint, types, tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# What `make run` needs (the service alone), what `make test` adds (test and lint tools), and the benchmark peers.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: run test lint install clean bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP) $(RUN_STAMP)

$(BENCH_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP) $(DEV_STAMP) $(RUN_STAMP)

install: $(DEV_STAMP)

run: $(RUN_STAMP)
	@test -s accord.db || $(BIN)/accord init  # -s: an empty file (left by an old version) is no store
	$(BIN)/accord serve --host 127.0.0.1 --port $(PORT)

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

bench: $(BENCH_STAMP)
	$(BIN)/python bench/tally.py
	$(BIN)/python bench/votes_http.py
	$(BIN)/python bench/milestones.py
	$(BIN)/python bench/wait_latency.py
	$(BIN)/python bench/audit_verify.py
	$(BIN)/python bench/awaiting.py
	$(BIN)/python bench/settled.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/input_limits.py
	$(BIN)/python bench/notify_latency.py
	$(BIN)/python bench/mail_latency.py
	$(BIN)/python bench/response_models.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
