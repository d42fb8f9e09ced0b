# Two commands on a fresh machine with Python 3.11 (Node.js/npm only to rebuild the report viewer):
#   make run    set up .venv, build every bundled template (+ report.html) into outputs/, and the
#               thermal comparison with and without the heat sink into outputs/thermal-compare/
#   make test   set up .venv, run ruff, mypy, the layer contracts and every test not marked slow (under 15 minutes
#               on 2 cores); `make test-slow` runs the rest (the README's commands as written, fine meshes, large
#               models, browsers, installs: about 10 minutes more); CI (.ci/run) runs both
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2
# the HTML report inlines a three.js viewer: npm packages pinned in web/package-lock.json, bundled by esbuild
# into VIEWER, which is committed (tests/test_viewer_bundle.py proves it is what the lock file builds)
VIEWER := pkgcad/view/assets/viewer.js
NPM    ?= npm

.PHONY: run test test-slow lint bench clean viewer

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# npm ci installs exactly the lock file's versions into web/node_modules (gitignored), esbuild writes the bundle
web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

# `make viewer` always rebuilds (after changing web/viewer.js or the lock file: commit the new bundle too);
# everything else only needs the committed bundle, so no npm (and no file dates) unless it is absent
viewer: web/node_modules/.installed
	cd web && $(NPM) run --silent build

$(VIEWER):
	$(MAKE) viewer

run: $(STAMP) $(VIEWER)
	$(BIN)/pkgcad build --all -o outputs --report
	$(BIN)/pkgcad thermal --compare -o outputs/thermal-compare

test: $(STAMP) $(VIEWER) lint
	$(BIN)/pytest -n $(JOBS) -m "not slow" --durations=25

test-slow: $(STAMP) $(VIEWER)
	$(BIN)/pytest -n $(JOBS) -m slow --durations=25

# lint-imports: the README's map of folders as import-linter contracts (.importlinter, see tests/test_layers.py)
lint: $(STAMP)
	$(BIN)/ruff check pkgcad tests bench hatch_build.py
	$(BIN)/mypy pkgcad
	$(BIN)/lint-imports --no-cache

bench: $(STAMP)
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis web/node_modules tests/artifacts dist
