# Two commands on a fresh machine with Python 3.11 and Node.js/npm:
#   make run    set up .venv and the report viewer, build every bundled template (+ report.html) into outputs/
#   make test   set up .venv and the viewer, run ruff, mypy and the whole test suite (slow tests included)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2
# the HTML report inlines a three.js viewer: npm packages pinned in web/package-lock.json, bundled by esbuild
VIEWER := pkgcad/view/assets/viewer.js
NPM    ?= npm

.PHONY: run test quick lint bench clean viewer

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# npm ci installs exactly the lock file's versions into web/node_modules (gitignored), esbuild writes the bundle
web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

$(VIEWER): web/node_modules/.installed web/viewer.js
	cd web && $(NPM) run --silent build

viewer: $(VIEWER)

run: $(STAMP) $(VIEWER)
	$(BIN)/pkgcad build --all -o outputs --report

test: $(STAMP) $(VIEWER) lint
	$(BIN)/pytest -n $(JOBS)

quick: $(STAMP) $(VIEWER)
	$(BIN)/pytest -n $(JOBS) -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check pkgcad tests bench
	$(BIN)/mypy pkgcad

bench: $(STAMP)
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis web/node_modules $(VIEWER) tests/artifacts
