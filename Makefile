# Wiretap's command index. Every target works on a fresh clone: those that need the
# virtual environment build it first. `make` alone lists them.

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
TEST_SUITES := eventbridge sns

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

step = @printf '\n==> %s\n' $(1)

.PHONY: help setup compile test lint check bench conformance golden clean require-shared

help:
	@echo "make setup        create .venv (Python 3.12+) and install requirements-dev.txt"
	@echo "make compile      compile the emulator's hot modules with mypyc (setup does it when they are stale)"
	@echo "make test         unit tests (pytest, in parallel), then the eventbridge and sns conformance suites"
	@echo "make lint         ruff check and mypy (strict on emulator/)"
	@echo "make check        lint, then test"
	@echo "make bench        the benchmarks (python -m benchmarks)"
	@echo "make conformance  every conformance suite in $(SHARED)/conformance"
	@echo "make golden       regenerate the golden summaries and traces in tests/golden (then read the diff)"
	@echo "make clean        remove .venv and the tools' caches"

setup: $(INSTALLED)
	@$(PYTHON) scripts/compile-emulator --if-stale || \
	    echo "(the emulator runs from its sources: slower, otherwise the same)"
	@echo "$(VENV) is ready: $$($(PYTHON) --version), requirements-dev.txt installed"

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

require-shared:
	@test -f $(CONFORMANCE) || { \
	    echo "$(CONFORMANCE) is missing: the shared/ folder must sit beside the project" \
	         "(as $(abspath $(SHARED)))." >&2; exit 1; }

# Both parts run even when the first fails, so one run reports everything; the exit
# status is a failure if either failed.
test: setup require-shared
	$(call step,"unit tests: pytest -n auto")
	@status=0; \
	WIRETAP_REQUIRE_COMPILED=1 $(PYTHON) -m pytest -n auto || status=$$?; \
	printf '\n==> %s\n' "conformance suites: $(TEST_SUITES)"; \
	$(PYTHON) $(CONFORMANCE) $(TEST_SUITES) || status=$$?; \
	exit $$status

lint: setup
	$(call step,"ruff check")
	$(VENV)/bin/ruff check .
	$(call step,"mypy (strict, emulator/)")
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
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build
	find emulator \( -name '*.so' -o -name '*.pyd' -o -name '_compiled.digest' \) -delete
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
