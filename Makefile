# Two commands on a fresh machine with Python 3.11:
#   make run    set up .venv, build every bundled template into outputs/
#   make test   set up .venv, run ruff and the whole test suite (slow tests included)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: run test quick lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/pkgcad build --all -o outputs

test: $(STAMP) lint
	$(BIN)/pytest -n $(JOBS)

quick: $(STAMP)
	$(BIN)/pytest -n $(JOBS) -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check pkgcad tests bench
	$(BIN)/mypy pkgcad

bench: $(STAMP)
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
