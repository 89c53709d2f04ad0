# Every target works from a fresh clone: it creates .venv and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Reinstall when the dependency list changes.
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint format typecheck bench clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	rm -f $(VENV)/.installed-*
	# CPU torch first, from the machine's local wheel: with it in place nothing
	# below can pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[all,dev]"
	touch $@

install: $(STAMP)

run: install  ## set up and start the server on 127.0.0.1:8000 (key printed on first start)
	$(BIN)/vega serve

test: install  ## the whole suite
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

typecheck: install
	$(BIN)/mypy

bench: install  ## benchmarks: each prints one JSON object
	$(BIN)/python bench/gateway.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/footprint.py
	$(BIN)/python bench/retrieval.py --data ../shared/data/scifact

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
