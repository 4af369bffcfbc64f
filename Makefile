# The README's two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench bench-stores bench-import clean-store conformance debian chromium virtuoso assets

# Create the virtual environment and install the project (again only when pyproject.toml changes).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# The SPARQL editor (YASGUI, MIT) from the npm registry, copied into the package's static files.
YASGUI_VERSION := 4.6.2
YASGUI := service/web/static/vendor/yasgui/yasgui.min.js
$(YASGUI):
	npm install --silent --no-audit --no-fund --no-package-lock --prefix var/npm @zazuko/yasgui@$(YASGUI_VERSION)
	mkdir -p service/web/static/vendor/yasgui
	cp var/npm/node_modules/@zazuko/yasgui/build/yasgui.min.js var/npm/node_modules/@zazuko/yasgui/build/yasgui.min.css \
	   var/npm/node_modules/@zazuko/yasgui/LICENSE service/web/static/vendor/yasgui/ 2>/dev/null || \
	cp var/npm/node_modules/@zazuko/yasgui/build/yasgui.min.js var/npm/node_modules/@zazuko/yasgui/build/yasgui.min.css service/web/static/vendor/yasgui/

assets: $(YASGUI)

# Install, load the sample into the embedded store if it is empty, and serve on 127.0.0.1:8080.
run: $(STAMP) assets
	$(BIN)/partnerkg init --sample --if-empty
	exec $(BIN)/partnerkg serve

# Install what the tests need and run every test: the W3C SPARQL conformance suites against a live
# server first, then pytest (whose closing line stays the last one).
test: $(STAMP) debian assets
	$(BIN)/python tests/conformance/run_conformance.py
	$(BIN)/python -m pytest

# Debian packages the tests need, installed only when missing (one apt run for all): Chromium for the
# browser test (Playwright drives it; no browser is downloaded) and Virtuoso, one of the three stores
# the backend tests run on (the tests start their own on free ports; no service is enabled).
DEBIAN_NEEDS := $(if $(shell command -v chromium),,chromium) $(if $(shell command -v virtuoso-t),,virtuoso-opensource)
debian:
	@if [ -n "$(strip $(DEBIAN_NEEDS))" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_NEEDS) >/dev/null; fi

chromium virtuoso: debian

# The W3C SPARQL 1.1 query suite and protocol checks against a freshly started server.
conformance: $(STAMP)
	$(BIN)/python tests/conformance/run_conformance.py

lint: $(STAMP)
	$(BIN)/ruff check service tests bench
	$(BIN)/ruff format --check service tests bench

# The scale benchmark at 100, 1,000 and 10,000 partnerships (FULL=1 adds 40,000); writes
# bench/results.json and its section of docs/performance.md. Not part of the tests.
bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/scale.py $(if $(FULL),--full,)

bench-stores: $(STAMP)
	$(BIN)/python bench/store_engines.py

bench-import: $(STAMP)
	$(BIN)/python bench/import_register.py

clean-store:
	rm -rf var/store var/store.cache
