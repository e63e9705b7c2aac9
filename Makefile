# Wiretap's command index. Every target works on a fresh clone: those that need the
# virtual environment, the npm packages or the vendored static files build them first.
# `make` alone lists them.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
# Written once requirements-dev.txt is installed; older than a requirements file means reinstall.
INSTALLED := $(VENV)/.installed
# The conformance runner and the specs sit beside the project, not in it.
SHARED := ../shared
CONFORMANCE := $(SHARED)/conformance/run.py
# The suites `make test` runs; `make conformance` runs them all.
TEST_SUITES := eventbridge sns stepfunctions
# npm writes this file on every install: older than the lock file means reinstall.
NODE_PACKAGES := node_modules/.package-lock.json
# Written by scripts/vendor-static once it has copied the front-end files into static/vendor/.
VENDORED := static/vendor/.copied
# The server `make test-postgres` creates its test database on (test_wiretap).
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/wiretap
# Where `make run` serves the console.
HOST ?= 127.0.0.1
PORT ?= 8000
# `make serve` (the classroom setup) listens on every address unless HOST is given; PROCESSES
# Daphne processes (empty: one per core) and WORKERS Celery workers (empty: 1).
SERVE_HOST = $(if $(filter command line environment,$(origin HOST)),$(HOST),0.0.0.0)
PROCESSES ?=
WORKERS ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

step = @printf '\n==> %s\n' $(1)

.PHONY: help setup compile run serve worker test test-postgres lint check bench conformance golden clean require-shared

help:
	@echo "make run          set up what is missing, migrate, and serve the console at http://$(HOST):$(PORT)"
	@echo "make serve        serve a class: PROCESSES Daphne processes on one address (default one per core),"
	@echo "                  WORKERS Celery workers, DEBUG=false; needs REDIS_URL, a PostgreSQL DATABASE_URL,"
	@echo "                  SECRET_KEY, ALLOWED_HOSTS (README: Serving the console to others)"
	@echo "make worker       a Celery worker for the production-like mode (REDIS_URL set; any number of them)"
	@echo "make setup        create .venv (Python 3.12+), install requirements-dev.txt and the npm packages,"
	@echo "                  compile the emulator's hot modules (mypyc) when they changed"
	@echo "make compile      compile the emulator's hot modules now"
	@echo "make test         Python tests incl. browser tests (pytest, in parallel), node tests, then the"
	@echo "                  eventbridge, sns and stepfunctions conformance suites"
	@echo "make test-postgres  the console's, designer's and runs' tests against PostgreSQL (POSTGRES_URL)"
	@echo "make lint         ruff check and mypy (strict on emulator/, console/, designer/)"
	@echo "make check        lint, then test"
	@echo "make bench        the benchmarks (python -m benchmarks)"
	@echo "make conformance  every conformance suite in $(SHARED)/conformance"
	@echo "make golden       regenerate the golden summaries and traces in tests/golden (then read the diff)"
	@echo "make clean        remove .venv and the tools' caches"

setup: $(INSTALLED) $(VENDORED)
	@$(PYTHON) scripts/compile-emulator --if-stale || \
	    echo "(the emulator runs from its sources: slower, otherwise the same)"
	@echo "$(VENV) is ready: $$($(PYTHON) --version), requirements-dev.txt installed; static/vendor/ filled"

run: setup
	$(call step,"migrating the database")
	$(PYTHON) manage.py migrate --no-input
	$(call step,"serving the console with Daphne")
	@echo "Wiretap console: http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	@exec $(VENV)/bin/daphne -b $(HOST) -p $(PORT) console.asgi:application

# The classroom setup (console/serve.py): migrates, then runs the Daphne processes on one
# listening socket and the Celery workers until Ctrl+C.
serve: setup
	$(call step,"serving the console to a class: scripts/serve")
	@HOST=$(SERVE_HOST) PORT=$(PORT) PROCESSES=$(PROCESSES) WORKERS=$(WORKERS) exec $(PYTHON) scripts/serve

# The production-like mode's workers: REDIS_URL (and DATABASE_URL) must be set, in the
# environment or .env, the same as the console's. Without REDIS_URL the console runs its own.
worker: setup
	$(call step,"Celery worker (solo pool): runs the simulations queued on REDIS_URL")
	@exec $(VENV)/bin/celery -A console worker -P solo --loglevel=INFO

compile: $(INSTALLED)
	$(call step,"compiling the emulator's hot modules with mypyc")
	$(PYTHON) scripts/compile-emulator

$(PYTHON):
	$(call step,"creating $(VENV) (scripts/find-python picks a Python 3.12+)")
	@python="$$(scripts/find-python)"; \
	echo "using $$python ($$("$$python" --version))"; \
	"$$python" -m venv --clear $(VENV)

$(INSTALLED): requirements.txt requirements-dev.txt | $(PYTHON)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null || { \
	    echo "$(VENV) runs $$($(PYTHON) --version 2>&1); Wiretap needs 3.12+. Run: make clean setup" >&2; exit 1; }
	$(call step,"upgrading pip in $(VENV)")
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(call step,"installing requirements-dev.txt into $(VENV)")
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	@touch $@

$(NODE_PACKAGES): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 18+ with npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	$(call step,"installing the npm packages (npm ci)")
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(VENDORED): $(NODE_PACKAGES) scripts/vendor-static
	$(call step,"copying front-end files into static/vendor/")
	scripts/vendor-static
	@touch $@

require-shared:
	@test -f $(CONFORMANCE) || { \
	    echo "$(CONFORMANCE) is missing: the shared/ folder must sit beside the project" \
	         "(as $(abspath $(SHARED)))." >&2; exit 1; }

# Both parts run even when the first fails, so one run reports everything; the exit
# status is a failure if either failed.
test: setup require-shared
	$(call step,"Python tests with the browser tests: pytest -n auto")
	@status=0; \
	WIRETAP_REQUIRE_COMPILED=1 $(PYTHON) -m pytest -n auto || status=$$?; \
	printf '\n==> %s\n' "JavaScript tests: node --test tests/js/"; \
	node --test --test-reporter=spec tests/js/ || status=$$?; \
	printf '\n==> %s\n' "the console's, designer's and runs' tests again on PostgreSQL: $(POSTGRES_URL)"; \
	DATABASE_URL=$(POSTGRES_URL) $(PYTHON) -m pytest -n auto $(POSTGRES_TESTS) || status=$$?; \
	printf '\n==> %s\n' "conformance suites: $(TEST_SUITES)"; \
	$(PYTHON) $(CONFORMANCE) $(TEST_SUITES) || status=$$?; \
	exit $$status

# The production-like tests are left out: they make a PostgreSQL database of their own whatever
# DATABASE_URL says, and the first pass of `make test` runs them.
POSTGRES_TESTS = tests/console tests/designer tests/tracer --ignore=tests/tracer/test_production_like.py

test-postgres: setup
	$(call step,"the console designer and tracer tests on PostgreSQL: $(POSTGRES_URL)")
	DATABASE_URL=$(POSTGRES_URL) $(PYTHON) -m pytest -n auto $(POSTGRES_TESTS)

lint: setup
	$(call step,"ruff check")
	$(VENV)/bin/ruff check .
	$(call step,"mypy (strict: emulator/ and the console)")
	$(PYTHON) -m mypy

check: lint test

bench: setup
	$(call step,"benchmarks: python -m benchmarks")
	@test -d benchmarks || { echo "benchmarks/ is not there yet: nothing to run." >&2; exit 1; }
	$(PYTHON) -m benchmarks

conformance: setup require-shared
	$(call step,"conformance: every suite")
	$(PYTHON) $(CONFORMANCE)

golden: setup
	$(call step,"regenerating tests/golden")
	$(PYTHON) -m tests.golden

clean:
	$(call step,"removing $(VENV) and caches")
	rm -rf $(VENV) node_modules static/vendor .mypy_cache .ruff_cache .pytest_cache test-artifacts build
	find emulator \( -name '*.so' -o -name '*.pyd' -o -name '_compiled.digest' \) -delete
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
